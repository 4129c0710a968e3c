/**
 * Accuracy on the sample-election generator's output (scripts/sample-election): ~100 Dominion
 * sheets (200 dpi bitonal G4 multipage TIFF) and ~20 ES&S sheets (300 dpi grey JPEG), every mark
 * kind and scanner effect, compared with the generator's ground truth and with its CVR export.
 * The ≥ 2,000-sheet run is `npx tsx daemon/preaudit/accuracy.ts <dir>` (see README).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { type AccuracyReport, evaluateSample, formatReport } from './accuracy.ts';

const root = mkdtempSync(path.join(tmpdir(), 'preaudit-sample-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let dominion: AccuracyReport;
let ess: AccuracyReport;

beforeAll(async () => {
  const d = await generateSampleElection({
    out: path.join(root, 'dominion'),
    seed: 7001,
    ballots: 60,
    format: 'dominion',
    discrepancies: { flip: 3, drop: 1, dup: 1, totals: 0 },
  });
  if (!d.ok) throw new Error(d.error.message);
  const e = await generateSampleElection({ out: path.join(root, 'ess'), seed: 7002, ballots: 12, format: 'ess' });
  if (!e.ok) throw new Error(e.error.message);
  dominion = await evaluateSample(path.join(root, 'dominion'), { compareDominion: true });
  ess = await evaluateSample(path.join(root, 'ess'), { vendors: ['ess'] });
}, 600_000);

describe.each([
  ['Dominion G4 200 dpi', () => dominion, 90],
  ['ES&S grey JPEG 300 dpi', () => ess, 15],
] as const)('%s', (_label, report, minSheets) => {
  it('reads every sheet and finds every target', () => {
    const r = report();
    expect(r.sheets, formatReport(r)).toBeGreaterThanOrEqual(minSheets);
    expect(r.unreadable).toEqual([]);
    expect(r.targetsNotFound).toBe(0);
  });

  it('reads every clear mark right and no blank target as a mark', () => {
    const r = report();
    expect(r.clearMarksWrong, formatReport(r)).toEqual([]);
    expect(r.blankTargetsMarked).toBe(0);
    // a blank oval crossed by a scanner streak or printed thick may come out gray, rarely
    expect(r.blankTargetsNotUnmarked).toBeLessThanOrEqual(Math.ceil(r.blankTargets * 0.002));
    // every kind of mark the generator draws was seen
    const kinds = new Set(Object.keys(r.byKind).map((k) => k.split(' ')[0]));
    for (const k of ['full', 'partial', 'check', 'x', 'light', 'hesitation-dot', 'erasure']) expect(kinds.has(k), k).toBe(true);
  });

  it('gets no contest wrong unless the voter left an ambiguous mark in it', () => {
    const r = report();
    expect(r.contestsWrong.filter((c) => !c.ambiguous)).toEqual([]);
  });
});

describe('ES&S grey scans', () => {
  it('never reads a mark designed ambiguous against the voter\'s intent without reporting it gray', () => {
    // Bitonal G4 can erase a light mark or blacken an erasure; grey scans keep what is needed.
    expect(ess.ambiguousWrong.length, formatReport(ess)).toBeLessThanOrEqual(1);
  });
});

describe('comparison with the Dominion CVR export', () => {
  it('finds every injected discrepancy (flipped votes, dropped CVR rows, a rescanned sheet)', () => {
    const c = dominion.comparison!;
    expect(c.injected.length).toBe(5);
    expect(c.injected.filter((d) => !d.found), formatReport(dominion)).toEqual([]);
  });

  it('reports no disagreement that no discrepancy explains', () => {
    const c = dominion.comparison!;
    expect(c.falseDisagreementBallots, formatReport(dominion)).toEqual([]);
  });
});
