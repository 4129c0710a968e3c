/**
 * Issue #20/#21 in chromium at 1024×768: the hand-mapping form on an ES&S-design style. A generated
 * Electionware-shaped ES&S election (`<id>i.pdf` scans, dashed border, ovals LEFT of the names)
 * captured with its CVR xlsx and EIF and read by the PreauditService with an OCR that reads
 * nothing legible, so every learned ES&S style waits for a person. A clerk maps one style by hand
 * from what the ballot prints (here: the generator's truth), saves, and the style's waiting sheets
 * are then read and compared with the ES&S CVR.
 * Screenshots go to test-artifacts/mapping-ess/.
 */
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { dataPaths } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { placeholderStyleId } from '../../daemon/preaudit/layout.ts';
import { PreauditService } from '../../daemon/preaudit/service.ts';
import { PreauditWebProvider } from '../../daemon/preaudit/webProvider.ts';
import type { Db } from '../../daemon/runtime/stateDatabase.ts';
import type { RunningWebServer } from '../../daemon/web/server.ts';
import { closeKiosk, preauditKiosk } from './preauditKiosk.ts';
import { capturedElection } from './capturedElection.ts';

const artifacts = fileURLToPath(new URL('../../test-artifacts/mapping-ess/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'ballotsafe-mapping-ess-'));
let db: Db;
let server: RunningWebServer | undefined;
let browser: Browser | undefined;
let page: Page;
let service: PreauditService;

// The generator's answers, for the test's hand only (the product never reads truth/).
interface TruthTarget { side: 'front' | 'back'; column: number; row: number; contestId: string; optionId: string | null; type: 'option' | 'write-in' }
interface TruthCard { card: number; front: { targets: TruthTarget[] }; back: { targets: TruthTarget[] } }
interface TruthContest { id: string; title: string; options: { id: string; name: string }[] }
interface TruthImage { styleId: string; card: number; paths: string[] }
let out: string;
let contests: TruthContest[];
let images: TruthImage[];
const cards = new Map<string, TruthCard[]>();

/**
 * The ES&S design's dashed border prints a timing dash every half grid pitch
 * (scripts/sample-election/essDesign.ts), so a learned place is twice the generator's grid place.
 */
const DASHES_PER_PITCH = 2;

/** The generator's layout of the sheet stored in this image file (its path under the export's ess/ folder). */
function truthCardOf(relPath: string): TruthCard {
  const image = images.find((i) => i.paths.includes(`ess/${relPath}`));
  if (image === undefined) throw new Error(`no truth for ${relPath}`);
  let layout = cards.get(image.styleId);
  if (layout === undefined) {
    layout = (JSON.parse(readFileSync(join(out, 'truth', 'layouts-ess', `${image.styleId}.json`), 'utf8')) as { cards: TruthCard[] }).cards;
    cards.set(image.styleId, layout);
  }
  const card = layout.find((c) => c.card === image.card);
  if (card === undefined) throw new Error(`no card ${image.card} of ${image.styleId}`);
  return card;
}

/** What the ballot prints at a learned target, as the form words it ("Governor: Jane Roe", "Sheriff: a write-in line"). */
function printedAt(card: TruthCard, side: string, column: number, row: number): string {
  const t = [...card.front.targets, ...card.back.targets].find((x) => x.side === side && x.column * DASHES_PER_PITCH === column && x.row * DASHES_PER_PITCH === row);
  if (t === undefined) return 'Not a voting target';
  const contest = contests.find((c) => c.id === t.contestId);
  if (contest === undefined) throw new Error(`no contest ${t.contestId}`);
  return `${contest.title}: ${t.type === 'write-in' ? 'a write-in line' : (contest.options.find((o) => o.id === t.optionId)?.name ?? '?')}`;
}

/** The image files of the sheets waiting for this style, as captured (relative to the export's ess/ folder). */
function waitingFiles(styleId: string): string[] {
  const rows = db.prepare(`SELECT files_json FROM preaudit_sheets WHERE style_id = ?`).all(placeholderStyleId(styleId)) as { files_json: string }[];
  return rows.map((r) => {
    const sha = basename((JSON.parse(r.files_json) as string[])[0] ?? '');
    return (db.prepare(`SELECT rel_path FROM file_versions WHERE sha256 = ? LIMIT 1`).get(sha) as { rel_path: string }).rel_path;
  });
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

const provider = () => new PreauditWebProvider(db, () => service.status());
const sheetsOf = (styleId: string, status: string) => (db.prepare(`SELECT count(*) AS n FROM preaudit_sheets WHERE style_id = ? AND status = ?`).get(styleId, status) as { n: number }).n;

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  out = join(root, 'export');
  const g = await generateSampleElection({ out, seed: 7302, ballots: 8, precincts: 2, format: 'ess', essShape: 'electionware', essDpi: 200, batchSize: 20, discrepancies: { flip: 0, drop: 0, dup: 0, totals: 0 } });
  if (!g.ok) throw new Error(g.error.message);
  contests = (JSON.parse(readFileSync(join(out, 'truth', 'election.json'), 'utf8')) as { contests: TruthContest[] }).contests;
  images = (JSON.parse(readFileSync(join(out, 'truth', 'index.json'), 'utf8')) as { images: TruthImage[] }).images;

  // The ES&S export (images and CVR xlsx) and the EIF that names the contests.
  const captured = await capturedElection(root, { roots: [{ label: 'ess-export', path: 'export/ess' }, { label: 'ess-eif', path: 'export/eif' }] });
  const { config, web } = captured;
  db = captured.db;
  // An OCR that reads nothing legible: no printed name can be matched, every style waits for a person.
  service = new PreauditService({ db, vaultDir: dataPaths(config).vault, logger: silentLogger(), workers: 1, ocr: { read: async () => '', close: async () => undefined } });
  assertOk(await service.runOnce());
  const provider = new PreauditWebProvider(db, () => service.status(), service.optionNames, service);
  ({ server, browser, page } = await preauditKiosk(db, web, { preaudit: provider, user: 'olivia', role: 'operator' }));
}, 240_000);

afterAll(() => closeKiosk({ browser, server, db, root }));

describe('mapping a waiting ES&S ballot style by hand, in the browser', () => {
  it('maps an ES&S style from the crop of its page (ovals left of the names), saves; its sheets are then read with no disagreement', async () => {
    const styles = provider().styles();
    expect(styles.length).toBeGreaterThan(0);
    expect(styles.every((s) => s.styleId.startsWith('ess-') && s.status === 'needs-person' && s.sheetsRead === 0 && s.sheetsWaiting > 0)).toBe(true);
    // A style learned from the printed ovals is one card of one generated style: all its sheets print
    // the same there. The one with the most sheets (the most votes to compare), then the fewest ovals.
    const ovals = (s: { styleId: string }) => provider().styleMapping(s.styleId)?.targets.length ?? 0;
    const style = styles
      .filter((s) => s.sheetsWaiting >= 4)
      .sort((a, b) => b.sheetsWaiting - a.sheetsWaiting || ovals(a) - ovals(b))
      .find((s) => new Set(waitingFiles(s.styleId).map((f) => JSON.stringify(truthCardOf(f)))).size === 1);
    if (style === undefined) throw new Error('no learned ES&S style with four sheets of one generated card');
    const card = truthCardOf(waitingFiles(style.styleId)[0] ?? '');
    const waiting = style.sheetsWaiting;

    await page.goto(`${server?.url}/preaudit`);
    await page.click(`a[data-testid=map-style][href="/preaudit/styles/${encodeURIComponent(style.styleId)}/map"]`);
    await page.waitForSelector('[data-testid=map-picture]');
    const progress = (await page.textContent('[data-testid=map-progress]')) ?? '';
    const [, partsText = '0', targetsText = '0'] = /^Part 1 of (\d+) · 0 of (\d+) targets chosen/.exec(progress) ?? [];
    const targets = Number(targetsText);
    expect(targets).toBeGreaterThan(0);
    // a part is a contest's ovals (ES&S: four grid rows apart), not one oval at a time
    expect(Number(partsText)).toBeLessThan(targets / 2);

    // The picture is the stored PDF's page, shown as an image.
    const href = (await page.getAttribute('[data-testid=map-picture] image', 'href')) ?? '';
    const picture = await page.request.get(`${server?.url}${href}`);
    expect(picture.status()).toBe(200);
    expect(picture.headers()['content-type']).toBe('image/png');
    // The crop reaches right of the ovals, where ES&S prints the names; the number sits left of each oval.
    const [cropX = 0, , cropW = 0] = (await page.getAttribute('[data-testid=map-picture]', 'viewBox'))?.split(' ').map(Number) ?? [];
    const boxes = await page.locator('[data-testid=map-picture] .map-target.this-part').evaluateAll((gs) =>
      gs.map((g) => {
        const r = g.querySelector('rect');
        const t = g.querySelector('text');
        return { x: Number(r?.getAttribute('x')), width: Number(r?.getAttribute('width')), numberX: Number(t?.getAttribute('x')), anchor: t?.getAttribute('text-anchor') };
      }),
    );
    expect(boxes.length).toBe(await page.locator('.map-choice').count());
    for (const b of boxes) {
      expect(cropX + cropW - (b.x + b.width)).toBeGreaterThan(3 * (b.x - cropX));
      expect([b.numberX <= b.x, b.anchor]).toEqual([true, 'end']);
    }
    await shot('01-part-1');

    // Each part: choose what the ballot prints beside every numbered target, then the next part.
    let questionShot = false;
    let writeIns = 0;
    for (let part = 1; ; part++) {
      for (const choice of await page.locator('.map-choice').all()) {
        const label = printedAt(card, (await choice.getAttribute('data-side')) ?? '', Number(await choice.getAttribute('data-column')), Number(await choice.getAttribute('data-row')));
        if (label.endsWith(': a write-in line')) writeIns++;
        // the list offers the contest names of the ES&S CVR / EIF, write-in lines among them
        await choice.locator('select').selectOption({ label });
      }
      if (!questionShot && (await page.locator('.map-choice select option:checked', { hasText: /: (Yes|No)$/ }).count()) > 0) {
        questionShot = true;
        await shot('02-part-question');
      }
      if ((await page.locator('[data-testid=map-next]').count()) === 0) break;
      await page.click('[data-testid=map-next]');
      await page.waitForSelector(`[data-testid=map-progress]:has-text("Part ${part + 1} of")`);
    }
    expect(writeIns).toBeGreaterThan(0);
    await page.click('[data-testid=map-review]');
    await page.waitForSelector('[data-testid=map-review]');
    expect(await page.locator('[data-testid=map-review] tbody tr').count()).toBe(targets);
    expect(await page.locator('[data-testid=map-review] tr.row-bad').count()).toBe(0);
    await shot('03-review');
    await page.click('[data-testid=save-mapping]');
    await page.waitForSelector('[data-testid=mapping-saved]');
    expect(await page.textContent('[data-testid=mapping-saved]')).toContain(`is mapped by hand (olivia), ${targets} targets`);
    await shot('04-saved');

    // The next pass reads the sheets that waited and compares them with the ES&S CVR: no disagreement.
    assertOk(await service.runOnce());
    expect(sheetsOf(style.styleId, 'read')).toBe(waiting);
    const compared = db.prepare(`SELECT count(DISTINCT c.sheet_key) AS n FROM preaudit_comparisons c JOIN preaudit_sheets s ON s.sheet_key = c.sheet_key WHERE s.style_id = ?`).get(style.styleId) as { n: number };
    expect(compared.n).toBe(waiting);
    // …and votes among them: a mapping that swapped two names would be seen
    const votes = db.prepare(`SELECT count(*) AS n FROM preaudit_comparisons c JOIN preaudit_sheets s ON s.sheet_key = c.sheet_key WHERE s.style_id = ? AND c.cvr_votes_json <> '[]'`).get(style.styleId) as { n: number };
    expect(votes.n).toBeGreaterThanOrEqual(waiting);
    expect(service.status().disagreements).toBe(0);
    await page.goto(`${server?.url}/preaudit`);
    const row = page.locator('[data-testid=preaudit-styles] tbody tr', { hasText: 'Mapped by hand (olivia)' });
    expect(await row.count()).toBe(1);
    expect(await row.locator('td >> nth=4').textContent()).toBe(String(waiting));
    await page.locator('[data-testid=preaudit-styles]').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await shot('05-preaudit-after');
  });
});
