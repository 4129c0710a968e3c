/**
 * Pen strokes on Dominion's small dropout-ink ovals. The oval's inside is about 0.1 in across, so a
 * clear check or X drawn through it covers only a quarter to a third of it, no more than a smudge
 * or a hesitant stroke would: the ink share alone cannot tell them apart. The shape can: a vote
 * drawn through the oval is one connected stroke that crosses most of the oval's width and height
 * and lies mostly on the oval. A dot stays small; a stroke lying mostly beside the oval (a check
 * next to it, or a long line whose end touches it) stays doubtful, as the vendor's own reading
 * finds it (a real check with half its length beside the oval, Dominion: ambiguous at 25 %).
 * Ink just around the oval with none inside is a mark beside it: doubtful, never silently dropped.
 * Pure: pixels in, measures and decisions out.
 */
import type { GrayImage } from './image.ts';
import type { MarkClass } from './marks.ts';
import { darknessLut, measureLevels, type ScoredTarget, type TargetShape } from './targets.ts';
import type { TimingMarkGrid } from './timingMarks.ts';
import { inkThroughStreaks } from './streakInk.ts';

export interface OvalStroke {
  /** Share of the oval's inside that is pen ink. */
  readonly inside: number;
  /** The largest stroke touching the inside: its extent across the inside, as shares of the inside's width and height. */
  readonly spanX: number;
  readonly spanY: number;
  /** ...and the share of its ink (up to three radii out) lying on the oval. */
  readonly onOval: number;
  /** Pen ink in the band just around the oval (from a quarter to one radius outside it), share of that band. */
  readonly around: number;
  /** ...counting only ink not joined to a line running across three radii to each side (printed rules). */
  readonly aroundLoose: number;
}

/** The inside measured: a little short of the printed outline, whose dots are not pen ink. */
const INSIDE_RADIUS = 0.85;
const ON_OVAL_RADIUS = 1.1;
const AROUND_FROM = 1.25;
const AROUND_TO = 2;
const REACH = 3;

/**
 * Measures the ink at an oval centred at (cx, cy) with radii rx, ry (pixels). `isInk(v)` says which
 * grey values are pen ink; `paperColumns` marks image columns to read as paper (scanner streaks;
 * a stroke crossing one is read on under it, streakInk.ts).
 */
export function measureOvalStroke(
  img: GrayImage,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  isInk: (v: number) => boolean,
  paperColumns?: Uint8Array,
): OvalStroke {
  const x0 = Math.floor(cx - rx * REACH);
  const y0 = Math.floor(cy - ry * REACH);
  const W = Math.ceil(cx + rx * REACH) - x0 + 1;
  const H = Math.ceil(cy + ry * REACH) - y0 + 1;
  const ink = new Uint8Array(W * H);
  // a stroke crossing a scanner streak is not cut in two by it
  const inkAt = inkThroughStreaks(img, isInk, paperColumns);
  const radius = new Float32Array(W * H);
  let insideN = 0;
  let insideInk = 0;
  let aroundN = 0;
  let aroundInk = 0;
  for (let j = 0; j < H; j++) {
    const y = y0 + j;
    for (let i = 0; i < W; i++) {
      const x = x0 + i;
      const k = j * W + i;
      const r = Math.hypot((x - cx) / rx, (y - cy) / ry);
      radius[k] = r;
      const inked = inkAt(x, y);
      if (inked && r <= REACH) ink[k] = 1;
      if (r <= INSIDE_RADIUS) {
        insideN++;
        if (inked) insideInk++;
      } else if (r >= AROUND_FROM && r <= AROUND_TO) {
        aroundN++;
        if (inked) aroundInk++;
      }
    }
  }
  // Connected strokes (8-neighbours) within three radii.
  const label = new Int32Array(W * H);
  const stack: number[] = [];
  let best = { inside: 0, onOval: 0, all: 0, minX: 0, maxX: -1, minY: 0, maxY: -1 };
  let aroundLooseInk = 0;
  let next = 1;
  for (let s = 0; s < W * H; s++) {
    if (ink[s] !== 1 || label[s] !== 0) continue;
    const c = { inside: 0, onOval: 0, all: 0, minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity, around: 0, edges: 0 };
    label[s] = next;
    stack.push(s);
    while (stack.length > 0) {
      const k = stack.pop()!;
      const i = k % W;
      const j = (k - i) / W;
      const r = radius[k]!;
      c.all++;
      // where it leaves the window: bit 0 left, 1 right, 2 top, 3 bottom
      if (r > REACH - 0.15) {
        const dx = (x0 + i - cx) / rx;
        const dy = (y0 + j - cy) / ry;
        c.edges |= Math.abs(dx) >= Math.abs(dy) ? (dx < 0 ? 1 : 2) : dy < 0 ? 4 : 8;
      }
      if (r <= ON_OVAL_RADIUS) c.onOval++;
      if (r >= AROUND_FROM && r <= AROUND_TO) c.around++;
      if (r <= INSIDE_RADIUS) {
        c.inside++;
        if (i < c.minX) c.minX = i;
        if (i > c.maxX) c.maxX = i;
        if (j < c.minY) c.minY = j;
        if (j > c.maxY) c.maxY = j;
      }
      for (let dj = -1; dj <= 1; dj++) {
        for (let di = -1; di <= 1; di++) {
          const ii = i + di;
          const jj = j + dj;
          if (ii < 0 || jj < 0 || ii >= W || jj >= H) continue;
          const kk = jj * W + ii;
          if (ink[kk] === 1 && label[kk] === 0) {
            label[kk] = next;
            stack.push(kk);
          }
        }
      }
    }
    next++;
    // printed rules and lines run across the whole window; pen marks end in it or leave it on one side
    const across = (c.edges & 3) === 3 || (c.edges & 12) === 12;
    if (!across) aroundLooseInk += c.around;
    if (c.inside > best.inside) best = c;
  }
  const insideW = 2 * INSIDE_RADIUS * rx;
  const insideH = 2 * INSIDE_RADIUS * ry;
  return {
    inside: insideN === 0 ? 0 : insideInk / insideN,
    spanX: best.inside === 0 ? 0 : Math.min(1, (best.maxX - best.minX + 1) / insideW),
    spanY: best.inside === 0 ? 0 : Math.min(1, (best.maxY - best.minY + 1) / insideH),
    onOval: best.all === 0 ? 0 : best.onOval / best.all,
    around: aroundN === 0 ? 0 : aroundInk / aroundN,
    aroundLoose: aroundN === 0 ? 0 : aroundLooseInk / aroundN,
  };
}

/**
 * Measured on the generator's ImageCast-design scans and the real demo export: clear checks and
 * X's through the oval cover 0.25–0.33 of the inside, span ≥ 0.82 of its width and ≥ 0.67 of its
 * height, with ≥ 0.68 of their ink on the oval (within three radii); small checks inside it span ≤ 0.71 wide; hesitation
 * dots cover ≤ 0.05 and span ≤ 0.24; the real check Dominion found ambiguous has 0.44–0.63 of its
 * ink on the oval.
 */
export const STROKE_THROUGH = { inside: 0.2, spanX: 0.75, spanY: 0.6, onOval: 0.66 } as const;

/** A clear pen stroke drawn through the oval (a check, an X, a slash): a vote. */
export function isStrokeThroughOval(m: OvalStroke): boolean {
  return m.inside >= STROKE_THROUGH.inside && m.spanX >= STROKE_THROUGH.spanX && m.spanY >= STROKE_THROUGH.spanY && m.onOval >= STROKE_THROUGH.onOval;
}

/**
 * Loose pen ink just around an oval (not part of a printed rule or text, which run long) from
 * which a mark beside the oval is doubtful. A blank oval's surroundings measured ≤ 0.016 in 99 %
 * of the generator's targets (dotted rules pass close by); a check an oval's width beside it, 0.034.
 */
export const BESIDE_MARGINAL = 0.025;

export function isMarkBesideOval(m: OvalStroke): boolean {
  return m.aroundLoose >= BESIDE_MARGINAL;
}

/**
 * The marks of one dropout-ink page, with the stroke shape applied: a doubtful mark that is a
 * clear stroke through its oval is a vote; a blank-looking oval with a mark beside it is doubtful.
 * Measured at the place the timing marks predict (a check's long stroke pulls the outline search off the oval).
 */
export function refineDropoutMarks<T extends { readonly score: ScoredTarget; readonly mark: MarkClass }>(
  img: GrayImage,
  grid: TimingMarkGrid,
  shape: TargetShape,
  targets: readonly T[],
): T[] {
  const rx = (shape.width * grid.columnPitch) / 2;
  const ry = (shape.height * grid.columnPitch) / 2;
  const lut = darknessLut(grid.levels ?? measureLevels(img));
  const isInk = (v: number) => lut[v]! >= 0.5;
  const band = aroundBand(rx, ry);
  return targets.map((t) => {
    if (t.mark === 'marked') return t;
    const cx = Math.round(t.score.center.x - t.score.shift.x);
    const cy = Math.round(t.score.center.y - t.score.shift.y);
    // Most ovals are blank with clean paper around: nothing for the stroke measure to find.
    if (t.mark === 'unmarked' && inkShare(img, cx, cy, band, isInk, grid.streaks) < BESIDE_MARGINAL) return t;
    const m = measureOvalStroke(img, cx, cy, rx, ry, isInk, grid.streaks);
    if (t.mark === 'marginal' && isStrokeThroughOval(m)) return { ...t, mark: 'marked' };
    if (t.mark === 'unmarked' && isMarkBesideOval(m)) return { ...t, mark: 'marginal' };
    return t;
  });
}


/** Pixel offsets (dx, dy interleaved) of the band just around an oval, by size. */
const bands = new Map<string, Int16Array>();

function aroundBand(rx: number, ry: number): Int16Array {
  const key = `${rx.toFixed(3)}x${ry.toFixed(3)}`;
  let band = bands.get(key);
  if (band === undefined) {
    const out: number[] = [];
    const reach = Math.ceil(Math.max(rx, ry) * AROUND_TO);
    for (let dy = -reach; dy <= reach; dy++) {
      for (let dx = -reach; dx <= reach; dx++) {
        const r = Math.hypot(dx / rx, dy / ry);
        if (r >= AROUND_FROM && r <= AROUND_TO) out.push(dx, dy);
      }
    }
    if (bands.size > 32) bands.clear();
    band = Int16Array.from(out);
    bands.set(key, band);
  }
  return band;
}

/** Share of the offsets around (cx, cy) that are ink: an upper bound of `aroundLoose`. */
function inkShare(img: GrayImage, cx: number, cy: number, offsets: Int16Array, isInk: (v: number) => boolean, paperColumns?: Uint8Array): number {
  let ink = 0;
  let n = 0;
  for (let i = 0; i < offsets.length; i += 2) {
    const x = cx + offsets[i]!;
    const y = cy + offsets[i + 1]!;
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) continue;
    n++;
    if (paperColumns?.[x] !== 1 && isInk(img.data[y * img.width + x]!)) ink++;
  }
  return n === 0 ? 0 : ink / n;
}
