/**
 * Issue 20's test-deck criteria on the generator's logic-and-accuracy deck (`--test-deck`): every
 * oval of every sheet carries a mark (fill, check, X, circle, line-through, dot, light fill), so no
 * sheet has a blank oval of its own. Both designs' scans: Dominion 200 dpi bitonal G4 and ES&S
 * 300 dpi grey JPEG. Criteria: 0 clear marks read wrong, 0 contests silently wrong, every check,
 * X, circle and line-through at least marginal.
 *
 * Small in `npm test` (a few ballots). The larger run is opt-in:
 *   BALLOTSAFE_TEST_DECK_BALLOTS=150 npx vitest run daemon/preaudit/testDeckAccuracy.test.ts
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { type AccuracyReport, evaluateSample, formatReport } from '../../test/preaudit/accuracy.ts';

const ballots = Number(process.env['BALLOTSAFE_TEST_DECK_BALLOTS'] ?? 4);
const root = mkdtempSync(path.join(os.tmpdir(), 'preaudit-test-deck-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let report: AccuracyReport;

beforeAll(async () => {
  const out = path.join(root, 'deck');
  const g = await generateSampleElection({ out, seed: 2020, ballots, format: 'both', precincts: 2, testDeck: true, skewVariants: ballots > 20 ? 4 : 1 });
  if (!g.ok) throw new Error(g.error.message);
  report = await evaluateSample(out, ballots > 20 ? { workers: Math.max(2, os.availableParallelism()) } : {});
  console.info(formatReport(report).split('\n').filter((l) => /^(sheets|contests|clear|ambiguous)/.test(l) || /^\s*(check|x|circle|line-through|hesitation-dot|light|full) /.test(l)).join('\n'));
}, 900_000);

describe('test deck: every oval marked some way', () => {
  it('reads every sheet, finds every target, and no oval is blank', () => {
    expect(report.unreadable, formatReport(report)).toEqual([]);
    expect(report.targetsNotFound).toBe(0);
    expect(report.sheetsByVendor['dominion']).toBeGreaterThan(0);
    expect(report.sheetsByVendor['ess']).toBeGreaterThan(0);
    expect(report.blankTargets).toBe(0);
    const kinds = new Set(Object.keys(report.byKind).map((k) => k.replace(/ \(ambiguous\)/, '').replace(/ (dominion|ess)$/, '')));
    expect([...kinds].sort()).toEqual(['check', 'circle', 'full', 'hesitation-dot', 'light', 'line-through', 'x']);
  });

  it('reads 0 clear marks wrong and 0 contests silently wrong', () => {
    expect(report.clearMarks).toBeGreaterThan(50);
    expect(report.clearMarksWrong, formatReport(report)).toEqual([]);
    expect(report.contestsWrong, formatReport(report)).toEqual([]);
    expect(report.ambiguousWrong, formatReport(report)).toEqual([]);
  });

  it('reads every check, X, circle and line-through at least marginal', () => {
    for (const [key, stats] of Object.entries(report.byKind)) {
      if (!/^(check|x|circle|line-through)\b/.test(key)) continue;
      expect(stats.unmarked, key).toBe(0);
      expect(stats.n, key).toBeGreaterThan(0);
    }
  });
});
