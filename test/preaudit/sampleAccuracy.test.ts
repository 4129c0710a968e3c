/**
 * Issue 7's accuracy criteria on the sample-election generator's output (scripts/sample-election),
 * more than 2,000 sheets: a Dominion general election (200 dpi bitonal G4 multipage TIFF, 6
 * precincts) and an ES&S partisan primary (300 dpi grey JPEG, one ballot style per party and
 * precinct), every mark kind (full, partial, check, x, light, hesitation dot, erasure, stray,
 * write-in names) and every scanner effect the generator has (skew, scale, shift, paper noise,
 * dust, streaks), each with flipped CVR votes, a dropped CVR row, a rescanned sheet and an altered
 * results-summary total. Sheets are read on the worker pool, as the daemon reads them, and
 * compared with the vendor's CVR export and the results summary.
 *
 * "Reported gray" for a mark designed ambiguous means: read marginal, or its contest compared
 * gray because the EMS flagged the mark ambiguous (Dominion's CVR does; on a bitonal image a very
 * light fill is gone and a half-erased mark is solid black, so only that flag can tell).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { type AccuracyReport, evaluateSample, formatReport } from '../../test/preaudit/accuracy.ts';

const root = mkdtempSync(path.join(os.tmpdir(), 'preaudit-accuracy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const injected = { flip: 3, drop: 1, dup: 1, totals: 1 };
let dominion: AccuracyReport;
let ess: AccuracyReport;
const workers = Math.max(2, os.availableParallelism());

beforeAll(async () => {
  const [d, e] = await Promise.all([
    generateSampleElection({ out: path.join(root, 'dominion'), seed: 7101, ballots: 1060, format: 'dominion', precincts: 6, discrepancies: injected }),
    generateSampleElection({ out: path.join(root, 'ess'), seed: 7102, ballots: 540, format: 'ess', primary: true, discrepancies: injected }),
  ]);
  if (!d.ok) throw new Error(d.error.message);
  if (!e.ok) throw new Error(e.error.message);
  dominion = await evaluateSample(path.join(root, 'dominion'), { vendors: ['dominion'], compare: true, workers });
  ess = await evaluateSample(path.join(root, 'ess'), { vendors: ['ess'], compare: true, workers });
  // the figures quoted in the README come from here
  const figures = (r: AccuracyReport) => formatReport(r).split('\n').filter((l) => /^(sheets|contests|clear|ambiguous|blank|comparison|  false|  totals)/.test(l));
  console.info([...figures(dominion), ...figures(ess)].join('\n'));
}, 900_000);

const both = () => [dominion, ess] as const;

describe('sample elections, Dominion G4 and ES&S grey JPEG', () => {
  it('reads more than 2,000 sheets of several styles, every target found', () => {
    expect(dominion.sheets + ess.sheets).toBeGreaterThanOrEqual(2000);
    expect(ess.sheets).toBeGreaterThanOrEqual(600);
    for (const r of both()) {
      expect(r.unreadable, formatReport(r)).toEqual([]);
      expect(r.targetsNotFound).toBe(0);
      // every kind of mark, clear and designed ambiguous, was drawn on each vendor's sheets
      const kinds = new Set(Object.keys(r.byKind).map((k) => k.replace(/ (dominion|ess)$/, '')));
      for (const k of ['full', 'partial', 'check', 'x', 'light', 'hesitation-dot', 'erasure', 'partial (ambiguous)', 'check (ambiguous)', 'light (ambiguous)', 'erasure (ambiguous)']) {
        expect(kinds.has(k), k).toBe(true);
      }
    }
  });

  it('reads every clear mark right and no blank target as a vote', () => {
    for (const r of both()) {
      expect(r.clearMarks).toBeGreaterThan(5000);
      expect(r.clearMarksWrong, formatReport(r)).toEqual([]);
      expect(r.blankTargetsMarked).toBe(0);
      // a blank oval under dust or a streak may come out gray, rarely
      expect(r.blankTargetsNotUnmarked, formatReport(r)).toBeLessThanOrEqual(Math.ceil(r.blankTargets * 0.001));
    }
  });

  it('reads every mark designed ambiguous right or reports it gray, never silently wrong', () => {
    for (const r of both()) {
      expect(r.ambiguousMarks).toBeGreaterThan(300);
      expect(r.ambiguousWrong, formatReport(r)).toEqual([]);
      expect(r.contestsWrong, formatReport(r)).toEqual([]);
    }
    // grey scans keep what is needed: there the reading itself reports every doubtful mark
    expect(ess.ambiguousGrayByCvr).toEqual([]);
  });

  it('finds every injected discrepancy: flipped votes, dropped CVR rows, a rescanned sheet, an altered results total', () => {
    for (const r of both()) {
      const c = r.comparison!;
      expect(c.injected.length).toBe(injected.flip + injected.drop + injected.dup + injected.totals);
      expect(c.injected.filter((d) => !d.found), formatReport(r)).toEqual([]);
      expect(c.resultsUnmatched).toBe(0);
    }
  });

  it('has false disagreements on under 0.1% of ballots', () => {
    const compared = dominion.comparison!.ballotsCompared + ess.comparison!.ballotsCompared;
    const falseOnes = [...dominion.comparison!.falseDisagreementBallots, ...ess.comparison!.falseDisagreementBallots];
    expect(compared).toBeGreaterThanOrEqual(2000);
    expect(falseOnes.length, `${formatReport(dominion)}\n${formatReport(ess)}`).toBeLessThan(compared * 0.001);
  });
});
