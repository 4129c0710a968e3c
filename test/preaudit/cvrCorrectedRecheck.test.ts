/**
 * Issue #19: a sheet set aside because its CVR named another ballot type than the style the sheet
 * prints is checked again once a corrected CVR export is imported. A generated election is captured
 * and imported with one session's ballot type changed to another style's; the pre-audit service
 * sets that sheet aside. The export is then corrected in the watched folder (as an EMS re-export
 * would), captured and imported again, and the next pass reads the sheet and compares it, once.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { CaptureService } from '../../daemon/capture/captureService.ts';
import { dataPaths, parseConfig, type Config } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { importPendingCatalogFiles } from '../../daemon/importer/service.ts';
import { PreauditService } from '../../daemon/preaudit/service.ts';
import { STYLE_NOT_CVR_TYPE_CODE } from '../../daemon/preaudit/styleFromCvr.ts';
import { sheetStates } from '../../daemon/preaudit/store.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { sampleKeys } from './accuracy.ts';
import { readSampleLayouts } from './sampleElection.ts';

interface Session { TabulatorId: number; BatchId: number; RecordId: number; Original: { BallotTypeId: number }; Modified?: { BallotTypeId: number } }

const root = mkdtempSync(join(tmpdir(), 'ballotsafe-cvr-recheck-'));
const exportDir = join(root, 'export', 'dominion');
let db: Db;
let config: Config;
let capture: CaptureService;
let service: PreauditService;
let sheetCount = 0;
/** The sheet whose CVR is edited, as the pre-audit keys it (`d:<tabulator>_<batch>_<record>#<file ids>`). */
let editedPrefix = '';
let cvrFile = '';
let original = '';

async function captureAndImport(): Promise<void> {
  await capture.scanAll();
  await capture.settle(10_000);
  expect((await importPendingCatalogFiles(db, dataPaths(config).vault, silentLogger())).failures).toEqual([]);
}

const edited = () => sheetStates(db).filter((r) => r.sheet_key.startsWith(editedPrefix));

beforeAll(async () => {
  const out = join(root, 'export');
  const g = await generateSampleElection({ out, seed: 2026, ballots: 9, precincts: 3, format: 'dominion', batchSize: 20, discrepancies: { flip: 0, drop: 0, dup: 0, totals: 0 } });
  if (!g.ok) throw new Error(g.error.message);
  // A single-card style's sheet, given (in its CVR) the ballot type of another single-card style.
  const index = JSON.parse(readFileSync(join(out, 'truth', 'index.json'), 'utf8')) as { images: { styleId: string; card: number; paths: string[] }[] };
  sheetCount = index.images.length;
  const multiCard = new Set(index.images.filter((i) => i.card > 1).map((i) => i.styleId));
  const single = index.images.filter((i) => !multiCard.has(i.styleId));
  const target = single[0]!;
  const other = single.find((i) => i.styleId !== target.styleId)!;
  expect(other).toBeDefined();
  const idOf = (p: string) => basename(p, '.tif').split('_').map(Number);
  const [tab, batch, record] = idOf(target.paths[0]!);
  const [otab, obatch, orecord] = idOf(other.paths[0]!);
  editedPrefix = `d:${tab}_${batch}_${record}#`;
  const files = readdirSync(exportDir).filter((f) => /^CvrExport_\d+\.json$/.test(f));
  const sessions = (f: string) => (JSON.parse(readFileSync(join(exportDir, f), 'utf8')) as { Sessions: Session[] }).Sessions;
  const find = (t?: number, b?: number, r?: number) => files.flatMap((f) => sessions(f).map((s) => ({ f, s }))).find(({ s }) => s.TabulatorId === t && s.BatchId === b && s.RecordId === r)!;
  const otherType = find(otab, obatch, orecord).s.Original.BallotTypeId;
  cvrFile = find(tab, batch, record).f;
  original = readFileSync(join(exportDir, cvrFile), 'utf8');
  const doc = JSON.parse(original) as { Sessions: Session[] };
  const s = doc.Sessions.find((x) => x.TabulatorId === tab && x.BatchId === batch && x.RecordId === record)!;
  expect(s.Original.BallotTypeId).not.toBe(otherType);
  s.Original.BallotTypeId = otherType;
  if (s.Modified !== undefined) s.Modified.BallotTypeId = otherType;
  writeFileSync(join(exportDir, cvrFile), JSON.stringify(doc));

  config = assertOk(
    parseConfig(
      { election: { name: 't', title: 'Sample County General Election' }, dataDir: 'var', roots: [{ label: 'dominion-export', path: 'export/dominion' }], drives: { mode: 'folders', a: 'drive-a', b: 'drive-b' }, log: { level: 'silent' } },
      root,
    ),
  );
  db = openStateDatabase(dataPaths(config).database);
  capture = new CaptureService({ config, db, logger: silentLogger() });
  await captureAndImport();
  const layouts = assertOk(readSampleLayouts(join(out, 'truth')));
  service = new PreauditService({ db, vaultDir: dataPaths(config).vault, logger: silentLogger(), workers: 1, layouts: { layouts: [...layouts.values()], keys: sampleKeys(join(out, 'truth')), source: 'the generator\'s layouts' } });
}, 180_000);

afterAll(() => {
  db?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('a sheet set aside for its CVR\'s ballot type, after a corrected CVR is imported', () => {
  it('is set aside while its CVR names another style\'s type, and not compared', async () => {
    const first = assertOk(await service.runOnce());
    expect(edited()).toMatchObject([{ status: 'error', error_code: STYLE_NOT_CVR_TYPE_CODE }]);
    expect(first.ballotsCompared).toBe(sheetCount - 1);
    // Passes with nothing new leave it so.
    assertOk(await service.runOnce());
    expect(edited()).toMatchObject([{ status: 'error', error_code: STYLE_NOT_CVR_TYPE_CODE }]);
  }, 120_000);

  it('is read and compared once the corrected export is imported; the set-aside is gone and every sheet counted once', async () => {
    writeFileSync(join(exportDir, cvrFile), original);
    await captureAndImport();
    const pass = assertOk(await service.runOnce());
    expect(edited()).toMatchObject([{ status: 'read', error_code: null, style_from: 'printed-code' }]);
    expect(sheetStates(db).filter((r) => r.error_code === STYLE_NOT_CVR_TYPE_CODE)).toEqual([]);
    expect(sheetStates(db).filter((r) => r.status === 'read')).toHaveLength(sheetCount);
    expect(pass.ballotsCompared).toBe(sheetCount);
    expect(pass.disagreements).toBe(0);
    const compared = db.prepare<[string], { n: number }>(`SELECT count(DISTINCT ballot_key) AS n FROM preaudit_comparisons WHERE ballot_key LIKE ?`).get(`${editedPrefix.slice(0, -1)}%`);
    expect(compared?.n).toBe(1);
    // Settled: the next pass reads nothing again.
    const again = assertOk(await service.runOnce());
    expect(again.progress.skipped).toBe(again.progress.total);
  }, 120_000);
});
