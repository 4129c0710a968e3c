import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDominionCvrExport, parseDominionManifest } from './dominion.ts';
import { importLocalPath, importLocalFile } from './importFile.ts';
import type { NormalizedCvr } from './model.ts';
import { dominionCorpus, importTestDb, tempDir } from './testSupport.ts';

interface RawMark { CandidateId: number; Rank: number; IsVote: boolean }
interface RawState { IsCurrent: boolean; Cards?: { Contests: { Id: number; Marks: RawMark[] }[] }[]; Contests?: { Id: number; Marks: RawMark[] }[] }
interface RawSession { TabulatorId: number; BatchId: number; RecordId: number; Original: RawState; Modified?: RawState }

const cvrFiles = readdirSync(dominionCorpus).filter((f) => /^CvrExport_\d+\.json$/.test(f)).sort();

/** Independent reading of the raw export: plain JSON.parse and loops, no project code. */
function rawTotals() {
  let records = 0;
  const totals = new Map<string, number>(); // "contest|candidate" -> first-choice votes
  const perBatch = new Map<string, number>();
  for (const f of cvrFiles) {
    const data = JSON.parse(readFileSync(join(dominionCorpus, f), 'utf8')) as { Sessions: RawSession[] };
    for (const s of data.Sessions) {
      records++;
      perBatch.set(`${s.TabulatorId}/${s.BatchId}`, (perBatch.get(`${s.TabulatorId}/${s.BatchId}`) ?? 0) + 1);
      const state = s.Modified?.IsCurrent ? s.Modified : s.Original;
      const contests = state.Cards ? state.Cards.flatMap((c) => c.Contests) : (state.Contests ?? []);
      for (const c of contests) for (const m of c.Marks) {
        if (m.IsVote && m.Rank === 1) totals.set(`${c.Id}|${m.CandidateId}`, (totals.get(`${c.Id}|${m.CandidateId}`) ?? 0) + 1);
      }
    }
  }
  return { records, totals, perBatch };
}

describe('Dominion CVR export (real Alaska 2024 corpus)', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('parses every CvrExport file with the same record count and per-contest totals as the raw JSON', async () => {
    const expected = rawTotals();
    expect(expected.records).toBeGreaterThan(100);
    const got: NormalizedCvr[] = [];
    for (const f of cvrFiles) {
      const r = await parseDominionCvrExport(join(dominionCorpus, f), f, { record: (c) => got.push(c) });
      expect(r.ok, JSON.stringify(r)).toBe(true);
      if (r.ok) expect(r.value.version).toBe('5.17.18.1');
    }
    expect(got.length).toBe(expected.records);
    const totals = new Map<string, number>();
    for (const c of got) for (const v of c.votes) if (v.isVote && v.rank === 1) totals.set(`${v.contestKey}|${v.optionKey}`, (totals.get(`${v.contestKey}|${v.optionKey}`) ?? 0) + 1);
    expect(totals).toEqual(expected.totals);
    expect(got[0]?.imageKey).toMatch(/^d:\d+_\d+_\d+$/);
  });

  it('imports the folder into SQLite: records, votes, contest names and batches match the raw export', async () => {
    const db = importTestDb();
    const r = await importLocalPath(db, dominionCorpus);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.failures).toEqual([]);
    const expected = rawTotals();
    const n = db.prepare(`SELECT count(*) AS n FROM cvr_records r JOIN import_sources s ON s.id = r.source_id WHERE s.state = 'active'`).get() as { n: number };
    expect(n.n).toBe(expected.records);
    const rows = db
      .prepare(`SELECT contest_key AS c, option_key AS o, count(*) AS n FROM cvr_votes WHERE is_vote = 1 AND rank = 1 GROUP BY contest_key, option_key`)
      .all() as { c: string; o: string; n: number }[];
    expect(new Map(rows.map((x) => [`${x.c}|${x.o}`, x.n]))).toEqual(expected.totals);
    const batches = db.prepare(`SELECT tabulator || '/' || batch AS k, count(*) AS n FROM cvr_records GROUP BY k`).all() as { k: string; n: number }[];
    expect(new Map(batches.map((b) => [b.k, b.n]))).toEqual(expected.perBatch);
    const president = db.prepare(`SELECT name, vote_for, num_ranks FROM import_contests WHERE contest_key = '4'`).get();
    expect(president).toEqual({ name: 'U.S. President / Vice President', vote_for: 1, num_ranks: 8 });
    const harris = db.prepare(`SELECT name FROM import_options WHERE contest_key = '4' AND option_key = '542'`).get();
    expect(harris).toEqual({ name: 'Harris/Walz' });
    // Idempotent: a second import of the same folder changes nothing.
    const again = await importLocalPath(db, dominionCorpus);
    expect(again.ok && again.value.outcomes.every((o) => o.status === 'unchanged' || o.status === 'not-election-data')).toBe(true);
    expect((db.prepare(`SELECT count(*) AS n FROM cvr_records`).get() as { n: number }).n).toBe(expected.records);
  });

  it('reads the manifests (contests, candidates, tabulators, counting groups)', async () => {
    const c = await parseDominionManifest(join(dominionCorpus, 'ContestManifest.json'), 'ContestManifest.json', 'ContestManifest');
    const raw = JSON.parse(readFileSync(join(dominionCorpus, 'ContestManifest.json'), 'utf8')) as { List: unknown[] };
    expect(c.ok && c.value.contests.length).toBe(raw.List.length);
    const t = await parseDominionManifest(join(dominionCorpus, 'TabulatorManifest.json'), 'TabulatorManifest.json', 'TabulatorManifest');
    expect(t.ok && t.value.lookups.every((l) => l.kind === 'tabulator')).toBe(true);
  });

  it('uses Modified when it is current, and reads the older layout with Contests under Original', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const mark = (cand: number, isVote = true, rank = 1) => ({ CandidateId: cand, PartyId: 0, Rank: rank, MarkDensity: 90, IsAmbiguous: false, IsVote: isVote });
    const data = {
      Version: '5.5.12.1',
      ElectionId: 'Test',
      Sessions: [
        {
          TabulatorId: 1, BatchId: 2, RecordId: 3, CountingGroupId: 1, ImageMask: 'C:\\x\\00001_00002_000003*.*',
          Original: { PrecinctPortionId: 5, BallotTypeId: 6, IsCurrent: false, Cards: [{ Id: 1, Contests: [{ Id: 10, Marks: [mark(100)] }] }] },
          Modified: { PrecinctPortionId: 5, BallotTypeId: 6, IsCurrent: true, Cards: [{ Id: 1, Contests: [{ Id: 10, Marks: [mark(101)] }] }] },
        },
        {
          TabulatorId: 1, BatchId: 2, RecordId: 4, CountingGroupId: 1,
          Original: { PrecinctPortionId: 5, BallotTypeId: 6, IsCurrent: true, Contests: [{ Id: 10, Marks: [mark(100), mark(101, true, 2), mark(102, false)] }] },
        },
      ],
    };
    const path = join(dir, 'CvrExport.json');
    writeFileSync(path, JSON.stringify(data, null, 2));
    const got: NormalizedCvr[] = [];
    const r = await parseDominionCvrExport(path, 'CvrExport.json', { record: (c) => got.push(c) });
    expect(r.ok).toBe(true);
    expect(got.map((c) => c.votes.map((v) => `${v.optionKey}:${v.rank}:${v.isVote}`))).toEqual([['101:1:true'], ['100:1:true', '101:2:true', '102:1:false']]);
    expect(got.map((c) => c.imageKey)).toEqual(['d:1_2_3', 'd:1_2_4']);
  });

  it('keeps earlier imports when a later version of the file is bad', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const db = importTestDb();
    const path = join(dir, 'CvrExport_1731.json');
    writeFileSync(path, readFileSync(join(dominionCorpus, 'CvrExport_1731.json')));
    const first = await importLocalFile(db, path);
    expect(first.ok && first.value.records).toBe(3);
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.replace('"IsVote":true', '"IsVote":"yes"'));
    const second = await importLocalFile(db, path);
    expect(second.ok).toBe(false);
    if (!second.ok) expect(second.error.message).toMatch(/CvrExport_1731\.json at Sessions\[\d+\]\.Original\.Cards\[0\]\.Contests\[0\]\.Marks\[0\]\.IsVote: expected IsVote to be boolean, found "yes"/);
    const active = db.prepare(`SELECT count(*) AS n FROM cvr_records r JOIN import_sources s ON s.id = r.source_id WHERE s.state = 'active'`).get();
    expect(active).toEqual({ n: 3 });
    expect((db.prepare(`SELECT count(*) AS n FROM cvr_records`).get() as { n: number }).n).toBe(3);
  });
});
