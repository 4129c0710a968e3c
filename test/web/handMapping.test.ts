/**
 * Issue #20 in chromium at 1024×768 against the real pre-audit: a generated Dominion-design
 * election captured and imported, read by the PreauditService with an
 * OCR that reads nothing legible, so every ballot style waits for a person. A clerk maps each
 * style by hand in the form (a part at a time beside the page crop, the search narrowing the
 * lists, the list of what will be saved), saves it, and the waiting sheets are then read and
 * compared.
 * Screenshots go to test-artifacts/mapping/.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { dataPaths } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { AuditLog } from '../../daemon/core/state/auditLog.ts';
import { buildPhase1Report } from '../../daemon/importer/report.ts';
import { PreauditService } from '../../daemon/preaudit/service.ts';
import { PreauditWebProvider } from '../../daemon/preaudit/webProvider.ts';
import type { Db } from '../../daemon/runtime/stateDatabase.ts';
import { importChecksFromReport } from '../../daemon/web/importChecks.ts';
import type { RunningWebServer } from '../../daemon/web/server.ts';
import { readSheetFills } from '../../daemon/preaudit/viewStore.ts';
import { closeKiosk, preauditKiosk } from './preauditKiosk.ts';
import { capturedElection } from './capturedElection.ts';

const artifacts = fileURLToPath(new URL('../../test-artifacts/mapping/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'ballotsafe-mapping-'));
let db: Db;
let server: RunningWebServer | undefined;
let browser: Browser | undefined;
let page: Page;
let service: PreauditService;

interface TruthTarget { side: 'front' | 'back'; column: number; row: number; contestId: string; optionId: string | null; type: 'option' | 'write-in' }
interface TruthLayout { styleNumber: number; cards: { card: number; front: { targets: TruthTarget[] }; back: { targets: TruthTarget[] } }[] }
interface TruthContest { id: string; title: string; options: { id: string; name: string }[] }
let layouts: TruthLayout[];
let contests: TruthContest[];

/** What the generator printed at a target, as the form words it ("Governor: Jane Roe"). */
function truthLabel(styleId: string, side: string, column: number, row: number): string {
  const m = /^style-(\d+)\/card-(\d+)$/.exec(styleId);
  const card = layouts.find((l) => l.styleNumber === Number(m?.[1]))?.cards.find((c) => c.card === Number(m?.[2]));
  const t = card === undefined ? undefined : [...card.front.targets, ...card.back.targets].find((x) => x.side === side && x.column === column && x.row === row);
  if (t === undefined) return 'Not a voting target';
  const contest = contests.find((c) => c.id === t.contestId);
  if (contest === undefined) throw new Error(`no contest ${t.contestId}`);
  return `${contest.title}: ${t.type === 'write-in' ? 'a write-in line' : contest.options.find((o) => o.id === t.optionId)?.name ?? '?'}`;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

const sheetsOf = (styleId: string, status: string) => (db.prepare(`SELECT count(*) AS n FROM preaudit_sheets WHERE style_id = ? AND status = ?`).get(styleId, status) as { n: number }).n;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  const out = join(root, 'export');
  const g = await generateSampleElection({ out, seed: 7301, ballots: 10, precincts: 2, format: 'dominion', batchSize: 20, discrepancies: { flip: 0, drop: 0, dup: 0, totals: 0 } });
  if (!g.ok) throw new Error(g.error.message);
  // The answers, for the test's hand only (the product never reads truth/).
  layouts = readdirSync(join(out, 'truth', 'layouts')).map((f) => JSON.parse(readFileSync(join(out, 'truth', 'layouts', f), 'utf8')) as TruthLayout);
  contests = (JSON.parse(readFileSync(join(out, 'truth', 'election.json'), 'utf8')) as { contests: TruthContest[] }).contests;

  const captured = await capturedElection(root);
  const { config, web } = captured;
  db = captured.db;
  // An OCR that reads nothing legible: no printed name can be matched, every style waits for a person.
  service = new PreauditService({ db, vaultDir: dataPaths(config).vault, logger: silentLogger(), workers: 1, ocr: { read: async () => '', close: async () => undefined } });
  assertOk(await service.runOnce());
  const provider = new PreauditWebProvider(db, () => service.status(), service.optionNames, service);
  const importChecks = importChecksFromReport(() => buildPhase1Report(db, () => readSheetFills(db)), 0);
  ({ server, browser, page } = await preauditKiosk(db, web, { preaudit: provider, importChecks, user: 'olivia', role: 'operator' }));
}, 240_000);

afterAll(() => closeKiosk({ browser, server, db, root }));

describe('mapping a waiting ballot style by hand, in the browser', () => {
  it('every style waits for a person at first: nothing read, nothing compared', () => {
    const styles = new PreauditWebProvider(db, () => service.status()).styles();
    expect(styles.length).toBeGreaterThan(0);
    expect(styles.every((s) => s.status === 'needs-person' && s.sheetsRead === 0 && s.sheetsWaiting > 0)).toBe(true);
  });

  it('a mapping with a target left unchosen cannot be saved: the list says which, and the service is not asked', async () => {
    const styleId = 'style-1/card-1';
    await page.goto(`${server?.url}/preaudit/styles/${encodeURIComponent(styleId)}/map`);
    await page.click('[data-testid=map-review-now]');
    await page.waitForSelector('[data-testid=map-missing]');
    expect(await page.locator('[data-testid=save-mapping]').count()).toBe(0);
    expect(await page.locator('[data-testid=map-review] tr.row-bad').count()).toBeGreaterThan(0);
    await shot('07-review-missing');
  });

  it('maps the first style a part at a time beside the page crop, checks the list, saves; its sheets are then read', async () => {
    const styleId = 'style-1/card-1';
    const waiting = new PreauditWebProvider(db, () => service.status()).styles().find((s) => s.styleId === styleId);
    expect(waiting?.status).toBe('needs-person');
    await page.goto(`${server?.url}/preaudit`);
    await page.click(`a[data-testid=map-style][href="/preaudit/styles/${encodeURIComponent(styleId)}/map"]`);
    await page.waitForSelector('[data-testid=map-picture]');
    expect(await page.textContent('[data-testid=map-progress]')).toMatch(/^Part 1 of \d+ · 0 of \d+ targets chosen/);
    // the picture is a crop of the page around this part, its targets outlined and numbered
    const viewBox = (await page.getAttribute('[data-testid=map-picture]', 'viewBox'))?.split(' ').map(Number) ?? [];
    const [, , cropW = 0, cropH = 0] = viewBox;
    expect(cropW * cropH).toBeLessThan(1700 * 2200 * 0.5);
    const here = await page.locator('.map-choice').count();
    expect(here).toBeGreaterThan(0);
    expect(here).toBeLessThanOrEqual(8);
    expect(await page.locator('[data-testid=map-picture] .map-target.this-part').count()).toBe(here);
    // touch-size controls; the picture and the list side by side within the screen's width
    const heights = (await page.evaluate(`[...document.querySelectorAll('.map-part select, .map-part button, .map-part input[type=search]')].map((e) => e.getBoundingClientRect().height)`)) as number[];
    expect(Math.min(...heights)).toBeGreaterThanOrEqual(44);
    const picture = await page.locator('[data-testid=map-picture]').boundingBox();
    const list = await page.locator('.map-list').boundingBox();
    expect(picture !== null && list !== null && picture.x + picture.width <= list.x && list.x + list.width <= 1024).toBe(true);
    expect((picture?.y ?? 999) + 40).toBeLessThan(768); // the picture starts on the first screen
    // focusing a target's list outlines that target on the picture
    await page.focus('.map-choice select >> nth=0');
    expect(await page.locator('.map-target.focused').getAttribute('data-target')).toBe(await page.locator('.map-choice select >> nth=0').getAttribute('data-target'));
    await shot('01-part-1');

    // The search: without JavaScript it is a button the appliance answers; the list shrinks to the matching names.
    const everything = await page.locator('.map-choice select >> nth=0').locator('option').count();
    const first = await page.locator('.map-choice >> nth=0');
    const firstLabel = truthLabel(styleId, (await first.getAttribute('data-side')) ?? '', Number(await first.getAttribute('data-column')), Number(await first.getAttribute('data-row')));
    const someName = firstLabel.split(': ')[1]?.split(/[ /]+/)[0] ?? '';
    await page.fill('input[name=q]', someName.toLowerCase());
    await page.click('button[name=go][value=filter]');
    await page.waitForSelector('[data-testid=map-search-note]');
    const narrowed = await page.locator('.map-choice select >> nth=0').locator('option').count();
    expect(narrowed).toBeLessThan(everything / 4);
    expect(await page.locator('.map-choice select >> nth=0').locator('option', { hasText: firstLabel }).count()).toBe(1);
    await shot('02-part-1-search');
    await page.click('button[name=go][value=clear]');
    await page.waitForSelector('[data-testid=map-picture]');
    expect(await page.locator('.map-choice select >> nth=0').locator('option').count()).toBe(everything);

    // Each part: choose what the ballot prints beside every numbered target, then the next part.
    for (let part = 1; ; part++) {
      for (const choice of await page.locator('.map-choice').all()) {
        const label = truthLabel(styleId, (await choice.getAttribute('data-side')) ?? '', Number(await choice.getAttribute('data-column')), Number(await choice.getAttribute('data-row')));
        await choice.locator('select').selectOption({ label });
      }
      if (part === 2) await shot('03-part-2-chosen');
      if ((await page.locator('[data-testid=map-next]').count()) === 0) break;
      await page.click('[data-testid=map-next]');
      await page.waitForSelector(`[data-testid=map-progress]:has-text("Part ${part + 1} of")`);
    }
    await page.click('[data-testid=map-review]');
    // The list of what will be saved, before it is.
    await page.waitForSelector('[data-testid=map-review]');
    const rows = await page.locator('[data-testid=map-review] tbody tr').count();
    expect(await page.textContent('[data-testid=map-review-summary]')).toMatch(new RegExp(`^${rows} targets: \\d+ choices in \\d+ contests`));
    expect(await page.locator('[data-testid=map-review] tr.row-bad').count()).toBe(0);
    await shot('04-review');
    expect(sheetsOf(styleId, 'read')).toBe(0); // nothing saved before "Save"
    await page.click('[data-testid=save-mapping]');
    await page.waitForSelector('[data-testid=mapping-saved]');
    expect(await page.textContent('[data-testid=mapping-saved]')).toContain(`is mapped by hand (olivia), ${rows} targets`);
    await shot('05-saved');
    // the audit log says who mapped which style
    const entry = new AuditLog(db, silentLogger()).recent(5).find((e) => e.action === 'preaudit.style.mapped');
    expect(entry).toMatchObject({ actor: 'olivia' });
    // the next pass reads and compares the sheets that waited
    assertOk(await service.runOnce());
    expect(sheetsOf(styleId, 'read')).toBe(waiting?.sheetsWaiting);
    await page.goto(`${server?.url}/preaudit`);
    const row = page.locator('[data-testid=preaudit-styles] tbody tr', { hasText: 'Mapped by hand (olivia)' });
    expect(await row.count()).toBe(1);
    expect(await row.locator('td >> nth=4').textContent()).toBe(String(waiting?.sheetsWaiting));
    expect(await row.locator('td >> nth=5').textContent()).toBe('0');
    // read against the generator's CVRs, the hand mapping makes no disagreement
    expect(service.status().disagreements).toBe(0);
    await shot('06-preaudit-after');
  });

});
