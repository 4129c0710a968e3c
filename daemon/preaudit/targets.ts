import { type Levels, measureLevels } from './components.ts';
import type { GrayImage } from './image.ts';
import type { Point, TimingMarkGrid } from './timingMarks.ts';

/** Size of a voting target (oval or box) in grid pitches; AccuVote ovals are ~0.79 × 0.52. */
export interface TargetShape {
  readonly width: number;
  readonly height: number;
}

export { type Levels, measureLevels } from './components.ts';

export const ACCUVOTE_OVAL: TargetShape = { width: 0.77, height: 0.5 };

export interface GridLocation {
  readonly column: number;
  readonly row: number;
}

export interface ScoredTarget extends GridLocation {
  /** Where the target's centre was found, in image pixels. */
  readonly center: Point;
  /** Shift from the position predicted by the timing marks, in pixels. */
  readonly shift: Point;
  /** How strongly the printed outline is present at `center`, 0..1 (paper = 0, solid ink = 1). */
  readonly outline: number;
  /** Mean darkness inside the target, 0..1 (the printed outline is left out). */
  readonly fill: number;
  /** Share of the inside that is at least half-way dark: pen strokes count, grey smudges do not. */
  readonly solid: number;
  /** Share of the inside touched by any ink at all (a light pencil fill covers it; an erasure less). */
  readonly coverage: number;
  /** Share of the middle of the inside that is pen ink (a dot lands here; a crescent does not). */
  readonly centre: number;
  /** The same ring's darkness half a target to each side (average), for the `found` test. */
  readonly beside: number;
  /** Darkness just outside the outline (paper around a printed target; a mark may spill over). */
  readonly halo: number;
  /** True when a target outline (or a mark covering it) is at the predicted place. */
  readonly found: boolean;
}

/**
 * A target is found when its outline ring is dark enough and clearly darker where it is than half
 * a target to each side (a ring laid over text or blank paper matches about equally anywhere).
 */
const FOUND_OUTLINE = 0.08;
const FOUND_CONTRAST = 1.3;
const FOUND_FILLED = 0.25;

interface Stencil {
  /** Pixel offsets (dx, dy) from the centre, interleaved. */
  readonly ring: Int16Array;
  /** Every other ring pixel: enough to locate the target, at half the cost. */
  readonly ringSparse: Int16Array;
  readonly inner: Int16Array;
  /** A thin ring just outside the outline: paper around a printed target. */
  readonly halo: Int16Array;
  /** The middle of the inside (half the radii): where a hesitation dot lands. */
  readonly centre: Int16Array;
  readonly reach: number;
}

/** Stencils by target size (a few per election: one per pitch), and their offsets in linear form per image width. */
const stencils = new Map<string, Stencil>();
const linearStencils = new Map<string, LinearStencil>();
const STENCIL_CACHE_MAX = 64;

function stencilFor(w: number, h: number): Stencil {
  const key = `${w.toFixed(4)}x${h.toFixed(4)}`;
  let s = stencils.get(key);
  if (s === undefined) {
    if (stencils.size >= STENCIL_CACHE_MAX) stencils.clear();
    s = buildStencil(w, h);
    stencils.set(key, s);
  }
  return s;
}

/** The stencil's offsets as `dy * width + dx`: one add per pixel when the whole stencil is inside the image. */
interface LinearStencil {
  readonly ring: Int32Array;
  readonly ringSparse: Int32Array;
  readonly inner: Int32Array;
  readonly halo: Int32Array;
  readonly centre: Int32Array;
}

function linearFor(stencil: Stencil, w: number, h: number, width: number): LinearStencil {
  const key = `${w.toFixed(4)}x${h.toFixed(4)}@${width}`;
  let s = linearStencils.get(key);
  if (s === undefined) {
    if (linearStencils.size >= STENCIL_CACHE_MAX) linearStencils.clear();
    const lin = (o: Int16Array) => {
      const out = new Int32Array(o.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = o[2 * i + 1]! * width + o[2 * i]!;
      return out;
    };
    s = { ring: lin(stencil.ring), ringSparse: lin(stencil.ringSparse), inner: lin(stencil.inner), halo: lin(stencil.halo), centre: lin(stencil.centre) };
    linearStencils.set(key, s);
  }
  return s;
}

/** meanDark for a stencil known to lie inside the image. */
function meanDarkAt(data: Uint8Array, at: number, offsets: Int32Array, lut: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < offsets.length; i++) sum += lut[data[at + offsets[i]!]!]!;
  return offsets.length === 0 ? 0 : sum / offsets.length;
}

function buildStencil(w: number, h: number): Stencil {
  const rx = w / 2;
  const ry = h / 2;
  // The outline stroke is a few pixels wide at 300 dpi and about one at 75 dpi.
  const stroke = Math.max(0.75, h * 0.05);
  const reach = Math.ceil(Math.max(rx, ry) + 2.5 * stroke + Math.max(1.5, h * 0.1)) + 1;
  const ring: number[] = [];
  const inner: number[] = [];
  const halo: number[] = [];
  const centre: number[] = [];
  for (let dy = -reach; dy <= reach; dy++) {
    for (let dx = -reach; dx <= reach; dx++) {
      const r = Math.hypot(dx / rx, dy / ry);
      // distance to the ellipse along the radius, in pixels (approximate)
      const dist = (r - 1) * Math.hypot(dx, dy) / Math.max(r, 1e-6);
      if (Math.abs(dist) <= stroke) ring.push(dx, dy);
      else if (r <= 0.88 && dist < -1.5 * stroke) {
        inner.push(dx, dy);
        if (r <= 0.5) centre.push(dx, dy);
      }
      else if (dist >= 2.5 * stroke && dist <= 2.5 * stroke + Math.max(1.5, h * 0.1)) halo.push(dx, dy);
    }
  }
  const sparse: number[] = [];
  for (let i = 0; i < ring.length; i += 4) sparse.push(ring[i]!, ring[i + 1]!);
  return {
    ring: Int16Array.from(ring),
    ringSparse: Int16Array.from(sparse),
    inner: Int16Array.from(inner),
    halo: Int16Array.from(halo),
    centre: Int16Array.from(centre),
    reach,
  };
}

/** The pixels scoreTargets counts as a target's inside (dx, dy interleaved), for a target w × h pixels. */
export function insideOffsets(w: number, h: number): Int16Array {
  return stencilFor(w, h).inner;
}

/** Darkness (0 = paper, 1 = ink) of each grey value, from the page's paper and ink levels. */
export function darknessLut(levels: { readonly paper: number; readonly ink: number }): Float32Array {
  const lut = new Float32Array(256);
  const span = Math.max(1, levels.paper - levels.ink);
  for (let v = 0; v < 256; v++) lut[v] = Math.min(1, Math.max(0, (levels.paper - v) / span));
  return lut;
}

/** Mean darkness (0 = paper, 1 = ink) of the stencil pixels centred at (cx, cy). */
export function meanDark(img: GrayImage, cx: number, cy: number, offsets: Int16Array, lut: Float32Array): number {
  const { width, height, data } = img;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < offsets.length; i += 2) {
    const x = cx + offsets[i]!;
    const y = cy + offsets[i + 1]!;
    if (x < 0 || y < 0 || x >= width || y >= height) continue;
    sum += lut[data[y * width + x]!]!;
    n++;
  }
  return n === 0 ? 0 : sum / n;
}

function withoutColumns(img: GrayImage, columns: Uint8Array): GrayImage {
  const data = new Uint8Array(img.data);
  const xs: number[] = [];
  for (let x = 0; x < img.width; x++) if (columns[x] === 1) xs.push(x);
  for (let y = 0; y < img.height; y++) {
    const row = y * img.width;
    for (const x of xs) data[row + x] = 255;
  }
  return { width: img.width, height: img.height, data };
}

/** Mean darkness, share of pen ink (≥ 0.5) and share toned at all (≥ 0.12), in one pass. */
function insideStats(img: GrayImage, cx: number, cy: number, offsets: Int16Array, lut: Float32Array) {
  const { width, height, data } = img;
  let sum = 0;
  let solid = 0;
  let toned = 0;
  let n = 0;
  for (let i = 0; i < offsets.length; i += 2) {
    const x = cx + offsets[i]!;
    const y = cy + offsets[i + 1]!;
    if (x < 0 || y < 0 || x >= width || y >= height) continue;
    const d = lut[data[y * width + x]!]!;
    sum += d;
    if (d >= 0.5) solid++;
    if (d >= 0.12) toned++;
    n++;
  }
  return n === 0 ? { fill: 0, solid: 0, coverage: 0 } : { fill: sum / n, solid: solid / n, coverage: toned / n };
}

function shareAtLeast(img: GrayImage, cx: number, cy: number, offsets: Int16Array, lut: Float32Array, level: number): number {
  const { width, height, data } = img;
  let hits = 0;
  let n = 0;
  for (let i = 0; i < offsets.length; i += 2) {
    const x = cx + offsets[i]!;
    const y = cy + offsets[i + 1]!;
    if (x < 0 || y < 0 || x >= width || y >= height) continue;
    if (lut[data[y * width + x]!]! >= level) hits++;
    n++;
  }
  return n === 0 ? 0 : hits / n;
}

/**
 * Finds and scores the targets at the given grid locations. Each target is searched for a
 * little around the place the timing marks predict (paper stretch, printing drift), at the
 * position where its printed outline is darkest; its fill is the darkness inside.
 */
export function scoreTargets(
  img: GrayImage,
  grid: TimingMarkGrid,
  locations: readonly GridLocation[],
  shape: TargetShape = ACCUVOTE_OVAL,
  levels: Levels = grid.levels ?? measureLevels(img),
): ScoredTarget[] {
  // Scanner streaks (image columns inked down the whole page) are not voter ink: read as paper.
  if (grid.streaks !== undefined) img = withoutColumns(img, grid.streaks);
  const pitch = grid.columnPitch;
  const tw = shape.width * pitch;
  const th = shape.height * pitch;
  const stencil = stencilFor(tw, th);
  const linear = linearFor(stencil, tw, th, img.width);
  const { width, height, data } = img;
  const lut = darknessLut(levels);
  const search = Math.max(2, Math.round(pitch * 0.08));
  const step = search >= 4 ? 2 : 1;
  // The same ring half a target off to each side: an outline only matches where it is printed.
  const ox = Math.round(tw / 2);
  const oy = Math.round(th / 2);
  // Farthest any stencil pixel gets from the predicted centre (search, the ±1 refinement, the
  // side rings): inside the image by that much, the unchecked linear offsets are safe.
  const margin = stencil.reach + search + 1 + Math.max(ox, oy);
  const out: ScoredTarget[] = [];
  for (const loc of locations) {
    const p = grid.pointFor(loc.column, loc.row);
    const px = Math.round(p.x);
    const py = Math.round(p.y);
    const inside = px - margin >= 0 && py - margin >= 0 && px + margin < width && py + margin < height;
    // Mean darkness of the ring (sparse) at (x, y); the predicted place wins ties (solid fills match everywhere).
    const ringAt = (x: number, y: number) =>
      inside ? meanDarkAt(data, y * width + x, linear.ringSparse, lut) : meanDark(img, x, y, stencil.ringSparse, lut);
    let best = -1;
    let bx = px;
    let by = py;
    for (let dy = -search; dy <= search; dy += step) {
      for (let dx = -search; dx <= search; dx += step) {
        const sc = ringAt(px + dx, py + dy) - 0.0005 * (Math.abs(dx) + Math.abs(dy));
        if (sc > best) {
          best = sc;
          bx = px + dx;
          by = py + dy;
        }
      }
    }
    if (step > 1) {
      const cx = bx;
      const cy = by;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          if (dx === 0 && dy === 0) continue;
          const x = cx + dx;
          const y = cy + dy;
          const sc = ringAt(x, y) - 0.0005 * (Math.abs(x - px) + Math.abs(y - py));
          if (sc > best) {
            best = sc;
            bx = x;
            by = y;
          }
        }
      }
    }
    if (inside) {
      const at = by * width + bx;
      const inner = insideStatsAt(data, at, linear.inner, lut);
      const beside =
        (meanDarkAt(data, at - ox, linear.ringSparse, lut) +
          meanDarkAt(data, at + ox, linear.ringSparse, lut) +
          meanDarkAt(data, at - oy * width, linear.ringSparse, lut) +
          meanDarkAt(data, at + oy * width, linear.ringSparse, lut)) /
        4;
      out.push(
        scored(loc, p, bx, by, meanDarkAt(data, at, linear.ring, lut), inner, shareAtLeastAt(data, at, linear.centre, lut, 0.5), beside, meanDarkAt(data, at, linear.halo, lut)),
      );
      continue;
    }
    const beside =
      (meanDark(img, bx - ox, by, stencil.ringSparse, lut) +
        meanDark(img, bx + ox, by, stencil.ringSparse, lut) +
        meanDark(img, bx, by - oy, stencil.ringSparse, lut) +
        meanDark(img, bx, by + oy, stencil.ringSparse, lut)) /
      4;
    out.push(
      scored(
        loc,
        p,
        bx,
        by,
        meanDark(img, bx, by, stencil.ring, lut),
        insideStats(img, bx, by, stencil.inner, lut),
        shareAtLeast(img, bx, by, stencil.centre, lut, 0.5),
        beside,
        meanDark(img, bx, by, stencil.halo, lut),
      ),
    );
  }
  return out;
}

function scored(
  loc: GridLocation,
  p: Point,
  bx: number,
  by: number,
  outline: number,
  inner: { fill: number; solid: number; coverage: number },
  centre: number,
  beside: number,
  halo: number,
): ScoredTarget {
  const { fill, solid, coverage } = inner;
  return {
    column: loc.column,
    row: loc.row,
    center: { x: bx, y: by },
    shift: { x: bx - p.x, y: by - p.y },
    outline,
    fill,
    solid,
    coverage,
    centre,
    beside,
    halo,
    found: outline >= FOUND_OUTLINE && (outline >= FOUND_CONTRAST * beside || fill >= FOUND_FILLED),
  };
}

/** insideStats for a stencil known to lie inside the image. */
function insideStatsAt(data: Uint8Array, at: number, offsets: Int32Array, lut: Float32Array) {
  let sum = 0;
  let solid = 0;
  let toned = 0;
  for (let i = 0; i < offsets.length; i++) {
    const d = lut[data[at + offsets[i]!]!]!;
    sum += d;
    if (d >= 0.5) solid++;
    if (d >= 0.12) toned++;
  }
  const n = offsets.length;
  return n === 0 ? { fill: 0, solid: 0, coverage: 0 } : { fill: sum / n, solid: solid / n, coverage: toned / n };
}

/** shareAtLeast for a stencil known to lie inside the image. */
function shareAtLeastAt(data: Uint8Array, at: number, offsets: Int32Array, lut: Float32Array, level: number): number {
  let hits = 0;
  for (let i = 0; i < offsets.length; i++) if (lut[data[at + offsets[i]!]!]! >= level) hits++;
  return offsets.length === 0 ? 0 : hits / offsets.length;
}
