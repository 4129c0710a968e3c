import { afterEach, describe, expect, it } from 'vitest';
import { openStateDatabase, type Db } from '../runtime/stateDatabase.ts';
import { tempDir } from '../importer/testSupport.ts';
import { evidenceFile } from './evidenceFiles.ts';
import { contestSummaryRows } from './webProvider.ts';

function compare(db: Db, sheet: string, contest: string, title: string, verdict: string): void {
  db.prepare(
    `INSERT INTO preaudit_comparisons (sheet_key, ballot_key, contest_id, contest_title, verdict, image_votes_json, cvr_votes_json, marginal_json, image_overvote, cvr_overvote, undervotes, write_ins, compared_at)
     VALUES (?, ?, ?, ?, ?, '[]', '[]', '[]', 0, 0, 0, 0, '2026-11-03T20:00:00Z')`,
  ).run(sheet, sheet, contest, title, verdict);
}

describe('the evidence view: per-contest summary and report files', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('counts agree / disagree / gray / no CVR per contest, contests with disagreements first, then gray', () => {
    const db = openStateDatabase(':memory:');
    for (let i = 0; i < 5; i++) compare(db, `s${i}`, 'mayor', 'Mayor', 'agree');
    compare(db, 's5', 'mayor', 'Mayor', 'no-cvr');
    compare(db, 's0', 'sheriff', 'Sheriff', 'agree');
    compare(db, 's1', 'sheriff', 'Sheriff', 'gray');
    compare(db, 's0', 'council', 'Council', 'disagree');
    compare(db, 's1', 'council', 'Council', 'agree');
    expect(contestSummaryRows(db)).toEqual([
      { contestId: 'council', contest: 'Council', agree: 1, disagree: 1, gray: 0, noCvr: 0 },
      { contestId: 'sheriff', contest: 'Sheriff', agree: 1, disagree: 0, gray: 1, noCvr: 0 },
      { contestId: 'mayor', contest: 'Mayor', agree: 5, disagree: 0, gray: 0, noCvr: 1 },
    ]);
    db.close();
  });

  it('with nothing read or imported, each download says why there is nothing yet (no empty file)', async () => {
    const { dir, cleanup } = tempDir('ballotsafe-evidence-');
    cleanups.push(cleanup);
    const db = openStateDatabase(':memory:');
    for (const [kind, code] of [
      ['independent-cvr', 'evidence-nothing-read'],
      ['arlo', 'evidence-no-batches'],
      ['evidence', 'evidence-no-crops'],
    ] as const) {
      const r = await evidenceFile(db, dir, kind);
      expect(r.ok ? 'ok' : r.error.code, kind).toBe(code);
    }
    const xlsx = await evidenceFile(db, dir, 'xlsx');
    expect(xlsx.ok && xlsx.value.fileName).toBe('preaudit-discrepancies.xlsx');
    // An XLSX is a ZIP: it starts "PK".
    expect(xlsx.ok && Buffer.from(xlsx.value.bytes.subarray(0, 2)).toString()).toBe('PK');
    db.close();
  });
});
