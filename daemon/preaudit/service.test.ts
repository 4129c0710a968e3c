/**
 * End to end on a generated election with two flipped CVR votes: capture into a temp data dir,
 * import the CVRs from the catalog, run the PreauditService over the catalog (the ballot styles
 * learned from the images and the imported manifests; the generator's truth folder is not read),
 * and check that the flipped ballots, and only they, disagree.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { CaptureService } from '../capture/captureService.ts';
import { dataPaths, parseConfig, type Config } from '../core/config.ts';
import { openStateDatabase, type Db } from '../runtime/stateDatabase.ts';
import { importPendingCatalogFiles } from '../importer/service.ts';
import { silentLogger } from '../core/log/logger.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { createOcrEngine, type OcrEngine } from './ocr.ts';
import { placeholderStyleId, type StyleLayout, type TargetPosition } from './layout.ts';
import { type HandAssignment, PreauditService, type PassResult, WRITE_IN_CHOICE } from './service.ts';
import { PreauditWebProvider } from './webProvider.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const root = mkdtempSync(path.join(tmpdir(), 'preaudit-service-'));
let db: Db | undefined;
let config: Config;
let pass: PassResult;
let flips: { sheetId: string; contestId: string }[];
let service: PreauditService;
let election: { contests: { id: string; dominionId: number }[] };
let ocr: OcrEngine;
let ocrReads = 0;
/** The Governor's definitions removed by the needs-person test, put back by the next one. */
let removedDefinitions: { contests: Record<string, unknown>[]; options: Record<string, unknown>[] } | undefined;
/** The real engine, counting its reads (the second service must not read again). */
const countingOcr: OcrEngine = {
  read: (...args) => {
    ocrReads++;
    return ocr.read(...args);
  },
  close: async () => undefined,
};
afterAll(async () => {
  db?.close();
  await ocr?.close();
  rmSync(root, { recursive: true, force: true });
});

beforeAll(async () => {
  ocr = await createOcrEngine();
  const out = path.join(root, 'export');
  const g = await generateSampleElection({ out, seed: 7301, ballots: 40, format: 'dominion', discrepancies: { flip: 2, drop: 0, dup: 0, totals: 0 } });
  if (!g.ok) throw new Error(g.error.message);
  const raw = { election: { name: 't', title: 'T' }, dataDir: 'var', roots: [{ label: 'dominion-export', path: 'export/dominion' }], log: { level: 'silent' } };
  writeFileSync(path.join(root, 'config.json'), JSON.stringify(raw));
  const parsed = parseConfig(raw, root);
  if (!parsed.ok) throw new Error(parsed.error.message);
  config = parsed.value;
  db = openStateDatabase(dataPaths(config).database);
  const capture = new CaptureService({ config, db, logger: silentLogger() });
  await capture.scanAll();
  await capture.settle(10_000);
  const imported = await importPendingCatalogFiles(db, dataPaths(config).vault, silentLogger());
  expect(imported.failures).toEqual([]);
  // The answers are read, then the generator's truth folder is moved out of reach: no layout files.
  const truth = JSON.parse(readFileSync(path.join(out, 'truth', 'discrepancies.json'), 'utf8')) as { discrepancies: { kind: string; sheetId: string; contestId: string }[] };
  election = JSON.parse(readFileSync(path.join(out, 'truth', 'election.json'), 'utf8')) as typeof election;
  renameSync(path.join(out, 'truth'), path.join(root, 'answers'));
  expect(existsSync(path.join(out, 'truth'))).toBe(false);
  service = new PreauditService({ db, vaultDir: dataPaths(config).vault, logger: silentLogger(), rootPaths: config.roots.map((r) => r.path), workers: 2, ocr: countingOcr });
  const r = await service.runOnce();
  if (!r.ok) throw new Error(r.error.message);
  pass = r.value;
  // Learned layouts name contests by the CVR's keys (Dominion contest ids).
  const dominionId = new Map(election.contests.map((c) => [c.id, String(c.dominionId)]));
  flips = truth.discrepancies.filter((d) => d.kind === 'flip').map((d) => ({ ...d, contestId: dominionId.get(d.contestId) ?? d.contestId }));
}, 300_000);

describe('PreauditService', () => {
  it('learns every style from the images and maps it by OCR, none left for a person', () => {
    expect(pass.layouts.source).toContain('learned from the ballot images');
    expect(pass.layouts.needsMapping).toEqual([]);
    expect(pass.layouts.layouts.length).toBeGreaterThanOrEqual(4);
    expect(ocrReads).toBeGreaterThan(0);
    const cached = db!.prepare(`SELECT status, count(*) AS n FROM preaudit_learned_styles GROUP BY status`).all();
    expect(cached).toEqual([{ status: 'mapped', n: pass.layouts.layouts.length }]);
  });

  it('reads every captured sheet and compares each with its CVR', () => {
    expect(pass.progress.errors).toBe(0);
    expect(pass.sheets.length).toBeGreaterThanOrEqual(40);
    expect(pass.ballotsCompared).toBe(pass.sheets.length);
    expect(pass.ballotsWithoutCvr).toBe(0);
  });

  it('finds the flipped votes and nothing else disagrees', () => {
    expect(flips).toHaveLength(2);
    const rows = db!.prepare(`SELECT ballot_key, contest_id FROM preaudit_comparisons WHERE verdict = 'disagree' ORDER BY ballot_key`).all() as { ballot_key: string; contest_id: string }[];
    expect(rows.map((r) => r.contest_id).sort()).toEqual(flips.map((f) => f.contestId).sort());
    expect(pass.disagreements).toBe(2);
    const alerts = db!.prepare(`SELECT code, message FROM alerts WHERE code = 'preaudit-disagreement'`).all() as { message: string }[];
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.message).toContain('2 contest readings');
  });

  it('is resumable: a second pass reads nothing again, repeats no OCR (cached styles) and keeps the comparison ids', async () => {
    const before = db!.prepare(`SELECT id FROM preaudit_comparisons WHERE verdict = 'disagree' ORDER BY id`).all();
    const readsBefore = ocrReads;
    const again = await new PreauditService({ db: db!, vaultDir: dataPaths(config).vault, logger: silentLogger(), rootPaths: config.roots.map((r) => r.path), ocr: countingOcr }).runOnce();
    if (!again.ok) throw new Error(again.error.message);
    expect(ocrReads).toBe(readsBefore);
    expect(again.value.layouts.layouts).toEqual(pass.layouts.layouts);
    expect(again.value.progress.skipped).toBe(again.value.sheets.length);
    expect(db!.prepare(`SELECT id FROM preaudit_comparisons WHERE verdict = 'disagree' ORDER BY id`).all()).toEqual(before);
  });

  it('serves the disagreements to the web UI with the image and target boxes', () => {
    const web = new PreauditWebProvider(db!, () => service.status());
    expect(web.status()).toMatchObject({ state: 'done', disagreements: 2 });
    const list = web.disagreements(10);
    expect(list).toHaveLength(2);
    const d = web.disagreement(list[0]!.id);
    expect(d).toBeDefined();
    expect(d!.imageWidth).toBeGreaterThan(1000);
    const contestTargets = d!.targets.filter((t) => t.contest === d!.contest);
    expect(contestTargets.length).toBeGreaterThanOrEqual(2);
    // the CVR's vote and the image's mark differ on at least one target of the contest
    expect(contestTargets.some((t) => t.marked !== t.cvrMarked)).toBe(true);
    for (const t of d!.targets) {
      expect(t.x).toBeGreaterThanOrEqual(0);
      expect(t.x + t.width).toBeLessThanOrEqual(d!.imageWidth);
    }
    const obj = db!.prepare(`SELECT kind FROM file_versions WHERE id = ?`).get(d!.imageId) as { kind: string };
    expect(obj.kind).toBe('ballot-image');
    expect(web.disagreement(999_999)).toBeUndefined();
  });
});

describe('ballotsafe preaudit', () => {
  it('writes the JSON and XLSX reports with an evidence crop per disagreement and exits 1', async () => {
    const out = path.join(root, 'reports-out');
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'ballotsafe.js'), 'preaudit', '--config', path.join(root, 'config.json'), '--out', out], {
      encoding: 'utf8',
      env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'silent' },
      timeout: 60_000,
    });
    expect(run.status, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/\s2 {2}contests disagreeing with the CVR/);
    const report = JSON.parse(readFileSync(path.join(out, 'preaudit-report.json'), 'utf8')) as {
      ballotsCompared: number;
      disagreements: { contestId: string; evidence: string | null; catalogFileId: number | null }[];
      contests: { contestId: string; disagreed: number; nonVariant: number; ballots: number }[];
    };
    expect(report.ballotsCompared).toBe(pass.sheets.length);
    expect(report.disagreements.map((d) => d.contestId).sort()).toEqual(flips.map((f) => f.contestId).sort());
    for (const d of report.disagreements) {
      expect(d.evidence).not.toBeNull();
      const meta = await sharp(path.join(out, d.evidence!)).metadata();
      expect(meta.format).toBe('png');
      expect(meta.width).toBeGreaterThan(100);
      expect(meta.height).toBeGreaterThan(50);
    }
    expect(report.contests.reduce((n, c) => n + c.disagreed, 0)).toBe(2);
    expect(existsSync(path.join(out, 'preaudit-discrepancies.xlsx'))).toBe(true);
  });

  it('exits 2 when there is no election data to learn the styles with', () => {
    const lone = path.join(root, 'lone');
    const cfg = path.join(root, 'lone.json');
    writeFileSync(cfg, JSON.stringify({ election: { name: 'l', title: 'L' }, dataDir: 'lone-var', roots: [{ label: 'x', path: 'lone' }], log: { level: 'silent' } }));
    spawnSync('mkdir', ['-p', lone]);
    const run = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'ballotsafe.js'), 'preaudit', '--config', cfg], { encoding: 'utf8', env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'silent' } });
    expect(run.status, run.stdout + run.stderr).toBe(2);
    expect(run.stderr).toContain('no contest names have been imported');
  });
});

describe('an unreadable image', () => {
  it('is stored as an error with one alert naming the file, and the pass goes on', async () => {
    writeFileSync(path.join(root, 'export', 'dominion', '99999_00001_000001.tif'), Buffer.from('II*\0 not really a tiff'));
    const capture = new CaptureService({ config, db: db!, logger: silentLogger() });
    await capture.scanAll();
    await capture.settle(10_000);
    const r = await new PreauditService({ db: db!, vaultDir: dataPaths(config).vault, logger: silentLogger(), rootPaths: config.roots.map((x) => x.path), ocr: countingOcr }).runOnce();
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.progress.errors).toBe(1);
    expect(r.value.disagreements).toBe(2);
    const alerts = db!.prepare(`SELECT code, subject FROM alerts WHERE code LIKE 'preaudit-image-%'`).all() as { code: string; subject: string }[];
    expect(alerts).toEqual([{ code: 'preaudit-image-corrupt', subject: 'dominion-export:99999_00001_000001.tif' }]);
  });
});

describe('styles missing from the learning sample', () => {
  it('are learned from the sheets that turned up unknown and read in the same pass', async () => {
    const styles = db!.prepare(`SELECT count(*) AS n FROM preaudit_learned_styles`).get() as { n: number };
    // As if the first sample had met only style 1: the other styles turn up when reading.
    db!.prepare(`DELETE FROM preaudit_learned_styles WHERE style_id NOT LIKE 'style-1/%'`).run();
    db!.prepare(`DELETE FROM preaudit_sheets`).run();
    const svc = new PreauditService({ db: db!, vaultDir: dataPaths(config).vault, logger: silentLogger(), ocr: countingOcr, workers: 2 });
    const r = await svc.runOnce();
    if (!r.ok) throw new Error(r.error.message);
    expect(db!.prepare(`SELECT count(*) AS n FROM preaudit_learned_styles`).get()).toEqual(styles);
    expect(db!.prepare(`SELECT count(*) AS n FROM preaudit_sheets WHERE error_code = 'preaudit-style-unresolved'`).get()).toEqual({ n: 0 });
    // only the corrupt file is unreadable, and the flipped votes are found again
    expect(r.value.progress.errors).toBe(1);
    expect(r.value.disagreements).toBe(2);
    expect(db!.prepare(`SELECT count(*) AS n FROM alerts WHERE code IN ('preaudit-style-unresolved', 'preaudit-style-needs-mapping')`).get()).toEqual({ n: 0 });
    expect(r.value.layouts.layouts.length).toBe(styles.n);
  }, 240_000);
});

describe('a ballot style whose printed names match no imported contest', () => {
  it('is set aside for a person: its sheets are not read, one alert per style, the status says so, the other styles are read', async () => {
    // The manifests as if the Governor's race were missing from the election definition.
    const governor = String(election.contests.find((c) => c.id === 'contest-governor')!.dominionId);
    removedDefinitions = {
      contests: db!.prepare(`SELECT * FROM import_contests WHERE contest_key = ?`).all(governor) as Record<string, unknown>[],
      options: db!.prepare(`SELECT * FROM import_options WHERE contest_key = ?`).all(governor) as Record<string, unknown>[],
    };
    db!.prepare(`DELETE FROM import_options WHERE contest_key = ?`).run(governor);
    db!.prepare(`DELETE FROM import_contests WHERE contest_key = ?`).run(governor);
    const svc = new PreauditService({ db: db!, vaultDir: dataPaths(config).vault, logger: silentLogger(), rootPaths: config.roots.map((x) => x.path), ocr: countingOcr });
    const r = await svc.runOnce();
    if (!r.ok) throw new Error(r.error.message);
    const waiting = r.value.layouts.needsMapping ?? [];
    expect(waiting.length).toBeGreaterThan(0);
    // no learned layout maps the Governor's targets to anything
    for (const l of r.value.layouts.layouts) expect(l.contests.some((c) => c.title === 'Governor')).toBe(false);
    const mapped = r.value.layouts.layouts.filter((l) => l.targets.length > 0);
    expect(mapped.length).toBeGreaterThan(0);
    const setAside = db!.prepare(`SELECT count(*) AS n FROM preaudit_sheets WHERE error_code = 'preaudit-style-needs-mapping'`).get() as { n: number };
    expect(setAside.n).toBeGreaterThan(0);
    expect(db!.prepare(`SELECT count(*) AS n FROM preaudit_sheets WHERE status = 'read' AND style_id LIKE 'needs-person:%'`).get()).toEqual({ n: 0 });
    // the set-aside sheets keep no verdicts; the others are still compared
    expect(db!.prepare(`SELECT count(*) AS n FROM preaudit_comparisons c JOIN preaudit_sheets s ON s.sheet_key = c.sheet_key WHERE s.status = 'error'`).get()).toEqual({ n: 0 });
    expect(r.value.ballotsCompared).toBeGreaterThan(0);
    const alerts = db!.prepare(`SELECT subject, message FROM alerts WHERE code = 'preaudit-style-needs-mapping' ORDER BY subject`).all() as { subject: string; message: string }[];
    expect(alerts.map((a) => a.subject)).toEqual(waiting.map((w) => w.styleId).sort());
    expect(alerts[0]!.message).toMatch(/was not read: the names printed beside its targets could not all be matched/);
    // the count of waiting styles and of their sheets, in words (no "(s)")
    expect(svc.status().message).toContain(`${waiting.length === 1 ? '1 ballot style needs' : `${waiting.length} ballot styles need`} a person to map ${waiting.length === 1 ? 'it' : 'them'}`);
    expect(svc.status().message).toMatch(new RegExp(`their ${setAside.n} sheets were not read|its 1 sheet was not read`));
    const web = new PreauditWebProvider(db!, () => svc.status());
    expect(web.status().message).toMatch(/need a person to map/);
    // The Pre-audit page's styles: the waiting ones last, with their sheets not read and why.
    const styles = web.styles();
    expect(styles.filter((st) => st.status === 'needs-person').map((st) => st.styleId)).toEqual(waiting.map((w) => w.styleId).sort());
    expect(styles.findIndex((st) => st.status === 'needs-person')).toBe(styles.length - waiting.length);
    for (const st of styles) {
      if (st.status === 'mapped') {
        expect(st.targets).toBeGreaterThan(0);
        expect(st.sheetsRead).toBeGreaterThan(0);
        expect(st.sheetsWaiting).toBe(0);
      } else {
        // Waiting (#21): the targets found on its pages, placed or not, and no contest count until a person maps it.
        const w = waiting.find((x) => x.styleId === st.styleId);
        expect([st.targets, st.contests, st.sheetsRead]).toEqual([(w?.placed.length ?? -1) + (w?.unresolved.length ?? 0), null, 0]);
        expect(st.reason).toMatch(/could not be matched|options/);
        expect(st.unresolved.length).toBeGreaterThan(0);
      }
    }
    expect(styles.reduce((n, st) => n + st.sheetsWaiting, 0)).toBe(setAside.n);
    // What a person maps on: every target of the style numbered, each with its box on a sample
    // page of the catalog, the matcher's placements preselected.
    for (const w of waiting) {
      const form = web.styleMapping(w.styleId);
      if (form === undefined) throw new Error(`no mapping form for ${w.styleId}`);
      expect(form.targets.length).toBe(w.placed.length + w.unresolved.length);
      expect(form.targets.map((t) => t.number)).toEqual(form.targets.map((_, i) => i + 1));
      expect(form.targets.every((t) => t.box !== null && t.box.width > 10)).toBe(true);
      expect(form.targets.filter((t) => t.current !== null)).toHaveLength(w.placed.length);
      expect(form.pages.map((p) => p.side).sort()).toEqual([...new Set(form.targets.map((t) => t.side))].sort());
      for (const p of form.pages) {
        const kind = db!.prepare(`SELECT kind FROM file_versions WHERE id = ?`).get(p.imageId) as { kind: string };
        expect(kind.kind).toBe('ballot-image');
      }
      expect(form.sheetsWaiting).toBe(styles.find((st) => st.styleId === w.styleId)?.sheetsWaiting);
    }
    expect(web.styleMapping(styles.find((st) => st.status === 'mapped')!.styleId)).toBeUndefined();
    // a restart neither repeats the OCR nor the alerts
    const reads = ocrReads;
    const again = await new PreauditService({ db: db!, vaultDir: dataPaths(config).vault, logger: silentLogger(), ocr: countingOcr }).runOnce();
    if (!again.ok) throw new Error(again.error.message);
    expect(ocrReads).toBe(reads);
    expect(db!.prepare(`SELECT count(*) AS n FROM alerts WHERE code = 'preaudit-style-needs-mapping'`).get()).toEqual({ n: alerts.length });
  }, 240_000);

  it('is learned again by itself once the missing contest is imported, and its sheets are read and compared', async () => {
    // What the page tells the operator to do: import the definitions that name the contest.
    const insert = (table: string, row: Record<string, unknown>) =>
      db!.prepare(`INSERT INTO ${table} (${Object.keys(row).join(', ')}) VALUES (${Object.keys(row).map((k) => `@${k}`).join(', ')})`).run(row);
    for (const row of removedDefinitions!.contests) insert('import_contests', row);
    for (const row of removedDefinitions!.options) insert('import_options', row);
    const svc = new PreauditService({ db: db!, vaultDir: dataPaths(config).vault, logger: silentLogger(), ocr: countingOcr, workers: 2 });
    const r = await svc.runOnce();
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value.layouts.needsMapping ?? []).toEqual([]);
    expect(db!.prepare(`SELECT count(*) AS n FROM preaudit_sheets WHERE error_code = 'preaudit-style-needs-mapping'`).get()).toEqual({ n: 0 });
    const styles = new PreauditWebProvider(db!, () => svc.status()).styles();
    expect(styles.every((st) => st.status === 'mapped' && st.sheetsWaiting === 0)).toBe(true);
    expect(r.value.layouts.layouts.some((l) => l.contests.some((c) => c.title === 'Governor'))).toBe(true);
    // every sheet is read again, and the flipped votes are found again
    expect(r.value.disagreements).toBe(2);
  }, 240_000);
});

describe('a ballot style mapped by hand', () => {
  it('is checked like a learned mapping, then read and compared like any other style', async () => {
    const svc = new PreauditService({ db: db!, vaultDir: dataPaths(config).vault, logger: silentLogger(), ocr: countingOcr, workers: 2 });
    const signature = (db!.prepare(`SELECT definitions_sha256 AS s FROM preaudit_learned_styles ORDER BY learned_at DESC LIMIT 1`).get() as { s: string }).s;
    const row = db!.prepare(`SELECT style_id, layout_json FROM preaudit_learned_styles WHERE definitions_sha256 = ? AND status = 'mapped' ORDER BY style_id LIMIT 1`).get(signature) as { style_id: string; layout_json: string };
    const learned = JSON.parse(row.layout_json) as StyleLayout;
    // As if OCR had placed none of its targets: the style waits for a person, its sheets set aside.
    const placeholder: StyleLayout = { ...learned, styleId: placeholderStyleId(learned.styleId), targets: [], contests: [] };
    db!.prepare(`UPDATE preaudit_learned_styles SET status = 'needs-person', layout_json = ?, reason = 'test', unresolved_json = ?, mapping_json = NULL WHERE definitions_sha256 = ? AND style_id = ?`).run(
      JSON.stringify(placeholder),
      JSON.stringify(learned.targets.map((t) => ({ side: t.side, column: t.column, row: t.row, text: '', reason: 'no text' }))),
      signature,
      learned.styleId,
    );
    const setAside = db!
      .prepare(`UPDATE preaudit_sheets SET status = 'error', error_code = 'preaudit-style-needs-mapping', style_id = ?, reading_json = NULL, pages_json = NULL WHERE style_id = ?`)
      .run(placeholder.styleId, learned.styleId).changes;
    expect(setAside).toBeGreaterThan(0);
    const choices = (targets: readonly TargetPosition[]): HandAssignment[] =>
      targets.map((t) => ({ side: t.side, column: t.column, row: t.row, choice: { contestId: t.contestId, optionId: t.isWriteIn ? WRITE_IN_CHOICE : t.optionId } }));

    const incomplete = svc.mapStyleByHand(learned.styleId, choices(learned.targets.slice(1)), 'olivia');
    expect(incomplete.ok ? 'ok' : incomplete.error.code).toBe('preaudit-mapping-incomplete');
    // one candidate's target called "not a voting target": its contest would show only some of its options
    const option = learned.targets.find((t) => !t.isWriteIn)!;
    const partial = choices(learned.targets).map((a) => (a.column === option.column && a.row === option.row && a.side === option.side ? { ...a, choice: null } : a));
    const inconsistent = svc.mapStyleByHand(learned.styleId, partial, 'olivia');
    expect(inconsistent.ok ? 'ok' : inconsistent.error.code).toBe('preaudit-mapping-inconsistent');
    const unknown = svc.mapStyleByHand(learned.styleId, choices(learned.targets).map((a, i) => (i === 0 ? { ...a, choice: { contestId: 'no-such-contest', optionId: 'x' } } : a)), 'olivia');
    expect(unknown.ok ? 'ok' : unknown.error.code).toBe('preaudit-mapping-option-unknown');

    const alert = new AlertLog(db!, silentLogger()).raise({ severity: 'warning', code: 'preaudit-style-needs-mapping', message: 'test', subject: learned.styleId });
    const mapped = svc.mapStyleByHand(learned.styleId, choices(learned.targets), 'olivia');
    if (!mapped.ok) throw new Error(mapped.error.message);
    // the style's alert is done: acknowledged by the person who mapped it
    expect(db!.prepare(`SELECT acknowledged_by FROM alerts WHERE id = ?`).get(alert)).toEqual({ acknowledged_by: 'olivia' });
    expect(mapped.value).toEqual({ targets: learned.targets.length, sheetsToRead: setAside });
    // the person's mapping is the learned one again, write-in lines numbered in the EMS's order
    const stored = db!.prepare(`SELECT status, layout_json, mapped_by FROM preaudit_learned_styles WHERE definitions_sha256 = ? AND style_id = ?`).get(signature, learned.styleId) as { status: string; layout_json: string; mapped_by: string };
    expect([stored.status, stored.mapped_by]).toEqual(['mapped', 'olivia']);
    expect((JSON.parse(stored.layout_json) as StyleLayout).targets).toEqual(learned.targets);
    expect(svc.mapStyleByHand(learned.styleId, choices(learned.targets), 'olivia').ok).toBe(false); // not waiting any more
    // the Pre-audit page says who mapped it
    expect(new PreauditWebProvider(db!, () => svc.status()).styles().find((st) => st.styleId === learned.styleId)).toMatchObject({ status: 'mapped', mappedBy: 'olivia' });

    const r = await svc.runOnce();
    if (!r.ok) throw new Error(r.error.message);
    expect(db!.prepare(`SELECT count(*) AS n FROM preaudit_sheets WHERE style_id = ? AND status = 'read'`).get(learned.styleId)).toEqual({ n: setAside });
    expect(db!.prepare(`SELECT count(*) AS n FROM preaudit_sheets WHERE style_id = ?`).get(placeholder.styleId)).toEqual({ n: 0 });
    expect(r.value.disagreements).toBe(2);
  }, 240_000);
});
