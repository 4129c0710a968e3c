import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, describe, expect, it } from 'vitest';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import type { Db } from '../core/db/database.ts';
import { arloManifestCsv, arloManifestRows, exportArloManifest, validateArloManifest } from './arlo.ts';
import { importLocalFile } from './importFile.ts';
import { cvrsForImage, imagesForCvr } from './imageLinks.ts';
import { buildPhase1Report } from './report.ts';
import { ImportService, importPendingCatalogFiles, refreshPhase1Report } from './service.ts';
import { silentLogger } from '../core/log/logger.ts';
import { csvText, dominionCorpus, importTestDb, tempDir, writeXlsx } from './testSupport.ts';
import { readSheetFills } from '../preaudit/viewStore.ts';

let inode = 1;
/** Adds a catalog row the way the capture layer would (tests own the vault folder). */
function catalog(db: Db, root: string, relPath: string, kind: string, content: Buffer | string, vault?: string): void {
  const bytes = Buffer.isBuffer(content) ? content : Buffer.from(content);
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (vault !== undefined) {
    const p = vaultObjectPath(vault, sha);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, bytes);
  }
  const now = new Date().toISOString();
  db.prepare(
    `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
     VALUES (?, ?, ?, ?, '0', '0', ?, ?, ?, ?, ?)`,
  ).run(root, relPath, Buffer.from(relPath), bytes.length, String(inode++), sha, kind, now, now);
}

describe('phase-1 report', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('finds missing images, missing CVRs, duplicates, EIF differences and totals outside the suppressed allowance', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const db = importTestDb();
    writeFileSync(
      join(dir, 'cvr.csv'),
      csvText([
        ['Cast Vote Record', 'Precinct', 'Ballot Style', 'Mayor', 'Council'],
        [1, 'P1', 'S1', 'Alice Ames', 'Cy Cole'],
        [2, 'P1', 'S1', 'Alice Ames', 'Write-in'],
        [3, 'P1', 'S1', 'Bob Burns', 'Cy Cole'],
        [4, 'P1', 'S1', 'Bob Burns', 'undervote'],
        [5, 'P1', 'S1', 'Alice Ames', 'Cy Cole'],
        [5, 'P1', 'S1', 'Alice Ames', 'Cy Cole'],
        [6, 'P1', 'S1', 'overvote', 'Cy Cole'],
      ]),
    );
    await writeXlsx(join(dir, 'eif.xlsx'), [
      ['Official_Contest_Name', 'Vote_for', 'Official_Options', 'Party', 'CVR_Contest_Name', 'CVR_Options'],
      ['Mayor of Town', 1, 'Alice Ames', 'DEM', 'Mayor', 'Alice Ames'],
      ['', '', 'Bob Burns', 'REP', '', 'Bob Burns'],
      ['Town Council', 1, 'Cy Cole', '', 'Council', 'Cy Cole'],
      ['', '', 'Zed Zane', '', '', 'Zed Zane'],
      ['Sheriff', 1, 'Sam Sharp', '', 'Sheriff', 'Sam Sharp'],
    ]);
    writeFileSync(
      join(dir, 'results.csv'),
      csvText([
        ['Contest', 'Choice', 'Total Votes', 'Ballots Suppressed'],
        ['Mayor of Town', 'Alice Ames', 6, 3], // CVR 4 (with the duplicate): +2, within 3 suppressed
        ['', 'Bob Burns', 7, ''], // CVR 2: +5, outside
        ['Town Council', 'Cy Cole', 5, 0], // CVR 5: match
      ]),
    );
    for (const f of ['cvr.csv', 'eif.xlsx', 'results.csv']) {
      const r = await importLocalFile(db, join(dir, f));
      expect(r.ok, `${f} ${JSON.stringify(r)}`).toBe(true);
    }
    for (const n of [1, 2, 3, 4, 5, 7]) catalog(db, 'central-scan', `P1/${String(n).padStart(6, '0')}_F.jpg`, 'ballot-image', `image ${n} front`);
    catalog(db, 'central-scan', 'P1/000001_B.jpg', 'ballot-image', 'image 1 back');
    catalog(db, 'central-scan', 'copy/000001_F.jpg', 'ballot-image', 'image 1 front'); // same bytes twice
    catalog(db, 'central-scan', 'P1/notes.jpg', 'ballot-image', 'unrelated');

    const report = buildPhase1Report(db, () => readSheetFills(db));
    expect(report.summary.cvrRecords).toBe(7);
    expect(report.imagesWithoutCvr.items.map((i) => i.file).sort()).toEqual(['central-scan:P1/000007_F.jpg', 'central-scan:P1/notes.jpg']);
    expect(report.cvrsWithoutImage.items.map((c) => c.cvrNumber)).toEqual(['6']);
    expect(report.duplicateCvrs.items).toEqual([{ identity: 'CVR number 5', count: 2, sources: [join(dir, 'cvr.csv')] }]);
    expect(report.duplicateImages.items.map((d) => d.files)).toEqual([['central-scan:P1/000001_F.jpg', 'central-scan:copy/000001_F.jpg']]);
    expect(report.eif.contestsMissingFromCvr).toEqual(['Sheriff']);
    expect(report.eif.cvrContestsMissingFromEif).toEqual([]);
    // ES&S lists only chosen options, so an unvoted EIF option is informational, not missing.
    expect(report.eif.optionsMissingFromCvr).toEqual([]);
    expect(report.eif.optionsWithoutVotes).toEqual([{ contest: 'Council', option: 'Zed Zane' }]);
    expect(report.eif.cvrOptionsMissingFromEif).toEqual([{ contest: 'Council', option: 'Write-in' }]);
    const totals = Object.fromEntries(report.totals.rows.map((t) => [`${t.contest}/${t.option}`, [t.cvrVotes, t.resultVotes, t.status]]));
    expect(totals).toEqual({
      'Mayor/Alice Ames': [4, 6, 'within-suppressed'],
      'Mayor/Bob Burns': [2, 7, 'mismatch'],
      'Council/Cy Cole': [5, 5, 'match'],
      'Council/Write-in': [1, null, 'missing-in-results'],
    });
    expect(report.summary.clean).toBe(false);

    // The stored link between CVR records and image files, both ways.
    const cvr1 = db.prepare(`SELECT id FROM cvr_records WHERE cvr_number = '1'`).get() as { id: number };
    expect(imagesForCvr(db, cvr1.id).map((i) => i.relPath)).toEqual(['P1/000001_B.jpg', 'P1/000001_F.jpg', 'copy/000001_F.jpg']);
    const img5 = db.prepare(`SELECT id FROM file_versions WHERE rel_path = 'P1/000005_F.jpg'`).get() as { id: number };
    expect(cvrsForImage(db, img5.id).map((c) => c.cvrNumber)).toEqual(['5', '5']); // the duplicate shows up

    const out = join(dir, 'reports');
    const written = await refreshPhase1Report(db, out, () => readSheetFills(db));
    expect(written.ok).toBe(true);
    const json = JSON.parse(readFileSync(join(out, 'phase1-report.json'), 'utf8')) as typeof report;
    expect(json.summary).toEqual(report.summary);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(join(out, 'phase1-report.xlsx'));
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Summary', 'Files', 'Images without CVR', 'CVRs without image', 'Duplicates', 'EIF vs CVR', 'Totals', 'Batches']);
    expect(wb.getWorksheet('Summary')?.getRow(4).values).toEqual([undefined, 'Images without a CVR', 2]);
    expect(wb.getWorksheet('Totals')?.rowCount).toBe(5);
  });

  it('imports captured files from the vault (watcher path) and links Dominion records to their images', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const db = importTestDb();
    const vault = join(dir, 'vault');
    for (const f of readdirSync(dominionCorpus)) catalog(db, 'cvr-exports', `export1/${f}`, f.startsWith('CvrExport') ? 'cvr' : 'other', readFileSync(join(dominionCorpus, f)), vault);
    // Images named as Dominion names them, for every session but one, plus one stray image.
    const sessions: { TabulatorId: number; BatchId: number; RecordId: number }[] = [];
    for (const f of readdirSync(dominionCorpus).filter((x) => x.startsWith('CvrExport'))) {
      sessions.push(...(JSON.parse(readFileSync(join(dominionCorpus, f), 'utf8')) as { Sessions: typeof sessions }).Sessions);
    }
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    sessions.slice(1).forEach((s) => catalog(db, 'central-scan', `Tabulator${s.TabulatorId}/Batch${pad(s.BatchId, 3)}/Images/${s.TabulatorId}_${pad(s.BatchId, 5)}_${pad(s.RecordId, 6)}.tif`, 'ballot-image', `img ${s.TabulatorId}/${s.BatchId}/${s.RecordId}`));
    catalog(db, 'central-scan', 'Tabulator1/Batch001/Images/00001_00001_000001.tif', 'ballot-image', 'stray');

    const first = await importPendingCatalogFiles(db, vault);
    expect(first.failures).toEqual([]);
    expect(first.imported.filter((o) => o.format === 'dominion-cvr').length).toBe(10);
    const second = await importPendingCatalogFiles(db, vault);
    expect(second.imported).toEqual([]); // idempotent

    const report = buildPhase1Report(db, () => readSheetFills(db));
    expect(report.summary.cvrRecords).toBe(sessions.length);
    const missing = sessions[0];
    expect(report.cvrsWithoutImage.items.map((c) => `${c.tabulator}/${c.batch}/${c.recordId}`)).toEqual([`${missing?.TabulatorId}/${missing?.BatchId}/${missing?.RecordId}`]);
    expect(report.imagesWithoutCvr.items.map((i) => i.file)).toEqual(['central-scan:Tabulator1/Batch001/Images/00001_00001_000001.tif']);
    expect(report.summary.duplicateCvrs).toBe(0);
    const batchTotal = report.batches.reduce((a, b) => a + b.cvrRecords, 0);
    expect(batchTotal).toBe(sessions.length);
    expect(report.batches.reduce((a, b) => a + (b.images ?? 0), 0)).toBe(sessions.length - 1);
    // Contest names come from the manifest in the same export folder.
    expect(report.sources.every((s) => s.state === 'active')).toBe(true);

    // The Arlo manifest: names exactly as in the CVR export, and Arlo's own upload rules pass.
    const csvPath = join(dir, 'manifest.csv');
    const exported = await exportArloManifest(db, csvPath);
    expect(exported.ok).toBe(true);
    const csv = readFileSync(csvPath, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('Container,Tabulator,Batch Name,Number of Ballots,CVR');
    expect(validateArloManifest(csv, 'HYBRID')).toEqual({ ok: true, value: { batches: report.batches.length, ballots: sessions.length } });
    const rows = arloManifestRows(db);
    const expectedBatches = new Set(sessions.map((s) => `${s.TabulatorId}|${s.BatchId}`));
    expect(new Set(rows.map((r) => `${r.tabulator}|${r.batchName}`))).toEqual(expectedBatches);
    expect(rows.every((r) => ['Election Day', 'Absentee', 'Early Voting', 'Question', 'Remote'].some((g) => r.container.includes(g)))).toBe(true);
  });
});

describe('ImportService (watcher integration through the catalog)', () => {
  it('imports new versions, alerts once on a bad one, keeps the good data and refreshes the report only on change', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const db = importTestDb();
      const vault = join(dir, 'vault');
      const reports = join(dir, 'reports');
      for (const f of ['ContestManifest.json', 'CandidateManifest.json', 'CvrExport_1731.json']) {
        catalog(db, 'cvr-exports', `e/${f}`, f.startsWith('Cvr') ? 'cvr' : 'other', readFileSync(join(dominionCorpus, f)), vault);
      }
      const service = new ImportService({ db, readSheets: () => readSheetFills(db), vaultDir: vault, reportsDir: reports, logger: silentLogger() });
      expect(await service.tick()).toEqual({ imported: 3, newFailures: 0, reportRefreshed: true });
      expect((JSON.parse(readFileSync(join(reports, 'phase1-report.json'), 'utf8')) as { summary: { cvrRecords: number } }).summary.cvrRecords).toBe(3);
      expect(await service.tick()).toEqual({ imported: 0, newFailures: 0, reportRefreshed: false });

      // The EMS rewrites the CVR file with broken content: the capture layer marks the old version changed.
      db.prepare(`UPDATE file_versions SET status = 'changed', superseded_at = ? WHERE rel_path = 'e/CvrExport_1731.json'`).run(new Date().toISOString());
      catalog(db, 'cvr-exports', 'e/CvrExport_1731.json', 'cvr', '{"Version":"5.17.18.1","Sessions":[{"TabulatorId":', vault);
      expect(await service.tick()).toEqual({ imported: 0, newFailures: 1, reportRefreshed: true });
      const alerts = db.prepare(`SELECT code, subject, message, details_json FROM alerts`).all() as { code: string; subject: string; message: string; details_json: string }[];
      expect(alerts).toHaveLength(1);
      expect(alerts[0]).toMatchObject({ code: 'import-failed', subject: 'cvr-exports:e/CvrExport_1731.json' });
      // The parser's exact words go to the technician part of the alert; the message is plain (importAlertWords.test.ts).
      expect(alerts[0]?.details_json).toMatch(/expected the rest of the JSON/);
      const report = JSON.parse(readFileSync(join(reports, 'phase1-report.json'), 'utf8')) as { summary: { cvrRecords: number; failedSources: number } };
      expect(report.summary).toMatchObject({ cvrRecords: 3, failedSources: 1 }); // the earlier import is kept
      expect(await service.tick()).toEqual({ imported: 0, newFailures: 0, reportRefreshed: false });
      expect(db.prepare(`SELECT count(*) AS n FROM alerts`).get()).toEqual({ n: 1 });
      await service.stop();
    } finally {
      cleanup();
    }
  });
});

describe("Arlo's ballot manifest rules", () => {
  const good = arloManifestCsv([
    { container: 'Absentee', tabulator: '1', batchName: '1', numberOfBallots: 10, cvr: 'Y' },
    { container: 'Absentee', tabulator: '2', batchName: '1', numberOfBallots: 7, cvr: 'Y' },
    { container: 'Election Day', tabulator: '2', batchName: '2', numberOfBallots: 9, cvr: 'Y' },
  ]);
  it('accepts a good manifest and rejects each kind of bad one', () => {
    expect(validateArloManifest(good)).toEqual({ ok: true, value: { batches: 3, ballots: 26 } });
    const bad: [string, RegExp][] = [
      [good.replace('Batch Name', 'Batch'), /Missing required column: Batch Name/],
      [good.replace('CVR\r\n', 'CVR,Notes\r\n'), /Wrong number of cells in row 2|unexpected columns/],
      [`${good}Absentee,1,1,4,Y\r\n`, /uniquely identified by \(Batch Name, Tabulator\). Found duplicate: 1, 1/],
      [good.replace(',10,', ',ten,'), /Expected a number in column Number of Ballots, row 2. Got: ten/],
      [good.replace(',10,', ',,'), /A value is required for the cell at column Number of Ballots, row 2/],
      [good.replace('Y\r\n', 'maybe\r\n'), /Expected Y or N in column CVR, row 2/],
      [`${good}Totals,9,9,26,Y\r\n`, /total row \(row 5\)/],
      [`${good}Absentee,9,9,26,Y\r\n`, /last row in the CSV might be a total row/],
      ['Container\tTabulator\r\n', /separated by tabs/],
      ['Container,Tabulator,Batch Name,Number of Ballots,CVR\r\n', /at least one row after headers/],
      ['', /CSV cannot be empty/],
    ];
    for (const [csv, message] of bad) {
      const r = validateArloManifest(csv);
      expect(r.ok, csv).toBe(false);
      if (!r.ok) expect(r.error.message, csv).toMatch(message);
    }
    // Ballot-polling audits take no CVR column and need batch names unique on their own.
    expect(validateArloManifest(good, 'BALLOT_POLLING').ok).toBe(false);
  });
});
