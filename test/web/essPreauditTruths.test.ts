/**
 * Issue #21 in chromium at 1024×768: what the Pre-audit page and the files say about an ES&S export
 * must be true. A generated Electionware-shaped ES&S election, its images zip captured as delivered
 * with its CVR xlsx and EIF, read by the PreauditService with an OCR that reads nothing legible, so
 * every learned ES&S style waits for a person. The page must say how ES&S styles are learned (where
 * the ovals are printed, no code), show each waiting style's ovals and no made-up contest count, and
 * say plainly that nothing legible was read beside an oval. Then one style is mapped (from the
 * generator's truth) and its sheets are read: independent-cvr.csv names each sheet by the zip and
 * the member inside it. Screenshots go to test-artifacts/ess-truths/.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { dataPaths } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { contestsFromImports } from '../../daemon/preaudit/contestDefinitions.ts';
import { writeIndependentCvr } from '../../daemon/preaudit/independentCvr.ts';
import { buildPreauditReport } from '../../daemon/preaudit/report.ts';
import { placeholderStyleId } from '../../daemon/preaudit/layout.ts';
import { PreauditService } from '../../daemon/preaudit/service.ts';
import { locateContest, PreauditWebProvider } from '../../daemon/preaudit/webProvider.ts';
import { ballotImageHref } from '../../daemon/web/imageHref.ts';
import type { Db } from '../../daemon/runtime/stateDatabase.ts';
import type { RunningWebServer } from '../../daemon/web/server.ts';
import { capturedElection } from './capturedElection.ts';
import { closeKiosk, preauditKiosk } from './preauditKiosk.ts';

const artifacts = fileURLToPath(new URL('../../test-artifacts/ess-truths/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'ballotsafe-ess-truths-'));
const ZIP = 'Ballot Images.zip';
let db: Db;
let server: RunningWebServer | undefined;
let browser: Browser | undefined;
let page: Page;
let service: PreauditService;
let out: string;
let vaultDir: string;

// The generator's answers, for the test's hand only (the product never reads truth/).
interface TruthTarget { side: 'front' | 'back'; column: number; row: number; contestId: string; optionId: string | null; type: 'option' | 'write-in' }
interface TruthCard { card: number; front: { targets: TruthTarget[] }; back: { targets: TruthTarget[] } }
interface TruthImage { styleId: string; card: number; paths: string[] }
interface TruthContest { id: string; title: string; options: { id: string; name: string }[] }

/** The dashed border prints a dash every half grid pitch: a learned place is twice the generator's. */
const DASHES_PER_PITCH = 2;

/** The zip members of the sheets waiting under this style's placeholder (`<zip in the vault>\0<member>`). */
function waitingMembers(styleId: string): string[] {
  const rows = db.prepare(`SELECT files_json FROM preaudit_sheets WHERE style_id = ?`).all(placeholderStyleId(styleId)) as { files_json: string }[];
  return rows.map((r) => ((JSON.parse(r.files_json) as string[])[0] ?? '').split('\u0000')[1] ?? '');
}

/** The generator's card printed on the sheet stored as this zip member (its path under ess/Images/). */
function truthCardOf(member: string): TruthCard {
  const images = (JSON.parse(readFileSync(join(out, 'truth', 'index.json'), 'utf8')) as { images: TruthImage[] }).images;
  const image = images.find((i) => i.paths.includes(`ess/Images/${member}`));
  if (image === undefined) throw new Error(`no truth for ${member}`);
  const cards = (JSON.parse(readFileSync(join(out, 'truth', 'layouts-ess', `${image.styleId}.json`), 'utf8')) as { cards: TruthCard[] }).cards;
  const card = cards.find((c) => c.card === image.card);
  if (card === undefined) throw new Error(`no card ${image.card} of ${image.styleId}`);
  return card;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

const provider = () => new PreauditWebProvider(db, () => service.status());

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  out = join(root, 'export');
  const g = await generateSampleElection({ out, seed: 2121, ballots: 10, precincts: 2, format: 'ess', essShape: 'electionware', essDpi: 200, batchSize: 20, discrepancies: { flip: 4, drop: 0, dup: 0, totals: 0 } });
  if (!g.ok) throw new Error(g.error.message);
  // The images zip as Electionware writes it (`\` in member names), its CVR xlsx and the EIF that names the contests.
  const captured = await capturedElection(root, {
    roots: [
      { label: 'ess-images', path: 'export/ess-zip' },
      { label: 'ess-cvr', path: 'export/ess/CVR' },
      { label: 'ess-eif', path: 'export/eif' },
    ],
  });
  db = captured.db;
  vaultDir = dataPaths(captured.config).vault;
  // An OCR that reads nothing legible: no printed name can be matched, every style waits for a person.
  service = new PreauditService({ db, vaultDir: dataPaths(captured.config).vault, logger: silentLogger(), workers: 1, ocr: { read: async () => '', close: async () => undefined } });
  assertOk(await service.runOnce());
  ({ server, browser, page } = await preauditKiosk(db, captured.web, { preaudit: new PreauditWebProvider(db, () => service.status(), service.optionNames, service), user: 'olivia', role: 'operator' }));
}, 240_000);

afterAll(() => closeKiosk({ browser, server, db, root }));

describe('what the Pre-audit page and files say about an ES&S export', () => {
  it('says ES&S styles are learned from where the ovals are printed, shows the ovals found and no contest count while a style waits, and that nothing legible was read', async () => {
    const styles = provider().styles();
    expect(styles.length).toBeGreaterThan(0);
    expect(styles.every((s) => s.status === 'needs-person' && s.recognisedBy === 'printed-ovals' && s.contests === null)).toBe(true);
    for (const s of styles) {
      // The ovals the style's name counts, and as many as the hand-mapping form numbers.
      const named = Number(/, (\d+) ovals$/.exec(s.printed)?.[1]);
      expect(s.targets).toBe(named);
      expect(provider().styleMapping(s.styleId)?.targets).toHaveLength(named);
      // Beside an oval: nothing legible; a write-in line is known by its printed rule, whatever is read.
      expect(s.unresolved.filter((u) => u.reason === 'nothing legible was read beside the oval').length).toBeGreaterThan(0);
      for (const u of s.unresolved) expect(u.reason).toMatch(/^(nothing legible was read beside the oval|write-in line of no contest above it)$/);
      expect(s.reason).not.toMatch(/0%|read ""/);
    }

    await page.goto(`${server?.url}/preaudit`);
    // The phase-1 checks count the images inside the zip (one per CVR record here), and pass nothing they did not count.
    const checks = (await page.textContent('ul.checks')) ?? '';
    const [, cvrs, images] = /(\d+) CVR records, (\d+) images\./.exec(checks) ?? [];
    expect(Number(images)).toBeGreaterThan(0);
    expect(images).toBe(cvrs);
    expect(checks).toContain('No image without a CVR.');
    expect(checks).toContain('No CVR without an image.');
    // no sheet read yet (every style waits for a person): no rescan looked for, so no pass
    expect(checks).toContain('Ballots scanned twice under another number are looked for once the pre-audit has read the marks.');
    expect(checks).not.toMatch(/all even|Runs once ballot images are captured|Not checked here/);
    await shot('00-preaudit-top');
    const learned = (await page.textContent('[data-testid=styles-learned-from]')) ?? '';
    expect(learned).toContain('from where the ovals are printed on the ES&S sheets, not from a printed code, and the names beside the ovals');
    expect(learned).not.toContain('printed codes');
    const rows = page.locator('[data-testid=preaudit-styles] > table tbody tr');
    expect(await rows.count()).toBe(styles.length);
    for (const [i, s] of styles.entries()) {
      const cells = await rows.nth(i).locator('td').allTextContents();
      expect(cells.slice(0, 4)).toEqual([s.printed, 'Waiting for a person', `${s.targets} found`, 'Not known until mapped']);
    }
    // What was read beside each oval, and why it was not placed: plainly nothing, no "best match … 0%".
    const unplaced = await page.locator('.style-waiting table tbody tr', { hasText: 'nothing legible was read' }).first().locator('td').allTextContents();
    expect(unplaced.slice(1)).toEqual(['(nothing legible)', 'nothing legible was read beside the oval']);
    expect(await page.locator('main').textContent()).not.toMatch(/only 0%|read ""/);
    await page.locator('[data-testid=preaudit-styles]').evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await shot('01-styles-waiting');
    await page.locator('.style-waiting').first().evaluate((e) => e.scrollIntoView({ block: 'start' }));
    await shot('02-style-waiting-reason');

    await page.goto(`${server?.url}/alerts`);
    await shot('04-alerts');
    await page.goto(`${server?.url}/preaudit`);
    // The hand-mapping form says the same beside each numbered oval.
    await page.click(`a[data-testid=map-style][href="/preaudit/styles/${encodeURIComponent(styles[0]!.styleId)}/map"]`);
    await page.waitForSelector('[data-testid=map-picture]');
    expect(await page.locator('.map-choice', { hasText: 'read beside it: nothing legible' }).count()).toBeGreaterThan(0);
    expect(await page.locator('main').textContent()).not.toMatch(/only 0%|best match/);
    expect(await page.textContent('h1')).toBe(`Map ${styles[0]!.printed}`);
    // The picture is the sheet inside the zip, read from the captured zip by its member's name.
    const href = (await page.getAttribute('[data-testid=map-picture] image', 'href')) ?? '';
    const form = provider().styleMapping(styles[0]!.styleId);
    expect(href).toBe(`/api/images/${form?.pages[0]?.imageId}?member=${encodeURIComponent(form?.pages[0]?.member ?? '')}`);
    const picture = await page.request.get(`${server?.url}${href}`);
    expect([picture.status(), picture.headers()['content-type']]).toEqual([200, 'image/png']);
    expect((await sharp(await picture.body()).metadata()).width).toBe(form?.pages[0]?.width);
    await page.waitForLoadState('networkidle');
    await shot('03-map-form');
  });

  it("once a style is mapped and read, independent-cvr.csv names each sheet by the zip and the member inside it that a person opens", async () => {
    // The style with the most waiting sheets whose sheets all print one generated card.
    const style = provider()
      .styles()
      .filter((s) => s.sheetsWaiting > 0)
      .sort((a, b) => b.sheetsWaiting - a.sheetsWaiting)
      .find((s) => new Set(waitingMembers(s.styleId).map((m) => JSON.stringify(truthCardOf(m)))).size === 1);
    if (style === undefined) throw new Error('no learned ES&S style whose sheets print one generated card');
    const members = waitingMembers(style.styleId);
    const card = truthCardOf(members[0] ?? '');
    const form = provider().styleMapping(style.styleId);
    if (form === undefined) throw new Error('no mapping form');
    // What the ballot prints beside each oval, chosen among the imported contests by name, as a person does.
    const truthContests = (JSON.parse(readFileSync(join(out, 'truth', 'election.json'), 'utf8')) as { contests: TruthContest[] }).contests;
    const choiceOf = (t: TruthTarget) => {
      const printed = truthContests.find((c) => c.id === t.contestId);
      const contest = form.contests.find((c) => c.title === printed?.title);
      const name = t.type === 'write-in' ? 'a write-in line' : printed?.options.find((o) => o.id === t.optionId)?.name;
      const option = contest?.options.find((o) => o.name === name);
      if (contest === undefined || option === undefined) throw new Error(`no imported choice for ${t.contestId}/${t.optionId}`);
      return { contestId: contest.id, optionId: option.id };
    };
    const assignments = form.targets.map((t) => {
      const truth = card[t.side].targets.find((x) => x.column * DASHES_PER_PITCH === t.column && x.row * DASHES_PER_PITCH === t.row);
      return { side: t.side, column: t.column, row: t.row, choice: truth === undefined ? null : choiceOf(truth) };
    });
    assertOk(service.mapStyleByHand(style.styleId, assignments, 'olivia'));
    assertOk(await service.runOnce());

    const contests = contestsFromImports(db);
    if (!contests.ok) throw new Error(contests.error.message);
    const written = await writeIndependentCvr(db, root, contests.value.contests);
    const lines = readFileSync(written.path, 'utf8').trim().split('\r\n').slice(1);
    const files = new Set(lines.map((l) => /^[^,]*,("[^"]*"|[^,]*),/.exec(l)?.[1] ?? ''));
    // Every sheet of the style, each by the zip's name and its member, as the zip lists it.
    expect([...files].sort()).toEqual(members.map((m) => `${ZIP} > ${m}`).sort());
    const listed = execFileSync('unzip', ['-Z1', join(out, 'ess-zip', ZIP)], { encoding: 'utf8' }).split('\n').map((n) => n.replaceAll('\\', '/'));
    for (const m of members) {
      expect(m).toMatch(/^[^/]+\/[^/]+\/\d+i\.pdf$/); // <precinct>/<party>/<id>i.pdf
      expect(listed).toContain(m);
    }
    // A read sheet's picture (as the disagreement page links it) is its member inside the zip.
    const read = db.prepare(`SELECT sheet_key, files_json FROM preaudit_sheets WHERE style_id = ? AND status = 'read' LIMIT 1`).get(style.styleId) as { sheet_key: string; files_json: string };
    const at = locateContest(db, read.sheet_key, card.front.targets[0]?.contestId === undefined ? '' : choiceOf(card.front.targets[0]).contestId);
    expect(at?.member).toBe(((JSON.parse(read.files_json) as string[])[0] ?? '').split('\u0000')[1]);
    const shown = await page.request.get(`${server?.url}${ballotImageHref(at?.fileVersionId ?? 0, at?.page.page ?? 0, at?.member)}`);
    expect([shown.status(), shown.headers()['content-type']]).toEqual([200, 'image/png']);

    // The report's evidence pictures of those sheets are cut from the members inside the zip.
    const report = await buildPreauditReport(db, vaultDir, join(root, 'report'), { contests: contests.value.contests });
    const entries = [...report.disagreements, ...report.gray];
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      expect(e.evidence, e.ballotKey).not.toBeNull();
      // …and name the file inside the zip whose page they are, as the zip lists it.
      expect(members).toContain(e.zipMember);
      const meta = await sharp(join(root, 'report', e.evidence ?? '')).metadata();
      // ES&S prints the names right of the ovals: the picture reaches 2 in (400 px at 200 dpi) past them, not 3 dash pitches.
      expect([meta.format, (meta.width ?? 0) >= 400]).toEqual(['png', true]);
    }
    copyFileSync(join(root, 'report', entries[0]?.evidence ?? ''), join(artifacts, '05-gray-evidence.png'));

    // A disagreement on such a sheet (the generator flipped some CVR votes), as a person opens it.
    expect(report.disagreements.length).toBeGreaterThan(0);
    await page.goto(`${server?.url}/preaudit/disagreements/${report.disagreements[0]?.id}`);
    await page.waitForLoadState('networkidle');
    const closeup = page.locator('[data-testid=contest-closeup]');
    const closeHref = (await closeup.locator('image').getAttribute('href')) ?? '';
    expect(closeHref).toContain(`member=${encodeURIComponent(report.disagreements[0]?.zipMember ?? '-')}`);
    expect((await page.request.get(`${server?.url}${closeHref}`)).status()).toBe(200);
    // The close-up reaches right of the ovals, where ES&S prints the names.
    const [vx = 0, , vw = 0] = ((await closeup.getAttribute('viewBox')) ?? '').split(' ').map(Number);
    const ovals = await closeup.locator('rect').evaluateAll((rs) => rs.map((r) => ({ x: Number(r.getAttribute('x')), width: Number(r.getAttribute('width')) })));
    const ovalsLeft = Math.min(...ovals.map((o) => o.x));
    const ovalsRight = Math.max(...ovals.map((o) => o.x + o.width));
    expect(vx + vw - ovalsRight).toBeGreaterThan(4 * (ovalsLeft - vx));
    // Write-in lines are named as the EMS numbers them, never by an internal id.
    expect(await page.locator('main').textContent()).not.toMatch(/write-in-\d/);
    await shot('06-disagreement');
  });
});
