/**
 * What an ES&S scanner counts, as the generator's ES&S CVR must say it: the scanner decides each
 * oval from its own grey capture, by its own rule, not from the voter's intent. A faint mark it
 * does not count is missing from the real CVR; a half-erased mark it counts is there.
 *
 * The rule (ES&S does not publish its own): a pixel is ink when darker than the scanner's black
 * level, and an oval is a vote when ink covers at least `voteShare` of it. VotingWorks documents
 * this shape of rule for its scanners ("darker pixels in the bubble area" over a threshold, 7 % by
 * default). The black level is the one the scanner writes its bitonal image with (one calibration
 * for both); the share, 12 %, counts a pencil fill, a single stroke, a check or a cross, and not a
 * hesitation dot, a smudge or a well-made erasure: the classes D. W. Jones reports for the ES&S 650
 * ("On Optical Mark-Sense Scanning", Towards Trustworthy Elections, 2010, fig. 3), with a marginal
 * class between them that one pass may count and the next not. Measured on the generator's marks
 * at 200 dpi: small checks cover 0.13–0.15 of the oval and started fills 0.10–0.19 (that marginal
 * class), clear checks ≥ 0.20, hesitation dots ≤ 0.03; a faint fill lighter than the black level
 * covers nothing, a half-erased fill darker than it covers all.
 */
import type { Election } from './election.ts';
import { GRID } from './layout.ts';
import { drawMark, type SheetMarks, type TruthMark } from './marks.ts';
import { Rng } from './prng.ts';
import { Pen, type Gray } from './raster.ts';
import type { ReportedContest } from './truth.ts';

export interface EssScannerRule {
  /** Grey level (0 black .. 255 paper) below which the scanner sees ink. */
  readonly blackLevel: number;
  /** Share of the oval's inside covered by ink from which the scanner counts a vote. */
  readonly voteShare: number;
}

/** The black level is render.ts's BITONAL_THRESHOLD (kept in step by essScanner.test.ts). */
export const ESS_SCANNER_RULE: EssScannerRule = { blackLevel: 185, voteShare: 0.12 };

/** How one mark looks to the scanner's grey capture, inside the oval. */
export interface ScannerView {
  /** Share of the oval's inside darker than the black level. */
  readonly inkShare: number;
  /** Mean darkness inside the oval (0 paper .. 1 black). */
  readonly darkness: number;
}

const PATCH_IN = 0.6;

/**
 * Draws the mark alone, with the same pen jitter the scan gets (`inkRng` as the renderer derives
 * it), on a grey patch at `dpi`, and measures the oval's inside.
 */
export function scannerView(mark: TruthMark, inkRng: Rng, dpi: number, rule: EssScannerRule = ESS_SCANNER_RULE): ScannerView {
  const size = Math.round(PATCH_IN * dpi);
  const patch: Gray = { width: size, height: size, dpi, data: Buffer.alloc(size * size, 255) };
  // project() maps page inches to (x·dpi + shift): the shift puts the oval's centre in the middle
  const pen = new Pen(patch, { skewDeg: 0, scale: 1, shiftXPx: size / 2 - mark.xIn * dpi, shiftYPx: size / 2 - mark.yIn * dpi });
  drawMark(pen, mark, inkRng, GRID.oval);
  const rx = (GRID.oval.widthIn / 2) * dpi;
  const ry = (GRID.oval.heightIn / 2) * dpi;
  let n = 0;
  let ink = 0;
  let dark = 0;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const ex = (u + 0.5 - size / 2) / rx;
      const ey = (v + 0.5 - size / 2) / ry;
      if (ex * ex + ey * ey > 1) continue;
      const g = patch.data[v * size + u] as number;
      n++;
      if (g < rule.blackLevel) ink++;
      dark += (255 - g) / 255;
    }
  }
  return { inkShare: ink / Math.max(1, n), darkness: dark / Math.max(1, n) };
}

function targetKeyOf(m: TruthMark): string {
  return m.writeInIndex !== null ? `write-in-${m.writeInIndex}` : (m.optionId ?? '');
}

/** The pen jitter of mark `index` of a sheet, as SheetRenderer.scanSide derives it. */
export function inkRngFor(seed: number, inkKey: string, index: number): Rng {
  return Rng.derive(seed, 'ink', inkKey, index);
}

/**
 * The sheet's contests as the ES&S scanner counts them: every oval whose marks (there may be
 * several on one target) the rule counts, more than the seats an overvote. Marks in `marks` are
 * the ones drawn on the ES&S page, in the order the renderer draws them.
 */
export function essScannerContests(election: Election, sheet: SheetMarks, marks: readonly TruthMark[], seed: number, inkKey: string, dpi: number, rule: EssScannerRule = ESS_SCANNER_RULE): ReportedContest[] {
  const counted = new Set<string>();
  marks.forEach((m, i) => {
    if (m.contestId === null || m.kind === 'write-in-scribble' || m.kind === 'stray') return;
    if (scannerView(m, inkRngFor(seed, inkKey, i), dpi, rule).inkShare >= rule.voteShare) counted.add(`${m.contestId}\u0000${targetKeyOf(m)}`);
  });
  return sheet.contests.map((c) => {
    const voteFor = election.contests.find((x) => x.id === c.contestId)?.voteFor ?? c.voteFor;
    // ballot order of the targets the voter chose first, then any other counted oval
    const keys = [...c.selections, ...marks.filter((m) => m.contestId === c.contestId).map(targetKeyOf)];
    const selections = [...new Set(keys)].filter((k) => counted.has(`${c.contestId}\u0000${k}`));
    const outcome: ReportedContest['outcome'] = selections.length === 0 ? 'blank' : selections.length > voteFor ? 'overvote' : selections.length < voteFor ? 'undervote' : 'voted';
    return { contestId: c.contestId, votes: outcome === 'overvote' ? [] : selections, selections, outcome };
  });
}
