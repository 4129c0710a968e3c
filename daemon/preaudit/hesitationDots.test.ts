/**
 * Hesitation dots against the marks issue 20 keeps doubtful or votes, drawn by the sample
 * generator's own pen (scripts/sample-election: drawMark, the 200 dpi bitonal cut) in a printed
 * ES&S-size oval. The full ES&S accuracy run read 2 of its dots doubtful: a dot whose inside was
 * measured a pixel off, so the outline's inner edge added 0.04 to the dot's 0.03.
 */
import { describe, expect, it } from 'vitest';
import { drawMark, type MarkKind, type TruthMark } from '../../scripts/sample-election/marks.ts';
import { Pen } from '../../scripts/sample-election/raster.ts';
import { Rng } from '../../scripts/sample-election/prng.ts';
import { BITONAL_THRESHOLD } from '../../scripts/sample-election/render.ts';
import { clearHesitationDots, isHesitationDot, measureInsideInk } from './hesitationDots.ts';
import { DEFAULT_THRESHOLDS, type MarkClass, type SheetThreshold } from './marks.ts';
import type { ScoredTarget } from './targets.ts';

const DPI = 200;
const OVAL = { widthIn: 0.19, heightIn: 0.125 };
const W = OVAL.widthIn * DPI;
const H = OVAL.heightIn * DPI;
const AT = { xIn: 0.5, yIn: 0.35 };
const LEVELS = { paper: 255, ink: 0 };
const isInk = (v: number) => v < 128;

/** A printed oval (its 0.012 in outline, as the generator prints it) with marks drawn on it. */
function scan(marks: readonly { kind: MarkKind; ambiguous?: boolean; fill?: number }[], seed: number, bitonal = true) {
  const img = { width: 200, height: 140, dpi: DPI, data: Buffer.alloc(200 * 140, 255) };
  const cx = AT.xIn * DPI;
  const cy = AT.yIn * DPI;
  for (let y = 0; y < img.height; y++) {
    for (let x = 0; x < img.width; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const r = Math.hypot(dx / (W / 2), dy / (H / 2));
      // distance to the printed line along the radius, in pixels
      if (Math.abs(((r - 1) * Math.hypot(dx, dy)) / Math.max(r, 1e-6)) <= 0.006 * DPI) img.data[y * img.width + x] = 0;
    }
  }
  const pen = new Pen(img, { skewDeg: 0, scale: 1, shiftXPx: 0, shiftYPx: 0 }, bitonal ? BITONAL_THRESHOLD : null);
  marks.forEach((m, i) => {
    const mark: TruthMark = { kind: m.kind, side: 'front', column: 0, row: 0, contestId: 'c', optionId: 'o', writeInIndex: null, intended: m.kind !== 'hesitation-dot', ambiguous: m.ambiguous ?? false, fill: m.fill ?? 0.3, writeInName: null, ...AT };
    drawMark(pen, mark, Rng.derive(seed, 'ink', i), OVAL);
  });
  return { img, cx: Math.floor(cx), cy: Math.floor(cy) };
}

const SHEET: SheetThreshold = { blank: { fill: 0.002, solid: 0.002, coverage: 0.002, halo: 0, centre: 0 }, gap: 0.2, blankTargets: 20, bitonal: true, heldToStyle: false };

/** What the reader says of a target it first found doubtful, measured at (cx + dx, cy + dy). */
function reread(s: ReturnType<typeof scan>, dx: number, dy: number, bitonal = true, grey?: { fill: number; coverage: number }): MarkClass {
  const m = measureInsideInk(s.img, s.cx + dx, s.cy + dy, W, H, isInk);
  const score = { center: { x: s.cx + dx, y: s.cy + dy }, fill: grey?.fill ?? m.ink, solid: m.ink, coverage: grey?.coverage ?? m.ink } as ScoredTarget;
  const sheet = bitonal ? SHEET : { ...SHEET, bitonal: false };
  return clearHesitationDots(s.img, { columnPitch: 1, levels: LEVELS }, { width: W, height: H }, [{ score, mark: 'marginal' as MarkClass }], sheet, DEFAULT_THRESHOLDS)[0]!.mark;
}

const OFFSETS = [-1, 0, 1].flatMap((dx) => [-1, 0, 1].map((dy) => [dx, dy] as const));

describe('hesitation dots', () => {
  it('a dot anywhere the generator puts one reads blank, measured up to a pixel off (the outline then adds ink at the edge)', () => {
    let sliver = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const s = scan([{ kind: 'hesitation-dot' }], seed);
      for (const [dx, dy] of OFFSETS) {
        const m = measureInsideInk(s.img, s.cx + dx, s.cy + dy, W, H, isInk);
        if (m.ink - m.blob > 0.02) sliver++;
        expect(reread(s, dx, dy), `seed ${seed} at ${dx},${dy}: ${JSON.stringify(m)}`).toBe('unmarked');
      }
    }
    // the situation of the full run: a dot plus the outline's edge inside the measure
    expect(sliver).toBeGreaterThan(0);
  });

  it('a check, X, circle, line-through, started or partial fill stays doubtful; so does a dot beside a started fill', () => {
    const kinds: { kind: MarkKind; ambiguous?: boolean; fill?: number }[] = [
      { kind: 'check' },
      { kind: 'check', ambiguous: true },
      { kind: 'x' },
      { kind: 'circle' },
      { kind: 'line-through' },
      { kind: 'partial', fill: 0.2, ambiguous: true },
      { kind: 'partial', fill: 0.5 },
      { kind: 'full' },
    ];
    for (const k of kinds) {
      for (let seed = 1; seed <= 15; seed++) {
        const s = scan([k], seed);
        for (const [dx, dy] of OFFSETS) expect(reread(s, dx, dy), `${JSON.stringify(k)} seed ${seed} at ${dx},${dy}`).toBe('marginal');
      }
    }
    // a started fill with a dot in it stays doubtful whenever the started fill alone would (its ink
    // above the off-centre level wherever the inside is measured near the middle)
    let started = 0;
    for (let seed = 1; seed <= 30; seed++) {
      const alone = scan([{ kind: 'partial', fill: 0.2, ambiguous: true }], seed);
      const least = Math.min(...OFFSETS.map(([dx, dy]) => measureInsideInk(alone.img, alone.cx + dx, alone.cy + dy, W, H, isInk).ink));
      if (least - SHEET.blank.solid < DEFAULT_THRESHOLDS.marginalOffCentreBitonal) continue;
      started++;
      const s = scan([{ kind: 'partial', fill: 0.2, ambiguous: true }, { kind: 'hesitation-dot' }], seed);
      for (const [dx, dy] of OFFSETS) expect(reread(s, dx, dy), `started fill and dot, seed ${seed}`).toBe('marginal');
    }
    expect(started).toBeGreaterThan(5);
  });

  it('a speck of a dropout outline beside a pen stroke at the edge of the inside is no dot', () => {
    // the full ImageCast run's B000119-1: a check pulled the oval search off the oval; measured a
    // pixel further, only the end of its arm was inside, beside a speck of the dropout outline
    const w = 0.5 * 0.3 * DPI;
    const h = 0.41 * 0.3 * DPI;
    const img = { width: 200, height: 140, dpi: DPI, data: Buffer.alloc(200 * 140, 255) };
    new Pen(img, { skewDeg: 0, scale: 1, shiftXPx: 0, shiftYPx: 0 }, BITONAL_THRESHOLD).stroke([[0.59, 0.43], [0.54, 0.38]], 0.02, 20);
    for (const [x, y] of [[97, 67], [98, 67], [97, 68], [98, 68]] as const) img.data[y * img.width + x] = 0;
    const m = measureInsideInk(img, 100, 70, w, h, isInk);
    const rest = m.ink - m.blob;
    // by shape and what is left alone it would pass for a dot; the speck holds less ink than the stroke
    expect(m.blob).toBeGreaterThan(0);
    expect(rest).toBeLessThan(DEFAULT_THRESHOLDS.marginalOffCentreBitonal);
    expect(m.blob).toBeLessThan(rest);
    expect(isHesitationDot(m, 0, DEFAULT_THRESHOLDS.marginalOffCentreBitonal)).toBe(false);
  });

  it('a dot in a light grey fill is still a light fill: left doubtful', () => {
    const s = scan([{ kind: 'light', ambiguous: true }, { kind: 'hesitation-dot' }], 3, false);
    expect(isHesitationDot(measureInsideInk(s.img, s.cx, s.cy, W, H, isInk), 0.002, DEFAULT_THRESHOLDS.marginalOffCentre)).toBe(true);
    expect(reread(s, 0, 0, false, { fill: 0.3, coverage: 0.95 })).toBe('marginal');
  });

  it('measures a dot as one small compact blob and a blank oval as none', () => {
    const dot = measureInsideInk(scan([{ kind: 'hesitation-dot' }], 7).img, 100, 70, W, H, isInk);
    expect(dot.blob).toBeGreaterThan(0.02);
    expect(dot.blob).toBeLessThan(0.06);
    expect(dot.compact).toBeGreaterThan(0.6);
    const blank = measureInsideInk(scan([], 7).img, 100, 70, W, H, isInk);
    expect(blank).toEqual({ ink: 0, blob: 0, spanX: 0, spanY: 0, compact: 0 });
  });
});
