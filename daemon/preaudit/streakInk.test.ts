/**
 * A scanner streak through a pen stroke on a Dominion dropout oval: the streak's columns are read as
 * paper, and the stroke must still measure as one stroke through the oval. The full ImageCast accuracy
 * run read a clear check cut by a one-pixel streak as doubtful (spanning 0.71 of the oval, under 0.75).
 * Marks drawn by the sample generator's own pen, at 200 dpi bitonal, the streak at every column across the oval.
 */
import { describe, expect, it } from 'vitest';
import { drawMark, type MarkKind, type TruthMark } from '../../scripts/sample-election/marks.ts';
import { Pen } from '../../scripts/sample-election/raster.ts';
import { Rng } from '../../scripts/sample-election/prng.ts';
import { BITONAL_THRESHOLD } from '../../scripts/sample-election/render.ts';
import { isStrokeThroughOval, measureOvalStroke } from './dropoutMarks.ts';
import { inkThroughStreaks } from './streakInk.ts';

const DPI = 200;
/** ImageCast's oval as the generator prints it, and as the reader measures it (DOMINION_OVAL on a 0.3 in pitch). */
const PRINTED = { widthIn: 0.16, heightIn: 0.11 };
const RX = 0.075 * DPI;
const RY = 0.0615 * DPI;
const AT = { xIn: 0.5, yIn: 0.35 };
const isInk = (v: number) => v < 128;

function scan(kind: MarkKind | null, seed: number, streak?: { x: number; width: number }) {
  const img = { width: 200, height: 140, dpi: DPI, data: Buffer.alloc(200 * 140, 255) };
  const pen = new Pen(img, { skewDeg: 0, scale: 1, shiftXPx: 0, shiftYPx: 0 }, BITONAL_THRESHOLD);
  if (kind !== null) {
    const mark: TruthMark = { kind, side: 'front', column: 0, row: 0, contestId: 'c', optionId: 'o', writeInIndex: null, intended: true, ambiguous: false, fill: 0.25, writeInName: null, ...AT };
    drawMark(pen, mark, Rng.derive(seed, 'ink', 0), PRINTED);
  }
  const columns = new Uint8Array(img.width);
  if (streak !== undefined) {
    for (let x = streak.x; x < streak.x + streak.width; x++) {
      columns[x] = 1;
      for (let y = 0; y < img.height; y++) img.data[y * img.width + x] = 0;
    }
  }
  return { img, columns, cx: Math.round(AT.xIn * DPI), cy: Math.round(AT.yIn * DPI) };
}

describe('pen strokes under a scanner streak', () => {
  it('a clear check or X through the oval is one stroke through it wherever a 1–3 pixel streak cuts it', () => {
    let cut = 0;
    for (const kind of ['check', 'x'] as const) {
      for (let seed = 1; seed <= 8; seed++) {
        const clean = scan(kind, seed);
        expect(isStrokeThroughOval(measureOvalStroke(clean.img, clean.cx, clean.cy, RX, RY, isInk)), `${kind} ${seed} without a streak`).toBe(true);
        for (let x = Math.floor(clean.cx - RX); x <= Math.ceil(clean.cx + RX); x++) {
          for (const width of [1, 3]) {
            const s = scan(kind, seed, { x, width });
            const m = measureOvalStroke(s.img, s.cx, s.cy, RX, RY, isInk, s.columns);
            expect(isStrokeThroughOval(m), `${kind} ${seed}, streak at ${x} (${width} px): ${JSON.stringify(m)}`).toBe(true);
            cut++;
          }
        }
      }
    }
    expect(cut).toBeGreaterThan(500);
  });

  it('a streak invents no ink: a blank oval with a streak through it measures empty, and a streak wider than a bridge is not crossed', () => {
    for (let x = 80; x <= 120; x += 5) {
      const s = scan(null, 1, { x, width: 2 });
      const m = measureOvalStroke(s.img, s.cx, s.cy, RX, RY, isInk, s.columns);
      expect(m.inside).toBe(0);
      expect(m.aroundLoose).toBe(0);
    }
    const wide = scan('check', 1, { x: 95, width: 8 });
    const at = inkThroughStreaks(wide.img, isInk, wide.columns);
    for (let y = 0; y < wide.img.height; y++) expect(at(98, y)).toBe(false);
  });
});
