import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import type { Db } from '../core/db/database.ts';
import { arloManifestCsv, arloManifestRows, validateArloManifest } from './arlo.ts';
import { importLocalFile, importLocalPath } from './importFile.ts';
import { buildPhase1Report } from './report.ts';
import { importTestDb, tempDir } from './testSupport.ts';
import { readSheetFills } from '../preaudit/viewStore.ts';

/**
 * Every format the sample-election generator writes (scripts/sample-election/README.md): Dominion
 * export, ES&S CVR as CSV and XLSX, EIF xlsx, results summary CSV and XLSX. Images are not rendered
 * (slow); their catalog rows are made from the ground truth with the README's file names, as the
 * capture layer would record them.
 */
interface TruthSheet {
  sheetId: string;
  inCvr: boolean;
  duplicateOf: string | null;
  dominion: { tabulatorId: number; batchId: number; recordId: number };
  ess: { cvrNumber: number };
}
interface Discrepancy { kind: string; sheetId?: string; contestId?: string; optionId?: string; cvrTotal?: number; reportedTotal?: number }

const pad = (n: number, w: number) => String(n).padStart(w, '0');

describe('sample-election generator output, every format', () => {
  let out = '';
  let cleanup = () => {};
  let sheets: TruthSheet[] = [];
  let discrepancies: Discrepancy[] = [];
  let election: { contests: { id: string; title: string; options: { id: string; name: string }[] }[]; precincts: { id: string; externalId: string; name: string }[] } = { contests: [], precincts: [] };
  const precinctOf = new Map<string, string>(); // sheetId -> precinct id

  beforeAll(async () => {
    const t = tempDir('ballotsafe-sample-');
    cleanup = t.cleanup;
    out = join(t.dir, 'election');
    const r = await generateSampleElection({ out, seed: 11, ballots: 40, format: 'both', precincts: 3, images: false, batchSize: 12, discrepancies: { flip: 1, drop: 1, dup: 1, totals: 1 } });
    if (!r.ok) throw new Error(r.error.message);
    for (const f of readdirSync(join(out, 'truth', 'ballots'))) {
      const b = JSON.parse(readFileSync(join(out, 'truth', 'ballots', f), 'utf8')) as { precinctId: string; sheets: TruthSheet[] };
      for (const s of b.sheets) precinctOf.set(s.sheetId, b.precinctId);
      sheets.push(...b.sheets);
    }
    discrepancies = (JSON.parse(readFileSync(join(out, 'truth', 'discrepancies.json'), 'utf8')) as { discrepancies: Discrepancy[] }).discrepancies;
    election = JSON.parse(readFileSync(join(out, 'truth', 'election.json'), 'utf8')) as typeof election;
  });
  afterAll(() => cleanup());

  function catalogImage(db: Db, relPath: string): void {
    const now = new Date().toISOString();
    db.prepare(
      `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
       VALUES ('scans', ?, ?, 1, '0', '0', ?, ?, 'ballot-image', ?, ?)`,
    ).run(relPath, Buffer.from(relPath), relPath, createHash('sha256').update(relPath).digest('hex'), now, now);
  }

  function expectedTotalsMismatch(report: ReturnType<typeof buildPhase1Report>): void {
    const totals = discrepancies.filter((d) => d.kind === 'totals');
    expect(totals.length).toBe(1);
    const d = totals[0] as Discrepancy;
    const contest = election.contests.find((c) => c.id === d.contestId);
    const option = contest?.options.find((o) => o.id === d.optionId);
    const bad = report.totals.rows.filter((t) => t.status !== 'match');
    expect(bad).toEqual([
      { contest: contest?.title, option: option?.name, cvrVotes: d.cvrTotal, resultVotes: d.reportedTotal, difference: (d.reportedTotal ?? 0) - (d.cvrTotal ?? 0), suppressedBallots: 0, status: 'mismatch' },
    ]);
    expect(report.totals.rows.filter((t) => t.status === 'match').length).toBeGreaterThan(20);
  }

  it('Dominion export + EIF + results CSV: counts, image links, EIF match, totals and the Arlo manifest', async () => {
    const db = importTestDb();
    for (const p of ['dominion', 'eif', 'results/summary.csv']) {
      const r = await importLocalPath(db, join(out, p));
      expect(r.ok && r.value.failures, p).toEqual([]);
    }
    for (const s of sheets) {
      const { tabulatorId: t, batchId: b, recordId: rec } = s.dominion;
      catalogImage(db, `dominion/Tabulator${pad(t, 5)}/Batch${pad(b, 3)}/Images/${pad(t, 5)}_${pad(b, 5)}_${pad(rec, 6)}.tif`);
    }
    // Independent count from the raw export files.
    const raw = readdirSync(join(out, 'dominion'))
      .filter((f) => f.startsWith('CvrExport'))
      .flatMap((f) => (JSON.parse(readFileSync(join(out, 'dominion', f), 'utf8')) as { Sessions: { TabulatorId: number; BatchId: number }[] }).Sessions);
    const report = buildPhase1Report(db, () => readSheetFills(db));
    expect(report.summary.cvrRecords).toBe(raw.length);
    expect(report.summary.cvrRecords).toBe(sheets.filter((s) => s.inCvr).length);
    const dropped = sheets.filter((s) => !s.inCvr);
    expect(dropped.length).toBe(1);
    expect(report.imagesWithoutCvr.items.map((i) => i.file)).toEqual([
      `scans:dominion/Tabulator${pad(dropped[0]?.dominion.tabulatorId ?? 0, 5)}/Batch${pad(dropped[0]?.dominion.batchId ?? 0, 3)}/Images/${pad(dropped[0]?.dominion.tabulatorId ?? 0, 5)}_${pad(dropped[0]?.dominion.batchId ?? 0, 5)}_${pad(dropped[0]?.dominion.recordId ?? 0, 6)}.tif`,
    ]);
    expect(report.summary.cvrsWithoutImage).toBe(0);
    expect(report.eif).toMatchObject({ present: true, contestsMissingFromCvr: [], cvrContestsMissingFromEif: [], optionsMissingFromCvr: [], cvrOptionsMissingFromEif: [] });
    expectedTotalsMismatch(report);

    const csv = arloManifestCsv(arloManifestRows(db));
    expect(validateArloManifest(csv, 'HYBRID')).toEqual({ ok: true, value: { batches: report.batches.length, ballots: raw.length } });
    const perBatch = new Map<string, number>();
    for (const s of raw) perBatch.set(`${s.TabulatorId},${s.BatchId}`, (perBatch.get(`${s.TabulatorId},${s.BatchId}`) ?? 0) + 1);
    const lines = csv.trim().split('\r\n').slice(1).map((l) => l.split(','));
    expect(new Map(lines.map((l) => [`${l[1]},${l[2]}`, Number(l[3])]))).toEqual(perBatch);
    expect(new Set(lines.map((l) => l[0]))).toEqual(new Set(['Election Day', 'Absentee'].filter((g) => lines.some((l) => l[0] === g))));
  });

  it('ES&S folder with the CVR and results both as .csv and .xlsx: each table is counted once', async () => {
    const db = importTestDb();
    for (const p of ['ess/CVR', 'eif', 'results']) {
      const r = await importLocalPath(db, join(out, p));
      expect(r.ok && r.value.failures, p).toEqual([]);
      if (r.ok && p !== 'eif') expect(r.value.outcomes.map((o) => o.format).sort(), p).toEqual([p === 'ess/CVR' ? 'ess-cvr' : 'results', 'ignored'].sort());
    }
    const report = buildPhase1Report(db, () => readSheetFills(db));
    expect(report.summary.cvrRecords).toBe(sheets.filter((s) => s.inCvr).length);
    expect(report.summary.duplicateCvrs).toBe(0);
    expectedTotalsMismatch(report);
    expect(report.sources.filter((x) => x.format === 'ignored').map((x) => x.warnings[0])).toEqual([
      expect.stringMatching(/same export as .*CVR_Export\.csv in another file format/),
      expect.stringMatching(/same export as .*summary\.csv in another file format/),
    ]);
  });

  for (const kind of ['csv', 'xlsx'] as const) {
    it(`ES&S CVR (${kind}) + EIF + results ${kind}: counts, image links, EIF match and totals`, async () => {
      const db = importTestDb();
      for (const p of [`ess/CVR/CVR_Export.${kind}`, 'eif/Election_Information_File.xlsx', `results/summary.${kind}`]) {
        const r = await importLocalFile(db, join(out, p));
        expect(r.ok && r.value.status, `${p} ${JSON.stringify(r)}`).toBe('imported');
      }
      for (const s of sheets) {
        const p = election.precincts.find((x) => x.id === precinctOf.get(s.sheetId));
        const folder = `${p?.externalId}_${(p?.name ?? '').replace(/[^A-Za-z0-9]+/g, '_')}`;
        for (const side of ['F', 'B']) catalogImage(db, `ess/Images/${folder}/${pad(s.ess.cvrNumber, 6)}_${side}.jpg`);
      }
      const report = buildPhase1Report(db, () => readSheetFills(db));
      expect(report.summary.cvrRecords).toBe(sheets.filter((s) => s.inCvr).length);
      const dropped = sheets.filter((s) => !s.inCvr).map((s) => s.ess.cvrNumber);
      expect(report.imagesWithoutCvr.items.map((i) => i.file.replace(/^.*\//, ''))).toEqual(dropped.flatMap((n) => [`${pad(n, 6)}_B.jpg`, `${pad(n, 6)}_F.jpg`]));
      expect(report.summary.cvrsWithoutImage).toBe(0);
      expect(report.summary.duplicateCvrs).toBe(0);
      expect(report.eif).toMatchObject({ present: true, contestsMissingFromCvr: [], cvrContestsMissingFromEif: [], optionsMissingFromCvr: [], cvrOptionsMissingFromEif: [] });
      expectedTotalsMismatch(report);
      expect(validateArloManifest(arloManifestCsv(arloManifestRows(db)), 'HYBRID').ok).toBe(true);
    });
  }
});
