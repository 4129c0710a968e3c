/**
 * Issue 21's accuracy criteria on the generator's ES&S design as Electionware exports it
 * (scripts/sample-election, `format: 'ess'`, `essShape: 'electionware'`): `<id>i.pdf` files of two
 * bitonal CCITT G4 pages, every mark kind and scanner effect, ExpressVote cards among them,
 * flipped CVR votes, a dropped CVR row, a rescanned sheet and an altered results total; read on
 * the worker pool as the daemon reads them (dashed-border grid, style from the printed ovals) and
 * compared with the ES&S CVR.
 *
 * A small election runs in `npm test` (about 40 s on 2 cores, most of it drawing the ballots). The issue's run is opt-in:
 *   BALLOTSAFE_ESS_ACCURACY=full    SLOW: more than 2,000 sheets, about half an hour on 2 cores
 *
 * The CVR is what ES&S's scanner counts on the grey marks (scripts/sample-election/essScanner.ts),
 * not the voter's intent: a faint mark it skips and the bitonal image drops, or a half-erased mark
 * it counts and the image shows black, is read as the scanner counted it; image and CVR agree there,
 * and the test checks that only marks designed ambiguous are read so. Where the scanner's count
 * and the image part (a small check or a started fill near its cut) the pre-audit must say gray,
 * never disagree: false disagreements are counted with no exception.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { type AccuracyReport, evaluateSample, formatReport } from './accuracy.ts';

const full = process.env['BALLOTSAFE_ESS_ACCURACY'] === 'full';
const root = mkdtempSync(path.join(os.tmpdir(), 'preaudit-ess-accuracy-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const injected = { flip: 2, drop: 1, dup: 1, totals: 1 };
let report: AccuracyReport;
const workers = Math.max(2, os.availableParallelism());

describe(`ES&S design (Electionware PDFs), ${full ? 'more than 2,000 sheets (slow)' : 'a small election'}`, () => {
  beforeAll(async () => {
    const out = path.join(root, 'ess');
    const g = await generateSampleElection({ out, seed: 2121, ballots: full ? 1500 : 16, precincts: full ? 6 : 2, format: 'ess', essShape: 'electionware', essDpi: 200, batchSize: 100, discrepancies: injected });
    if (!g.ok) throw new Error(g.error.message);
    report = await evaluateSample(out, { vendors: ['ess'], essDesign: 'ess-dashed', compare: true, workers });
    const c = report.comparison!;
    // the figures for the report
    console.info(
      `${formatReport(report).split('\n').filter((l) => /^(sheets|contests|clear|ambiguous|blank|comparison|  false|  totals)/.test(l)).join('\n')}\n` +
        `BMD cards: ${report.bmdCards}, set apart ${report.bmdCardsApart}; contests read against intent as the scanner counted: ${report.contestsAsScanned.length}; gray sheets ${c.grayBallots} of ${c.ballotsCompared}`,
    );
  }, full ? 7_200_000 : 300_000);

  it('reads every hand-marked sheet with the right style, every target found; BMD cards set apart, none read', () => {
    expect(report.sheets - report.bmdCards).toBeGreaterThanOrEqual(full ? 2000 : 15);
    expect(report.unreadable, formatReport(report)).toEqual([]);
    expect(report.targetsNotFound).toBe(0);
    expect(report.bmdCardsNotApart).toEqual([]);
    if (full) {
      expect(report.bmdCards).toBeGreaterThan(10);
      const kinds = new Set(Object.keys(report.byKind).map((k) => k.replace(/ ess$/, '')));
      for (const k of ['full', 'partial', 'check', 'x', 'light', 'hesitation-dot', 'erasure', 'partial (ambiguous)', 'check (ambiguous)', 'light (ambiguous)']) expect(kinds.has(k), k).toBe(true);
    }
  });

  it('reads every clear mark right and no blank target as a vote', () => {
    expect(report.clearMarks).toBeGreaterThan(full ? 10_000 : 80);
    expect(report.clearMarksWrong, formatReport(report)).toEqual([]);
    expect(report.blankTargetsMarked).toBe(0);
  });

  it('leaves nothing silently wrong: a contest read against intent is an ambiguous mark, read as the scanner counted it or reported', () => {
    const details = report.comparison!.details;
    // image and honest CVR agree there; only a mark designed ambiguous may mislead the scanner
    for (const w of report.contestsAsScanned) expect(w.ambiguous, JSON.stringify(w)).toBe(true);
    // a sheet whose CVR row was dropped is reported whole (an image without a CVR record)
    const withoutCvr = new Set(report.comparison!.injected.filter((d) => d.kind === 'drop').map((d) => d.sheetId));
    for (const w of report.contestsWrong) {
      expect(w.ambiguous, JSON.stringify(w)).toBe(true);
      if (withoutCvr.has(w.sheetId)) continue;
      expect(details[`ess:${w.sheetId}`]?.some((d) => d.contestId === w.contestId), JSON.stringify(w)).toBe(true);
    }
    // the same for each mark: an ambiguous mark read against intent (a faded light mark, an erasure the bitonal cut turned black) lies in a reported contest
    for (const m of report.ambiguousWrong.filter((x) => !withoutCvr.has(x.sheetId))) expect(details[`ess:${m.sheetId}`]?.some((d) => m.target.startsWith(`${d.contestId}/`)), JSON.stringify(m)).toBe(true);
  });

  it('finds every injected discrepancy, with false disagreements on under 0.1 % of sheets', () => {
    const c = report.comparison!;
    expect(c.injected.length).toBe(injected.flip + injected.drop + injected.dup + injected.totals);
    expect(c.injected.filter((d) => !d.found), formatReport(report)).toEqual([]);
    expect(c.falseDisagreementBallots.length, formatReport(report)).toBeLessThan(Math.max(1, c.ballotsCompared * 0.001));
  });
});
