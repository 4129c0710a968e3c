import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { importLocalFile } from '../../daemon/importer/importFile.ts';
import { buildPhase1Report } from '../../daemon/importer/report.ts';
import { corpusDir, importTestDb, tempDir } from '../../daemon/importer/testSupport.ts';
import { importedRound1, rctabRound1 } from './rctabTally.ts';
import { readSheetFills } from '../../daemon/preaudit/viewStore.ts';

/** NIST SP 1500-103 CDF JSON from RCTab's test data (issue #18), checked with RCTab's round-1 tallies. */
const cdf = join(corpusDir, 'rctab-samples', 'cdf');
const testSet0 = join(cdf, 'test_set_0_cvr.json');

type Json = Record<string, unknown>;
const load = (): Json => JSON.parse(readFileSync(testSet0, 'utf8')) as Json;

describe('NIST CDF JSON', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });
  function write(name: string, data: unknown): string {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const p = join(dir, name);
    writeFileSync(p, typeof data === 'string' ? data : JSON.stringify(data));
    return p;
  }

  it('counts IsAllocable "unknown" as the standard says (left to tabulation): round 1 equals RCTab\'s', async () => {
    const db = importTestDb();
    const r = await importLocalFile(db, testSet0);
    expect(r.ok && r.value.records).toBe(12);
    expect(importedRound1(db)).toEqual(rctabRound1(join(cdf, 'test_set_0_expected_detailed_report.json')));
  });

  it('does not group CVRs without UniqueId/BallotAuditId as one false duplicate', async () => {
    const db = importTestDb();
    await importLocalFile(db, testSet0);
    expect(buildPhase1Report(db, () => readSheetFills(db)).summary.duplicateCvrs).toBe(0);
  });

  it('keeps every rank of a selection ranked at several positions', async () => {
    const data = load();
    const cvr = (data['CVR'] as Json[])[0] as Json;
    const sel = ((((cvr['CVRSnapshot'] as Json[])[0] as Json)['CVRContest'] as Json[])[0] as Json)['CVRContestSelection'] as Json[];
    const first = sel[0] as Json;
    (first['SelectionPosition'] as Json[]).push({ '@type': 'CVR.SelectionPosition', HasIndication: 'yes', IsAllocable: 'unknown', NumberVotes: 1, Rank: 3 });
    const db = importTestDb();
    const r = await importLocalFile(db, write('cdf.json', data));
    expect(r.ok).toBe(true);
    const ranks = db
      .prepare<[string], { rank: number }>(`SELECT v.rank FROM cvr_votes v JOIN cvr_records c ON c.id = v.cvr_id WHERE c.id = (SELECT min(id) FROM cvr_records) AND v.option_key = ? ORDER BY v.rank`)
      .all(first['ContestSelectionId'] as string);
    expect(ranks.map((x) => x.rank)).toEqual([1, 3]);
  });

  it('reads "@type": "CVR" as well as "CVR.CVR"', async () => {
    const text = readFileSync(testSet0, 'utf8').replace(/"CVR\.CVR"/g, '"CVR"');
    expect(text).toMatch(/"@type" ?: ?"CVR"[^.]/);
    const db = importTestDb();
    const r = await importLocalFile(db, write('cdf.json', text));
    expect(r.ok ? r.value.records : r.error.message).toBe(12);
  });

  it('says "expected" once when @type is wrong', async () => {
    const text = readFileSync(testSet0, 'utf8').replace('"CVR.CVR"', '"CVR.Ballot"');
    const db = importTestDb();
    const r = await importLocalFile(db, write('cdf.json', text));
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.message).toMatch(/CVR\[0\]\.@type: expected /);
      expect(r.error.message).not.toMatch(/expected expected/);
    }
  });

  it('reads CDF XML (Unisyn OVS): every <CVR>, round 1 of "For City C Mayor (1/3)" equals RCTab\'s', async () => {
    const file = join(corpusDir, 'rctab-samples', 'unisyn', '101-RCV-CVT_TEST_3_UNIOVS2103-2.xml');
    const cvrs = (readFileSync(file, 'utf8').match(/<CVR>/g) ?? []).length;
    expect(cvrs).toBeGreaterThan(10);
    const db = importTestDb();
    const r = await importLocalFile(db, file);
    expect(r.ok ? r.value : r.error.message).toMatchObject({ status: 'imported', format: 'nist-cvr-xml', records: cvrs });
    const expected = rctabRound1(join(corpusDir, 'rctab-samples', 'unisyn', 'unisyn_xml_cdf_city_mayor_expected_detailed_report.json'));
    expect(importedRound1(db, 'For City C Mayor (1/3)')).toEqual(expected);
    expect(buildPhase1Report(db, () => readSheetFills(db)).summary.duplicateCvrs).toBe(0);
  });

  it('reads namespaced CDF XML (cdf: prefix): records, IsAllocable "no" not counted, undervotes kept', async () => {
    const file = join(cdf, 'nist_xml_cdf_2.xml');
    const raw = readFileSync(file, 'utf8');
    const cvrs = (raw.match(/<cdf:CVR>/g) ?? []).length;
    const db = importTestDb();
    const r = await importLocalFile(db, file);
    expect(r.ok ? r.value.records : r.error.message).toBe(cvrs);
    // RCTab counts none of the declared candidates in round 1; the one write-in (no selection id) is kept as such.
    const report = JSON.parse(readFileSync(join(cdf, 'nist_xml_cdf_2_expected_detailed_report.json'), 'utf8')) as { results: { round: number; tally: Record<string, string> }[] };
    const rctab = report.results.find((x) => x.round === 1)?.tally ?? {};
    expect(Object.keys(rctab).length).toBe(3);
    const mine = importedRound1(db, 'For Governor and Lieutenant Governor');
    for (const [name, votes] of Object.entries(rctab)) expect([name, mine.get(name) ?? 0]).toEqual([name, Number(votes)]);
    expect(mine.get('(write-in)')).toBe((raw.match(/<cdf:CVRWriteIn>/g) ?? []).length);
    const notCounted = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM cvr_votes WHERE contest_key = '_5TS' AND is_vote = 0`).get();
    expect(notCounted?.n).toBe(2);
    const under = db.prepare<[], { n: number | null }>(`SELECT sum(undervotes) AS n FROM cvr_contest_status`).get();
    expect(under?.n).toBeGreaterThan(0);
  });
});
