import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { essScannerContests, ESS_SCANNER_RULE, scannerView } from './essScanner.ts';
import { generateSampleElection } from './generate.ts';
import type { Target } from './layout.ts';
import { targetMark, type MarkKind, type TruthMark } from './marks.ts';
import { Rng } from './prng.ts';
import { BITONAL_THRESHOLD } from './render.ts';
import type { BallotTruth } from './truth.ts';
import { makeElection } from './election.ts';

const target: Target = { side: 'front', column: 2, row: 20, contestId: 'c1', optionId: 'o1', type: 'option' };
const at = { targetXY: () => [1.2, 3.4] as const, strayPoint: () => [0, 0] as const };
function mark(kind: MarkKind, intended: boolean, ambiguous: boolean, fill: number): TruthMark {
  return targetMark(target, kind, intended, ambiguous, fill, null, at);
}
/** The scanner's ink share over many pen jitters of one mark. */
function shares(m: TruthMark): number[] {
  return Array.from({ length: 40 }, (_, i) => scannerView(m, new Rng(1000 + i), 200).inkShare);
}

describe("ES&S's scanner as the generator models it", () => {
  it('sees ink at the black level it writes its bitonal image with', () => {
    expect(ESS_SCANNER_RULE.blackLevel).toBe(BITONAL_THRESHOLD);
  });

  it('counts fills, light fills, crosses, checks and half-erased marks; not faint marks, hesitation dots or well-made erasures', () => {
    const counts = (m: TruthMark) => shares(m).map((s) => s >= ESS_SCANNER_RULE.voteShare);
    for (const m of [mark('full', true, false, 0.95), mark('light', true, false, 0.9), mark('x', true, false, 0.3), mark('check', true, false, 0.25), mark('partial', true, false, 0.5), mark('erasure', false, true, 0.5)]) {
      expect(counts(m).every(Boolean), m.kind).toBe(true);
    }
    for (const m of [mark('light', true, true, 0.9), mark('hesitation-dot', false, false, 0.05), mark('erasure', false, false, 0.3)]) {
      expect(counts(m).some(Boolean), m.kind).toBe(false);
    }
    // a small check is near the cut (0.13..0.15 of the oval): counted, but far from a clear one
    expect(Math.max(...shares(mark('check', true, true, 0.1)))).toBeLessThan(Math.min(...shares(mark('check', true, false, 0.25))) - 0.04);
  });

  it('applies the contest rules to what it counts: a faint mark leaves the contest blank, a half-erased one beside a vote overvotes it', () => {
    const election = makeElection({ seed: 1, precincts: 1, primary: false });
    const contest = election.contests.find((c) => c.voteFor === 1 && c.options.length >= 2)!;
    const a = contest.options[0]!;
    const b = contest.options[1]!;
    const on = (optionId: string, m: TruthMark): TruthMark => ({ ...m, contestId: contest.id, optionId });
    const faint = [on(a.id, mark('light', true, true, 0.9))];
    const sheet = (selections: string[]) => ({ marks: [], contests: [{ contestId: contest.id, voteFor: 1, selections, votes: selections, outcome: 'voted' as const, ambiguous: true, writeInNames: {} }] });
    expect(essScannerContests(election, sheet([a.id]), faint, 7, 's', 200)).toEqual([{ contestId: contest.id, votes: [], selections: [], outcome: 'blank' }]);
    const erased = [on(a.id, mark('full', true, false, 0.95)), on(b.id, mark('erasure', false, true, 0.5))];
    expect(essScannerContests(election, sheet([a.id]), erased, 7, 's', 200)[0]?.outcome).toBe('overvote');
  });
});

describe('the ES&S export: its CVR is what the scanner counted, its truth says both', () => {
  let out = '';
  beforeAll(async () => {
    out = await mkdtemp(join(tmpdir(), 'ess-scanner-'));
    const r = await generateSampleElection({ out, seed: 5, ballots: 60, precincts: 2, format: 'ess', essShape: 'electionware', essDpi: 200, images: false, discrepancies: { flip: 0, drop: 0, dup: 0, totals: 0 } });
    if (!r.ok) throw new Error(r.error.message);
  }, 120_000);
  afterAll(() => rm(out, { recursive: true, force: true }));

  it('writes the scanner\'s count, not the intent, for sheets with a faint or half-erased mark', async () => {
    const rows = parse(await readFile(join(out, 'ess', 'CVR', 'CVR_Export.csv'), 'utf8'), { columns: false }) as string[][];
    const header = rows[0] ?? [];
    const election = JSON.parse(await readFile(join(out, 'truth', 'election.json'), 'utf8')) as { contests: { id: string; title: string; options: { id: string; name: string }[] }[] };
    let differing = 0;
    for (const f of await readdir(join(out, 'truth', 'ballots'))) {
      const ballot = JSON.parse(await readFile(join(out, 'truth', 'ballots', f), 'utf8')) as BallotTruth;
      for (const s of ballot.sheets) {
        const row = rows.find((r) => Number(r[0]) === s.ess.cvrNumber);
        if (row === undefined || s.scannerContests === undefined) continue;
        for (const sc of s.scannerContests) {
          const c = election.contests.find((x) => x.id === sc.contestId)!;
          const cells = header.flatMap((h, i) => (h === c.title ? [row[i] ?? ''] : [])).filter((v) => v !== 'undervote' && v !== '');
          const want = sc.outcome === 'overvote' ? cells.map(() => 'overvote') : sc.votes.map((v) => (v.startsWith('write-in-') ? 'Write-in' : c.options.find((o) => o.id === v)!.name));
          expect(cells.sort(), `${s.sheetId} ${c.title}`).toEqual(want.sort());
          const intent = s.contests.find((x) => x.contestId === sc.contestId)!;
          if ([...intent.votes].sort().join() !== [...sc.votes].sort().join() || intent.outcome === 'overvote' !== (sc.outcome === 'overvote')) {
            differing++;
            expect(intent.ambiguous, `${s.sheetId} ${c.title}`).toBe(true);
          }
        }
      }
    }
    expect(differing).toBeGreaterThan(0);
  });
});

