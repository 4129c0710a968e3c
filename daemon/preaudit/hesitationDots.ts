/**
 * Hesitation dots: the small dot a voter leaves in an oval while deciding, not a vote. On a small
 * oval (ES&S's, Dominion's) such a dot already covers 4–7 % of the inside, as much as the start of
 * a fill, so its ink share alone would make the target doubtful. Its shape tells it apart: one
 * small compact blob lying wholly inside the oval, touching neither the outline nor the inside's
 * edge, with no other pen ink there. A started fill hugs the outline, and a check, X, circle or line
 * crosses the inside's edge or is long and thin: those stay at least doubtful (issue 20).
 * Pure: pixels in, measures and decisions out.
 */
import type { GrayImage } from './image.ts';
import type { MarkClass, MarkThresholds, SheetThreshold } from './marks.ts';
import { darknessLut, insideOffsets, measureLevels, type ScoredTarget, type TargetShape } from './targets.ts';
import type { TimingMarkGrid } from './timingMarks.ts';
import { inkThroughStreaks } from './streakInk.ts';

export interface InsideInk {
  /** Pen ink inside the oval (the reader's inside, scanner streak columns read as paper): share of the inside. */
  readonly ink: number;
  /** The largest blob of ink lying wholly inside (not touching the inside's edge): share of the inside; 0 if none. */
  readonly blob: number;
  /** ...its extent, as shares of the inside's width and height... */
  readonly spanX: number;
  readonly spanY: number;
  /** ...and the share of its bounding box it fills (a dot about 0.8; a short stroke or a hook much less). */
  readonly compact: number;
}

/**
 * Measures the pen ink inside a target of `w` × `h` pixels centred at (cx, cy). `isInk(v)` says which
 * grey values are pen ink; `paperColumns` marks image columns to read as paper (scanner streaks).
 */
export function measureInsideInk(img: GrayImage, cx: number, cy: number, w: number, h: number, isInk: (v: number) => boolean, paperColumns?: Uint8Array): InsideInk {
  const offsets = insideOffsets(w, h);
  let minX = 0;
  let maxX = 0;
  let minY = 0;
  let maxY = 0;
  for (let i = 0; i < offsets.length; i += 2) {
    minX = Math.min(minX, offsets[i]!);
    maxX = Math.max(maxX, offsets[i]!);
    minY = Math.min(minY, offsets[i + 1]!);
    maxY = Math.max(maxY, offsets[i + 1]!);
  }
  // a one-pixel frame of "outside" around the inside, so every edge test stays in the window
  const W = maxX - minX + 3;
  const H = maxY - minY + 3;
  const region = new Uint8Array(W * H);
  const ink = new Uint8Array(W * H);
  let n = 0;
  let inked = 0;
  const inkAt = inkThroughStreaks(img, isInk, paperColumns);
  for (let i = 0; i < offsets.length; i += 2) {
    const x = cx + offsets[i]!;
    const y = cy + offsets[i + 1]!;
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) continue;
    const k = (offsets[i + 1]! - minY + 1) * W + (offsets[i]! - minX + 1);
    region[k] = 1;
    n++;
    if (inkAt(x, y)) {
      ink[k] = 1;
      inked++;
    }
  }
  // The stencil leaves its very centre out of the inside (its radial distance there is 0, read as
  // the outline's): a hole the dot would touch, so it is closed here.
  const centre = (1 - minY) * W + (1 - minX);
  if (region[centre] !== 1 && cx >= 0 && cy >= 0 && cx < img.width && cy < img.height) {
    region[centre] = 1;
    n++;
    if (inkAt(cx, cy)) {
      ink[centre] = 1;
      inked++;
    }
  }
  // Blobs of ink (8-neighbours); one touching the inside's edge may go on outside it.
  const seen = new Uint8Array(W * H);
  const stack: number[] = [];
  let best = { size: 0, spanX: 0, spanY: 0, compact: 0 };
  for (let s = 0; s < W * H; s++) {
    if (ink[s] !== 1 || seen[s] === 1) continue;
    seen[s] = 1;
    stack.push(s);
    let size = 0;
    let edge = false;
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    while (stack.length > 0) {
      const k = stack.pop()!;
      const i = k % W;
      const j = (k - i) / W;
      size++;
      x0 = Math.min(x0, i);
      x1 = Math.max(x1, i);
      y0 = Math.min(y0, j);
      y1 = Math.max(y1, j);
      for (let dj = -1; dj <= 1; dj++) {
        for (let di = -1; di <= 1; di++) {
          const kk = (j + dj) * W + (i + di);
          if (region[kk] !== 1) edge = true;
          else if (ink[kk] === 1 && seen[kk] !== 1) {
            seen[kk] = 1;
            stack.push(kk);
          }
        }
      }
    }
    if (edge || size <= best.size) continue;
    const bw = x1 - x0 + 1;
    const bh = y1 - y0 + 1;
    best = { size, spanX: bw / (maxX - minX + 1), spanY: bh / (maxY - minY + 1), compact: size / (bw * bh) };
  }
  return { ink: n === 0 ? 0 : inked / n, blob: n === 0 ? 0 : best.size / n, spanX: best.spanX, spanY: best.spanY, compact: best.compact };
}

/**
 * Measured on the generator's scans (ES&S 200 dpi bitonal, Dominion dropout, AccuVote): hesitation
 * dots span ≤ 0.3 of the inside's width and height and fill ≥ 0.6 of their box; a small check drawn
 * inside the oval spans ≥ 0.45 of its width and fills ≤ 0.4 of its box.
 */
export const HESITATION_DOT = { span: 0.38, compact: 0.5 } as const;

/**
 * Is the doubtful ink in this target just a hesitation dot? The dot must hold most of the ink (a
 * speck of a dropout outline beside a pen stroke at the edge is no dot), and the ink left without it
 * must read blank on its own: less than `restLimit` above the sheet's blank level `blankInk` (the
 * reader's off-centre level, under which ink at the edge is the outline's ragged inner edge, not a
 * started fill or a stroke).
 */
export function isHesitationDot(m: InsideInk, blankInk: number, restLimit: number): boolean {
  const rest = m.ink - m.blob - blankInk;
  return m.blob > 0 && m.blob >= rest && m.spanX <= HESITATION_DOT.span && m.spanY <= HESITATION_DOT.span && m.compact >= HESITATION_DOT.compact && rest < restLimit;
}

const NEAR = [0, -1, 1].flatMap((dy) => [0, -1, 1].map((dx) => [dx, dy] as const));

/**
 * A target made doubtful by its pen ink alone whose ink is a hesitation dot reads blank. Targets
 * doubtful by grey toning (a light fill, an erasure) are left as they are: a dot in a light fill is
 * still a light fill.
 */
export function clearHesitationDots<T extends { readonly score: ScoredTarget; readonly mark: MarkClass }>(
  img: GrayImage,
  grid: Pick<TimingMarkGrid, 'columnPitch' | 'levels' | 'streaks'>,
  shape: TargetShape,
  targets: readonly T[],
  sheet: SheetThreshold,
  t: MarkThresholds,
): T[] {
  const w = shape.width * grid.columnPitch;
  const h = shape.height * grid.columnPitch;
  let isInk: ((v: number) => boolean) | undefined;
  return targets.map((target) => {
    if (target.mark !== 'marginal') return target;
    const f = target.score;
    if (f.coverage >= t.greyCoverage && f.fill - sheet.blank.fill >= t.greyMarginal) return target;
    if (isInk === undefined) {
      const lut = darknessLut(grid.levels ?? measureLevels(img));
      isInk = (v) => lut[v]! >= 0.5;
    }
    const restLimit = sheet.bitonal ? t.marginalOffCentreBitonal : t.marginalOffCentre;
    const cx = Math.round(f.center.x);
    const cy = Math.round(f.center.y);
    // The outline search can settle a pixel off the oval's middle (a dot on the stencil's centre
    // pixel draws it), putting the outline's inner edge inside the measure: the inside is also
    // measured a pixel to each side, and the dot is told where the outline intrudes least.
    for (const [dx, dy] of NEAR) {
      if (isHesitationDot(measureInsideInk(img, cx + dx, cy + dy, w, h, isInk, grid.streaks), sheet.blank.solid, restLimit)) return { ...target, mark: 'unmarked' };
    }
    return target;
  });
}
