import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseEif } from './eif.ts';
import { parseEssCvr } from './ess.ts';
import type { NormalizedCvr } from './model.ts';
import { parseResults } from './results.ts';
import { csvText, tempDir, writeXlsx } from './testSupport.ts';

const essRows = [
  ['General Election', '', '', '', '', ''],
  ['November 5, 2024', '', '', '', '', ''],
  ['', '', '', '', '', ''],
  ['Cast Vote Record', 'Precinct', 'Ballot Style', 'Mayor', 'Council (Vote For=2)', 'Council (Vote For=2)'],
  [1, '101 North', 'Style 1', 'Alice Ames', 'Cy Cole', 'Di Dunn'],
  [2, '101 North', 'Style 1', 'Bob Burns', 'Cy Cole', 'undervote'],
  [3, '102 South', 'Style 2', 'overvote', 'Ed Eng', 'Write-in'],
  [4, '102 South', 'Style 2', 'undervote', 'undervote', 'undervote'],
  ['Total', '', '', '', '', ''],
];

describe('ES&S CVR (CSV and XLSX)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  for (const kind of ['csv', 'xlsx'] as const) {
    it(`reads preamble, repeated vote-for-N columns and the Total row (${kind})`, async () => {
      const { dir, cleanup } = tempDir();
      cleanups.push(cleanup);
      const path = join(dir, `cvr.${kind}`);
      if (kind === 'csv') writeFileSync(path, csvText(essRows));
      else await writeXlsx(path, essRows);
      const got: NormalizedCvr[] = [];
      const r = await parseEssCvr(path, `cvr.${kind}`, kind, { record: (c) => got.push(c) });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (!r.ok) return;
      expect(r.value.records).toBe(4);
      expect(r.value.totalRowSkipped).toBe(true);
      expect(r.value.contests).toEqual([
        { key: 'Mayor', name: 'Mayor', voteFor: 1, numRanks: null },
        { key: 'Council', name: 'Council', voteFor: 2, numRanks: null },
      ]);
      expect(got.map((c) => c.votes.filter((v) => v.isVote).map((v) => `${v.contestKey}=${v.optionKey}`))).toEqual([
        ['Mayor=Alice Ames', 'Council=Cy Cole', 'Council=Di Dunn'],
        ['Mayor=Bob Burns', 'Council=Cy Cole'],
        ['Council=Ed Eng', 'Council=Write-in'],
        [],
      ]);
      expect(got[2]?.votes.find((v) => v.contestKey === 'Mayor')?.isVote).toBe(false);
      expect(got.map((c) => `${c.cvrNumber}|${c.precinct}|${c.ballotStyle}|${c.imageKey}`)).toEqual([
        '1|101 North|Style 1|c:1',
        '2|101 North|Style 1|c:2',
        '3|102 South|Style 2|c:3',
        '4|102 South|Style 2|c:4',
      ]);
    });
  }

  it('reads UTF-16 and Windows-1252 CSV exports and says so', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const rows = [['Cast Vote Record', 'Precinct', 'Ballot Style', 'Alcalde'], [1, 'Peñasco', 'S1', 'José Núñez']];
    const text = csvText(rows);
    writeFileSync(join(dir, 'u16.csv'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    writeFileSync(join(dir, 'u16nobom.csv'), Buffer.from(text, 'utf16le'));
    writeFileSync(join(dir, 'latin1.csv'), Buffer.from(text, 'latin1'));
    writeFileSync(join(dir, 'bom8.csv'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]));
    for (const name of ['u16.csv', 'u16nobom.csv', 'latin1.csv', 'bom8.csv']) {
      const got: NormalizedCvr[] = [];
      const r = await parseEssCvr(join(dir, name), name, 'csv', { record: (c) => got.push(c) });
      expect(r.ok, `${name}: ${JSON.stringify(r)}`).toBe(true);
      expect(got[0]?.precinct, name).toBe('Peñasco');
      expect(got[0]?.votes[0]?.optionKey, name).toBe('José Núñez');
      if (r.ok && name !== 'bom8.csv') expect(r.value.warnings.join(' '), name).toMatch(name === 'latin1.csv' ? /windows-1252/ : /utf-16le/);
    }
  });

  it('errors name the file, row and column', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const cases: [string, string, RegExp][] = [
      ['nohdr.csv', csvText([['a', 'b'], ...Array.from({ length: 60 }, () => ['1', '2'])]), /nohdr\.csv at row 51: expected a header row with a "Cast Vote Record" column/],
      ['badnum.csv', csvText([['Cast Vote Record', 'Precinct', 'Mayor'], ['1', 'p', 'A'], ['x7', 'p', 'B']]), /badnum\.csv at row 3, column "Cast Vote Record": expected a whole number, found "x7"/],
      ['quote.csv', 'Cast Vote Record,Precinct,Mayor\r\n1,"p,A\r\n', /quote\.csv.*expected valid CSV/],
      ['binary.csv', '\u0000\u0001PK\u0003\u0004garbage', /binary\.csv at byte 0: expected a text CSV file, found binary data/],
      ['empty.csv', '', /empty\.csv: expected a CSV file with a header row, found an empty file/],
      ['extra.csv', csvText([['Cast Vote Record', 'Mayor'], ['1', 'A', 'surprise']]), /extra\.csv at row 2: expected at most 2 cells/],
    ];
    for (const [name, content, message] of cases) {
      writeFileSync(join(dir, name), content);
      const r = await parseEssCvr(join(dir, name), name, 'csv', { record: () => undefined });
      expect(r.ok, name).toBe(false);
      if (!r.ok) expect(r.error.message, name).toMatch(message);
    }
  });
});

const eifRows = [
  ['Official_Contest_Name', 'Vote_for', 'Official_Options', 'Party', 'CVR_Contest_Name', 'CVR_Options', 'Ballot_Contest_Name', 'Ballot_Options', 'Ballot_Descriptions', 'Ballot_Summary_1'],
  ['Mayor', 1, 'Alice Ames', 'DEM', 'Mayor', 'Alice Ames', 'MAYOR', 'Alice Ames', '', 'x'],
  ['', '', 'Bob Burns', 'REP', '', 'Bob Burns', '', 'Bob Burns', '', ''],
  ['City Council', 2, 'Cy Cole', '', 'Council', 'Cy Cole', 'COUNCIL', 'Cy Cole', '', ''],
  ['', '', 'Di Dunn', '', '', 'Di Dunn', '', 'Di Dunn', '', ''],
];

describe('Election Information File', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('carries an empty contest cell down from the row above (xlsx)', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    await writeXlsx(join(dir, 'eif.xlsx'), eifRows);
    const r = await parseEif(join(dir, 'eif.xlsx'), 'eif.xlsx', 'xlsx');
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (!r.ok) return;
    expect(r.value.rows.map((x) => [x.officialContest, x.voteFor, x.officialOption, x.cvrContest, x.cvrOption, x.ballotContest])).toEqual([
      ['Mayor', 1, 'Alice Ames', 'Mayor', 'Alice Ames', 'MAYOR'],
      ['Mayor', 1, 'Bob Burns', 'Mayor', 'Bob Burns', 'MAYOR'],
      ['City Council', 2, 'Cy Cole', 'Council', 'Cy Cole', 'COUNCIL'],
      ['City Council', 2, 'Di Dunn', 'Council', 'Di Dunn', 'COUNCIL'],
    ]);
    expect(r.value.rows[0]?.extra).toEqual({ Ballot_Summary_1: 'x' });
  });

  it('names missing columns and bad Vote_for cells', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    await writeXlsx(join(dir, 'a.xlsx'), [['Official_Contest_Name', 'Vote_for', 'Official_Options'], ['Mayor', 1, 'A']]);
    const a = await parseEif(join(dir, 'a.xlsx'), 'a.xlsx', 'xlsx');
    expect(!a.ok && a.error.message).toBe('a.xlsx at row 1 (header): expected the columns CVR_Contest_Name, CVR_Options, found them missing.');
    await writeXlsx(join(dir, 'b.xlsx'), [eifRows[0] ?? [], ['Mayor', 'one', 'A', '', 'Mayor', 'A', '', '', '', '']]);
    const b = await parseEif(join(dir, 'b.xlsx'), 'b.xlsx', 'xlsx');
    expect(!b.ok && b.error.message).toBe('b.xlsx at row 2, column "Vote_for": expected a whole number of at least 1, found "one".');
  });
});

describe('results summary', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('reads votes, ballots cast and suppressed counts from CSV and XLSX', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const rows = [
      ['Contest', 'Choice', 'Party', 'Total Votes', 'Suppressed'],
      ['Cards Cast', '', '', '1,204', ''],
      ['Mayor', 'Alice Ames', 'DEM', '700', '3'],
      ['', 'Bob Burns', 'REP', '500', ''],
      ['', 'Overvotes', '', '4', ''],
      ['Council', 'Ballots Suppressed', '', '2', ''],
    ];
    writeFileSync(join(dir, 'r.csv'), csvText(rows));
    await writeXlsx(join(dir, 'r.xlsx'), rows);
    for (const [name, kind] of [['r.csv', 'csv'], ['r.xlsx', 'xlsx']] as const) {
      const r = await parseResults(join(dir, name), name, kind);
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (!r.ok) return;
      expect(r.value.rows.map((x) => [x.contest, x.option, x.votes, x.suppressed])).toEqual([
        ['Cards Cast', null, 1204, null],
        ['Mayor', 'Alice Ames', 700, 3],
        ['Mayor', 'Bob Burns', 500, null],
        ['Mayor', 'Overvotes', 4, null],
        ['Council', null, null, 2],
      ]);
    }
    writeFileSync(join(dir, 'bad.csv'), csvText([['Contest', 'Choice', 'Votes'], ['Mayor', 'A', '12a']]));
    const bad = await parseResults(join(dir, 'bad.csv'), 'bad.csv', 'csv');
    expect(!bad.ok && bad.error.message).toBe('bad.csv at row 2, column "Votes": expected a whole number of votes or ballots, found "12a".');
  });
});
