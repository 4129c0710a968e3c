import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importLocalFile } from '../../daemon/importer/importFile.ts';
import { buildPhase1Report } from '../../daemon/importer/report.ts';
import { corpusDir, importTestDb, tempDir, writeXlsx } from '../../daemon/importer/testSupport.ts';
import { importedRound1, rctabRound1 } from './rctabTally.ts';
import { readSheetFills } from '../../daemon/preaudit/viewStore.ts';

/**
 * Real ES&S CVR workbooks from RCTab's test data (issue #18): Portland 2015 (with a "Cast Vote
 * Record" column) and Minneapolis 2013 (80,101 rows, no CVR column, a COUNT column, ranks as
 * "1ST CHOICE ..." columns). Checked against RCTab's round-1 tallies and against counts taken
 * here from the raw sheet XML (unzip -p), not through the importer.
 */
const ess = join(corpusDir, 'rctab-samples', 'ess');
const portland = join(ess, '2015_portland_mayor_cvr.xlsx');
const minneapolis = join(ess, '2013_minneapolis_park_cvr.xlsx');

/** The first sheet as rows of strings, straight from the xlsx XML. */
function rawSheet(file: string): string[][] {
  const shared = [...execFileSync('unzip', ['-p', file, 'xl/sharedStrings.xml'], { encoding: 'utf8', maxBuffer: 1 << 28 }).matchAll(/<si>(.*?)<\/si>/gs)].map((m) =>
    [...(m[1] ?? '').matchAll(/<t[^>]*>([^<]*)<\/t>/g)].map((t) => t[1]).join(''),
  );
  const xml = execFileSync('unzip', ['-p', file, 'xl/worksheets/sheet1.xml'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const rows: string[][] = [];
  for (const row of xml.matchAll(/<row [^>]*>(.*?)<\/row>/gs)) {
    const cells: string[] = [];
    for (const c of (row[1] ?? '').matchAll(/<c r="([A-Z]+)\d+"([^>]*?)(?:\/>|>(?:<f>.*?<\/f>)?<v>([^<]*)<\/v><\/c>)/g)) {
      const col = [...(c[1] ?? '')].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0) - 1;
      const v = c[3] ?? '';
      cells[col] = /t="s"/.test(c[2] ?? '') ? (shared[Number(v)] ?? '') : v;
    }
    rows.push(Array.from(cells, (x) => x ?? ''));
  }
  return rows;
}

describe('ES&S CVR xlsx from real exports', () => {
  it('Portland 2015 (CVR column, 10 ranks as "Choice N" columns): one ranked contest; round 1 equals RCTab\'s', async () => {
    const raw = rawSheet(portland);
    const db = importTestDb();
    const r = await importLocalFile(db, portland);
    expect(r.ok ? r.value : r.error.message).toMatchObject({ status: 'imported', format: 'ess-cvr', records: raw.length - 1 });
    const contests = db.prepare<[], { name: string; num_ranks: number | null }>(`SELECT name, num_ranks FROM import_contests`).all();
    expect(contests).toEqual([{ name: 'For Mayor', num_ranks: raw[0]?.filter((h) => /Choice \d+/.test(h)).length }]);
    expect(importedRound1(db, 'For Mayor', 'exhausts')).toEqual(rctabRound1(join(ess, '2015_portland_mayor_expected_detailed_report.json')));
  });

  it('Minneapolis 2013 (no CVR column, COUNT column): every row a ballot, COUNT not a contest, one 3-rank contest, round 1 equals RCTab\'s, undervote/overvote cells kept', async () => {
    const raw = rawSheet(minneapolis);
    const header = raw[0] ?? [];
    const countCol = header.indexOf('COUNT');
    expect(countCol).toBeGreaterThan(0);
    const data = raw.slice(1).filter((r) => r.some((c) => c !== ''));
    const ballots = data.reduce((n, r) => n + Number(r[countCol] ?? '1'), 0);
    const rankCols = header.map((h, i) => (/CHOICE/.test(h) ? i : -1)).filter((i) => i >= 0);
    let under = 0;
    let over = 0;
    for (const r of data) for (const i of rankCols) {
      if (r[i] === 'undervote') under++;
      if (r[i] === 'overvote') over++;
    }
    expect(over).toBeGreaterThan(0);

    const db = importTestDb();
    const res = await importLocalFile(db, minneapolis);
    expect(res.ok ? res.value : res.error.message).toMatchObject({ status: 'imported', format: 'ess-cvr', records: ballots });
    const contests = db.prepare<[], { name: string; num_ranks: number | null }>(`SELECT name, num_ranks FROM import_contests`).all();
    expect(contests).toEqual([{ name: 'PARK AND RECREATION COMMISSIONER AT LARGE MINNEAPOLIS', num_ranks: 3 }]);
    expect(importedRound1(db, undefined, 'skipped', { UWI: 'Undeclared Write-ins' })).toEqual(rctabRound1(join(ess, '2013_minneapolis_park_expected_detailed_report.json')));
    const st = db.prepare<[], { u: number; o: number }>(`SELECT sum(undervotes) AS u, sum(overvotes) AS o FROM cvr_contest_status`).get();
    expect(st).toEqual({ u: under, o: over });
    expect(buildPhase1Report(db, () => readSheetFills(db)).summary.duplicateCvrs).toBe(0);
  });

  it('refuses a workbook without a header in the first 50 rows, naming the row', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const rows = Array.from({ length: 2000 }, (_, i) => [`note ${i}`, i]);
      await writeXlsx(join(dir, 'cvr.xlsx'), rows);
      const db = importTestDb();
      const r = await importLocalFile(db, join(dir, 'cvr.xlsx'));
      expect(r.ok ? r.value : r.error.message).toMatch(/cvr\.xlsx at row 51: expected a header row with a "Cast Vote Record" column/);
    } finally {
      cleanup();
    }
  });

  it('reads an ES&S export delivered as a zip (CVR workbook inside), listing what else the archive held', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const raw = rawSheet(portland);
      writeFileSync(join(dir, 'README.txt'), 'export notes\n');
      execFileSync('zip', ['-q', '-j', join(dir, 'ESS_export.zip'), portland, join(dir, 'README.txt')]);
      const db = importTestDb();
      const r = await importLocalFile(db, join(dir, 'ESS_export.zip'));
      expect(r.ok ? r.value.records : r.error.message).toBe(raw.length - 1);
      expect(r.ok && r.value.warnings.join(' ')).toMatch(/not read from the archive .*README\.txt/);
      expect(importedRound1(db, 'For Mayor', 'exhausts')).toEqual(rctabRound1(join(ess, '2015_portland_mayor_expected_detailed_report.json')));
    } finally {
      cleanup();
    }
  });
});
