import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from '../../daemon/core/db/database.ts';
import { importLocalFile, importLocalPath } from '../../daemon/importer/importFile.ts';
import { ballotImageZipReason } from '../../daemon/importer/imageZip.ts';
import { buildPhase1Report } from '../../daemon/importer/report.ts';
import { corpusDir, importTestDb, tempDir } from '../../daemon/importer/testSupport.ts';
import { readSheetFills } from '../../daemon/preaudit/viewStore.ts';

/**
 * The real Dominion ImageCast Central export (issue #18): CVR_Export_<time>.zip (CvrExport.json
 * and the manifests) and CVR_Export_<time>.csv (4 header rows, ="1" cells). Expected numbers are
 * computed here from the raw files (unzip -p and a plain split of the CSV), not by the importer.
 */
const results = join(corpusDir, 'dominion-imagecast-demo', 'Results');
const zipFile = join(results, 'CVR_Export_20240412114626.zip');
const csvFile = join(results, 'CVR_Export_20240412114633.csv');

interface RawMark { CandidateId: number; IsVote: boolean; OutstackConditionIds?: number[] }
interface RawContest { Id: number; Undervotes?: number; Overvotes?: number; OutstackConditionIds?: number[]; Marks: RawMark[] }
interface RawState { IsCurrent?: boolean; Cards: { Contests: RawContest[] }[] }
interface RawSession { Original: RawState; Modified?: RawState }

function rawZipEntry(name: string): unknown {
  return JSON.parse(execFileSync('unzip', ['-p', zipFile, name], { encoding: 'utf8' }));
}

function currentContests(s: RawSession): RawContest[] {
  const state = s.Modified !== undefined && s.Modified.IsCurrent === true ? s.Modified : s.Original;
  return state.Cards.flatMap((c) => c.Contests);
}

/** contest name -> option name -> votes, from the raw JSON with the raw manifests. */
function rawZipTotals(): Map<string, number> {
  const sessions = (rawZipEntry('CvrExport.json') as { Sessions: RawSession[] }).Sessions;
  const contests = new Map((rawZipEntry('ContestManifest.json') as { List: { Id: number; Description: string }[] }).List.map((c) => [c.Id, c.Description]));
  const candidates = new Map((rawZipEntry('CandidateManifest.json') as { List: { Id: number; Description: string }[] }).List.map((c) => [c.Id, c.Description]));
  const totals = new Map<string, number>();
  for (const s of sessions) {
    for (const c of currentContests(s)) {
      for (const m of c.Marks) {
        if (!m.IsVote) continue;
        const k = `${contests.get(c.Id)}|${candidates.get(m.CandidateId)}`;
        totals.set(k, (totals.get(k) ?? 0) + 1);
      }
    }
  }
  return totals;
}

/** The same from the CSV text: row 2 contest "(Vote For=N)", row 3 choice, data rows 1/0. */
function rawCsvTotals(): { records: number; totals: Map<string, number> } {
  const rows = readFileSync(csvFile, 'utf8')
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(',').map((c) => c.replace(/^="?|^"|"$/g, '')));
  const contests = rows[1] ?? [];
  const choices = rows[2] ?? [];
  const totals = new Map<string, number>();
  const data = rows.slice(4);
  for (const r of data) {
    r.forEach((v, i) => {
      if (v !== '1' || (contests[i] ?? '') === '') return;
      const k = `${(contests[i] ?? '').replace(/\s*\(Vote For=\d+\)$/, '')}|${choices[i]}`;
      totals.set(k, (totals.get(k) ?? 0) + 1);
    });
  }
  return { records: data.length, totals };
}

function dbTotals(db: Db, withNames: boolean): Map<string, number> {
  const rows = db
    .prepare<[], { contest: string; option: string; n: number }>(
      withNames
        ? `SELECT c.name AS contest, o.name AS option, count(*) AS n FROM cvr_votes v
           JOIN cvr_records r ON r.id = v.cvr_id JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'
           JOIN import_contests c ON c.source_id = s.id AND c.contest_key = v.contest_key
           JOIN import_options o ON o.source_id = s.id AND o.contest_key = v.contest_key AND o.option_key = v.option_key
           WHERE v.is_vote = 1 GROUP BY 1, 2`
        : `SELECT v.contest_key AS contest, v.option_key AS option, count(*) AS n FROM cvr_votes v
           JOIN cvr_records r ON r.id = v.cvr_id JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'
           WHERE v.is_vote = 1 GROUP BY 1, 2`,
    )
    .all();
  return new Map(rows.map((r) => [`${r.contest}|${r.option}`, r.n]));
}

describe('the real Dominion ImageCast export (zip and CSV)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('imports CVR_Export_*.zip: 12 records, contest and candidate names from its manifests, totals as in the raw JSON', async () => {
    const db = importTestDb();
    const r = await importLocalFile(db, zipFile);
    expect(r.ok && r.value.status).toBe('imported');
    expect(r.ok && r.value.records).toBe(12);
    const expected = rawZipTotals();
    expect(expected.size).toBeGreaterThanOrEqual(3);
    expect(dbTotals(db, true)).toEqual(expected);
  });

  it('keeps the outstack conditions and per-contest Undervotes/Overvotes of the zip', async () => {
    const db = importTestDb();
    await importLocalFile(db, zipFile);
    const sessions = (rawZipEntry('CvrExport.json') as { Sessions: RawSession[] }).Sessions;
    let under = 0;
    let over = 0;
    let contestConditions = 0;
    let markConditions = 0;
    for (const s of sessions) {
      for (const c of currentContests(s)) {
        under += c.Undervotes ?? 0;
        over += c.Overvotes ?? 0;
        contestConditions += (c.OutstackConditionIds ?? []).length;
        for (const m of c.Marks) markConditions += (m.OutstackConditionIds ?? []).length;
      }
    }
    expect(under).toBeGreaterThan(0);
    expect(over).toBeGreaterThan(0);
    const got = db
      .prepare<[], { u: number; o: number; c: string | null }>(`SELECT sum(undervotes) AS u, sum(overvotes) AS o, group_concat(conditions) AS c FROM cvr_contest_status`)
      .get();
    expect(got?.u).toBe(under);
    expect(got?.o).toBe(over);
    expect((got?.c ?? '').split(',').filter((x) => x !== '').length).toBe(contestConditions);
    const marks = db.prepare<[], { c: string | null }>(`SELECT group_concat(conditions) AS c FROM cvr_votes`).get();
    expect((marks?.c ?? '').split(',').filter((x) => x !== '').length).toBe(markConditions);
    // The condition ids resolve through the manifest: 5 is "Overvote" in this export.
    const names = db.prepare<[], { name: string }>(`SELECT name FROM import_lookups WHERE kind = 'outstack-condition' AND lookup_key = '5'`).get();
    expect(names?.name).toBe('Overvote');
  });

  it('imports the 4-header-row CSV with ="1" cells: 12 records, totals as counted from the raw text and equal to the zip', async () => {
    const db = importTestDb();
    const r = await importLocalFile(db, csvFile);
    expect(r.ok ? r.value : r.error).toMatchObject({ status: 'imported', format: 'dominion-cvr-csv', records: 12 });
    const raw = rawCsvTotals();
    expect(raw.records).toBe(12);
    expect(dbTotals(db, false)).toEqual(raw.totals);
    // The two files are the same tabulation: same totals by name.
    expect(raw.totals).toEqual(rawZipTotals());
    const rec = db.prepare<[], { tabulator: string; batch: string; record_id: string; image_key: string | null }>(`SELECT tabulator, batch, record_id, image_key FROM cvr_records WHERE cvr_number = '1'`).get();
    expect(rec).toMatchObject({ tabulator: '5', batch: '1', record_id: '1' });
    expect(rec?.image_key).not.toBeNull();
  });

  it('counts the zip and the CSV of one export once: one active source, 12 records, no duplicates', async () => {
    const db = importTestDb();
    const r = await importLocalPath(db, results);
    expect(r.ok && r.value.failures).toEqual([]);
    const active = db.prepare<[], { name: string; records: number }>(`SELECT name, records FROM import_sources WHERE state = 'active' AND records > 0`).all();
    expect(active).toHaveLength(1);
    const report = buildPhase1Report(db, () => readSheetFills(db));
    expect(report.summary.cvrRecords).toBe(12);
    expect(report.summary.duplicateCvrs).toBe(0);
    expect(report.sources.some((s) => s.format === 'ignored' && s.warnings.some((w) => /not counted twice/.test(w)))).toBe(true);
  });

  it('says so when the zip comes without the Contest and Candidate manifests', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    writeFileSync(join(dir, 'CvrExport.json'), execFileSync('unzip', ['-p', zipFile, 'CvrExport.json']));
    execFileSync('zip', ['-q', '-j', join(dir, 'CVR_Export_1.zip'), join(dir, 'CvrExport.json')]);
    const db = importTestDb();
    const r = await importLocalFile(db, join(dir, 'CVR_Export_1.zip'));
    expect(r.ok && r.value.records).toBe(12);
    expect(r.ok && r.value.warnings.join(' ')).toMatch(/no ContestManifest\.json or CandidateManifest\.json came with this export/);
    // A loose CvrExport.json without manifests beside it: said too.
    const db2 = importTestDb();
    const loose = await importLocalFile(db2, join(dir, 'CvrExport.json'));
    expect(loose.ok && loose.value.warnings.join(' ')).toMatch(/no ContestManifest\.json or CandidateManifest\.json/);
  });

  it('refuses a zip bomb named like a Dominion export before inflating it', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    writeFileSync(join(dir, 'CvrExport.json'), Buffer.alloc(64 * 1024 * 1024, 0x20));
    execFileSync('zip', ['-q', '-j', '-9', join(dir, 'CVR_Export_2.zip'), join(dir, 'CvrExport.json')]);
    const db = importTestDb();
    const r = await importLocalFile(db, join(dir, 'CVR_Export_2.zip'));
    expect(r.ok ? r.value : r.error.message).toMatch(/zip bomb protection/);
  });

  it('refuses a zip with no CvrExport inside, saying what to do', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    writeFileSync(join(dir, 'notes.txt'), 'hand-off notes\n');
    execFileSync('zip', ['-q', '-j', join(dir, 'archive.zip'), join(dir, 'notes.txt')]);
    const db = importTestDb();
    const r = await importLocalFile(db, join(dir, 'archive.zip'));
    expect(r.ok ? r.value : r.error.message).toMatch(/holds no Dominion CvrExport\.json/);
  });

  it('takes a zip of ballot images (ES&S Electionware export) as images for the pre-audit, not as a refused CVR zip', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    // precinct / party folders with <id>i.pdf and <id>c.pdf, as Electionware writes them
    mkdirSync(join(dir, 'T Albion Wds 1-2', 'Nonpartisan'), { recursive: true });
    for (const f of ['000001i.pdf', '000001c.pdf', '000002i.pdf']) writeFileSync(join(dir, 'T Albion Wds 1-2', 'Nonpartisan', f), '%PDF-1.4\n');
    execFileSync('zip', ['-q', '-r', join(dir, 'Ballot Images.zip'), 'T Albion Wds 1-2'], { cwd: dir });
    const db = importTestDb();
    const r = await importLocalFile(db, join(dir, 'Ballot Images.zip'));
    expect(r.ok ? r.value : r.error.message).toMatchObject({ status: 'not-election-data', reason: ballotImageZipReason });
    // ...but a zip with a CVR table beside images is still read as CVRs (or refused with why), never waved through
    writeFileSync(join(dir, 'notes.csv'), 'a,b\n1,2\n');
    execFileSync('zip', ['-q', '-j', join(dir, 'mixed.zip'), join(dir, 'notes.csv'), join(dir, 'T Albion Wds 1-2', 'Nonpartisan', '000001i.pdf')]);
    const mixed = await importLocalFile(db, join(dir, 'mixed.zip'));
    expect(mixed.ok ? mixed.value.reason : mixed.error.code).not.toBe(ballotImageZipReason);
  });
});
