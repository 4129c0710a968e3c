/**
 * Targets printed in dropout ink (Dominion ImageCast): the scanner mostly drops the oval's colour,
 * so an empty oval is a faint broken outline and a filled one a black blob. An outline is accepted
 * when its ink lies on the oval's ring (most twelfths of it touched), not inside it, not around it,
 * and clearly more there than half a target to each side; a filled oval when the ring and the
 * inside are dark and the paper around is light. Pure: pixels in, grid positions out.
 */
import { darknessLut, meanDark, type GridLocation, type TargetShape } from './targets.ts';
import { measureLevels } from './components.ts';
import { ellipseRing, RING_SECTORS, type EllipseRing } from './ringStencil.ts';
import type { GrayImage } from './image.ts';
import type { TimingMarkGrid } from './timingMarks.ts';

/** Dominion's oval, in column pitches (about 0.16 × 0.13 in on a 0.3 in pitch). */
export const DOMINION_OVAL: TargetShape = { width: 0.5, height: 0.41 };

const SECTORS = RING_SECTORS;

/**
 * Pen ink from which a dropout oval is a vote. The oval is small (its inside about 0.1 in across),
 * so one pen stroke through it, a check or a slash, already covers a quarter of it (measured 0.25
 * on a real check, which Dominion itself flagged ambiguous at 25 %); fills measure 0.45 and up.
 * Between the marginal level and this, the mark is gray and a person decides, unless its shape
 * shows a clear stroke through the oval (dropoutMarks.ts).
 */
export const DROPOUT_MARKED = 0.35;

/** Dropout ovals: a thinner band than printed ovals, the halo further out (the dots of a broken outline spread). */
function ringStencil(w: number, h: number): EllipseRing {
  const stroke = Math.max(1, h * 0.09);
  const haloFrom = 2.5 * stroke;
  return ellipseRing(w, h, { stroke, haloFrom, haloTo: haloFrom + Math.max(2, h * 0.15), innerRadius: 0.6 });
}

export interface DropoutProbe {
  readonly ring: number;
  /** Twelfths of the ring holding any ink: count, and which (bit k = twelfth k). */
  readonly sectorsInked: number;
  readonly sectorMask: number;
  readonly inner: number;
  readonly halo: number;
  /** The ring's darkness half a target to the left and right (mean). */
  readonly beside: number;
}

function probe(img: GrayImage, cx: number, cy: number, s: EllipseRing, lut: Float32Array, shift: number): DropoutProbe {
  const { width, height, data } = img;
  const inked = new Uint8Array(SECTORS);
  let sum = 0;
  let n = 0;
  for (let i = 0, k = 0; i < s.ring.length; i += 2, k++) {
    const x = cx + s.ring[i]!;
    const y = cy + s.ring[i + 1]!;
    if (x < 0 || y < 0 || x >= width || y >= height) continue;
    const d = lut[data[y * width + x]!]!;
    sum += d;
    n++;
    if (d >= 0.5) inked[s.sector[k]!] = 1;
  }
  return {
    ring: n === 0 ? 0 : sum / n,
    sectorsInked: inked.reduce((a, b) => a + b, 0),
    sectorMask: inked.reduce((m, b, k) => m | (b << k), 0),
    inner: meanDark(img, cx, cy, s.inner, lut),
    halo: meanDark(img, cx, cy, s.halo, lut),
    beside: (meanDark(img, cx - shift, cy, s.ring, lut) + meanDark(img, cx + shift, cy, s.ring, lut)) / 2,
  };
}

/**
 * Could this be a printed dropout oval, empty? On one page the outline may show only its two
 * sides: the style's template (`sectorsSeen` over its pages) must then show the whole ring.
 */
function isEmptyOutline(o: DropoutProbe): boolean {
  return o.ring >= 0.04 && o.sectorsInked >= 4 && o.inner <= o.ring * 0.4 && o.halo <= o.ring * 0.4 && o.ring >= 1.8 * o.beside;
}

/** Twelfths of the ring a target's template must show inked, over all its pages. */
export const TEMPLATE_MIN_SECTORS = 10;

export function sectorCount(mask: number): number {
  let n = 0;
  for (let k = 0; k < SECTORS; k++) n += (mask >> k) & 1;
  return n;
}

function isFilled(o: DropoutProbe): boolean {
  return o.ring >= 0.5 && o.inner >= 0.7 && o.halo <= 0.25 && o.sectorsInked >= 10;
}

/** Grid positions holding a dropout-ink target on one page, empty or filled in. */
export interface DropoutTarget extends GridLocation {
  readonly blank: boolean;
  readonly sectors: number;
  /** Where the oval was found, off the grid point, in column and row pitches. */
  readonly offset: { readonly column: number; readonly row: number };
}

export function findDropoutTargets(img: GrayImage, grid: TimingMarkGrid, shape: TargetShape = DOMINION_OVAL): DropoutTarget[] {
  const w = shape.width * grid.columnPitch;
  const h = shape.height * grid.columnPitch;
  const s = ringStencil(w, h);
  const lut = darknessLut(grid.levels ?? measureLevels(img));
  const search = Math.max(1, Math.round(grid.columnPitch * 0.12));
  const shift = Math.round(w * 0.75);
  const found: DropoutTarget[] = [];
  for (let row = 0; row < grid.rows; row++) {
    for (let column = 1; column < grid.columns - 1; column++) {
      const p = grid.pointFor(column, row);
      const px = Math.round(p.x);
      const py = Math.round(p.y);
      // Cheap first look: most grid points are blank paper.
      if (!anyInk(img, px, py, Math.ceil(w / 2) + search, Math.ceil(h / 2) + search, grid.threshold)) continue;
      // The ring's best place near the grid point (print and registration are off by a few pixels).
      let best = -1;
      let bx = px;
      let by = py;
      const look = (x: number, y: number) => {
        const m = meanDark(img, x, y, s.ring, lut);
        if (m > best) {
          best = m;
          bx = x;
          by = y;
        }
      };
      // Every other pixel, then the neighbours of the best.
      for (let oy = -search; oy <= search; oy += 2) for (let ox = -search; ox <= search; ox += 2) look(px + ox, py + oy);
      const [cx, cy] = [bx, by];
      for (let oy = -1; oy <= 1; oy++) for (let ox = -1; ox <= 1; ox++) look(cx + ox, cy + oy);
      const o = probe(img, bx, by, s, lut, shift);
      // In the ballot's frame: on an upside-down scan, right in pixels is left on the ballot.
      const turn = grid.orientation === 'rotated180' ? -1 : 1;
      const offset = { column: (turn * (bx - p.x)) / grid.columnPitch, row: (turn * (by - p.y)) / grid.rowPitch };
      if (isFilled(o)) found.push({ column, row, blank: false, sectors: o.sectorMask, offset });
      else if (isEmptyOutline(o)) found.push({ column, row, blank: true, sectors: o.sectorMask, offset });
    }
  }
  return found;
}

/**
 * Keeps the targets that stand in a column of targets, one of them seen empty: ballot options are
 * printed one under another, while a filled oval in the instructions' artwork or a voter's
 * scribble stands alone.
 */
export function targetsInColumns<T extends GridLocation>(targets: readonly T[], seenEmpty: (t: T) => boolean): T[] {
  const byColumn = new Map<number, T[]>();
  for (const t of targets) byColumn.set(t.column, [...(byColumn.get(t.column) ?? []), t]);
  return targets.filter((t) => {
    const column = byColumn.get(t.column) ?? [];
    return column.length >= 2 && column.some(seenEmpty);
  });
}

function anyInk(img: GrayImage, cx: number, cy: number, hw: number, hh: number, threshold: number): boolean {
  const { width, height, data } = img;
  for (let y = Math.max(0, cy - hh); y <= Math.min(height - 1, cy + hh); y += 2) {
    const row = y * width;
    for (let x = Math.max(0, cx - hw); x <= Math.min(width - 1, cx + hw); x++) if (data[row + x]! <= threshold) return true;
  }
  return false;
}
