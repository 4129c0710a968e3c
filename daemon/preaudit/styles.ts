/**
 * Style learning without vendor style files: pages are grouped by the code printed in their
 * bottom rows (AccuVote card code, or the code row of the sample-election family); where a
 * family prints none, by the layout of their targets. Each style gets a template learned from
 * many pages: where its targets are and how dark each one is when blank.
 */
import type { GrayImage } from './image.ts';
import { measureLevels } from './components.ts';
import type { Side } from './layout.ts';
import { ACCUVOTE_OVAL, darknessLut, meanDark, type GridLocation, type TargetShape } from './targets.ts';
import { inkFraction } from './gridMath.ts';
import type { TimingMarkGrid } from './timingMarks.ts';
import { ellipseRing, RING_SECTORS } from './ringStencil.ts';
import { findDropoutTargets, sectorCount, TEMPLATE_MIN_SECTORS, targetsInColumns } from './dropoutOvals.ts';

/** The sample-election code: 24 bits at columns 2..25 of the row above the bottom marks. */
export interface DecodedStyleCode {
  readonly styleNumber: number;
  readonly card: number;
  readonly side: Side;
}

export interface PageCode {
  /** Bottom timing-mark row, corners excluded ("1" = mark present). */
  readonly bottomRow: string;
  /** The row just above it ("1" = a filled square on the grid point). */
  readonly codeRow: string;
  /** Set when the code row carries a valid sample-election style code. */
  readonly decoded: DecodedStyleCode | undefined;
}

const CODE_FIRST_COLUMN = 2;
const CODE_BITS = 24;

/** Reads the codes printed along the bottom of a page. */
export function readPageCode(img: GrayImage, grid: TimingMarkGrid): PageCode {
  // Dominion's type code (full and half bars) is read with the grid; it has no sample-election code row.
  if (grid.codeText !== undefined) return { bottomRow: grid.codeText, codeRow: '', decoded: undefined };
  const bottomRow = grid.bottomCode
    .slice(1, -1)
    .map((b) => (b ? '1' : '0'))
    .join('');
  const hw = Math.max(1, Math.floor(grid.markWidth * 0.25));
  const hh = Math.max(1, Math.floor(grid.markHeight * 0.3));
  let codeRow = '';
  for (let c = 1; c < grid.columns - 1; c++) {
    const p = grid.pointFor(c, grid.rows - 2);
    codeRow += inkFraction(img, grid.threshold, Math.round(p.x), Math.round(p.y), hw, hh) > 0.6 ? '1' : '0';
  }
  const bits = [...codeRow.slice(CODE_FIRST_COLUMN - 1, CODE_FIRST_COLUMN - 1 + CODE_BITS)].map(Number);
  return { bottomRow, codeRow, decoded: decodeStyleCode(bits) };
}

/**
 * [0..11] style number, [12..14] card, [15] side (1 = back), [16..19] ones in bits 0..15 mod 16,
 * [20..23] sync 1,0,1,1 (sample-election family; see scripts/sample-election/README.md).
 */
export function decodeStyleCode(bits: readonly number[]): DecodedStyleCode | undefined {
  if (bits.length !== CODE_BITS) return undefined;
  const num = (from: number, to: number) => bits.slice(from, to).reduce((v, b) => v * 2 + b, 0);
  const ones = bits.slice(0, 16).reduce((s, b) => s + b, 0) % 16;
  if (num(16, 20) !== ones || bits[20] !== 1 || bits[21] !== 0 || bits[22] !== 1 || bits[23] !== 1) return undefined;
  const styleNumber = num(0, 12);
  const card = num(12, 15);
  if (styleNumber === 0 || card === 0) return undefined;
  return { styleNumber, card, side: bits[15] === 1 ? 'back' : 'front' };
}

/** The key pages are grouped by: the decoded code when valid, else the raw bottom rows. */
export function styleKey(code: PageCode): string {
  if (code.decoded !== undefined) return `style-${code.decoded.styleNumber}/card-${code.decoded.card}/${code.decoded.side}`;
  return `rows:${code.bottomRow}/${code.codeRow}`;
}

interface OvalStencil {
  readonly ring: Int16Array;
  /** Every fourth ring pixel, for a cheap first look. */
  readonly ringSparse: Int16Array;
  /** Sector (0..SECTORS-1) of each ring offset, by angle. */
  readonly sector: Uint8Array;
  readonly inner: Int16Array;
  /** Thin ring just outside the outline: paper around a printed target, ink around letters. */
  readonly halo: Int16Array;
}

const SECTORS = RING_SECTORS;

function ovalStencil(w: number, h: number): OvalStencil {
  // A wide band: printed targets are ellipses, stadiums or rounded boxes; a band this wide
  // holds the outline of any of them all the way round.
  const stroke = Math.max(0.75, h * 0.1);
  const haloFrom = 2 * stroke;
  const { ring, sector, inner, halo } = ellipseRing(w, h, { stroke, haloFrom, haloTo: haloFrom + Math.max(1.5, h * 0.1), innerRadius: 0.7 });
  const sparse: number[] = [];
  for (let i = 0; i < ring.length; i += 8) sparse.push(ring[i]!, ring[i + 1]!);
  return { ring, ringSparse: Int16Array.from(sparse), sector, inner, halo };
}

/**
 * Is there an empty printed oval centred near grid point (column, row)? The outline must be
 * dark all the way round (every eighth of it), the inside light: letters and rules fail that.
 */
export interface OvalProbe {
  readonly ring: number;
  readonly minSector: number;
  readonly inner: number;
  readonly halo: number;
}

/** Measures the best-aligned oval near grid point (column, row); undefined on blank paper. */
function probeOval(
  img: GrayImage,
  grid: TimingMarkGrid,
  stencil: OvalStencil,
  lut: Float32Array,
  column: number,
  row: number,
): OvalProbe | undefined {
  const p = grid.pointFor(column, row);
  const px = Math.round(p.x);
  const py = Math.round(p.y);
  // Cheap first look: most grid points are blank paper.
  if (meanDark(img, px, py, stencil.ringSparse, lut) < 0.03) return undefined;
  const search = Math.max(1, Math.round(grid.columnPitch * 0.06));
  let best = -1;
  let cx = px;
  let cy = py;
  const step = search >= 3 ? 2 : 1;
  const look = (x: number, y: number) => {
    const m = meanDark(img, x, y, stencil.ringSparse, lut);
    if (m > best) {
      best = m;
      cx = x;
      cy = y;
    }
  };
  for (let oy = -search; oy <= search; oy += step) for (let ox = -search; ox <= search; ox += step) look(px + ox, py + oy);
  if (step > 1) {
    const bx = cx;
    const by = cy;
    for (let oy = -1; oy <= 1; oy++) for (let ox = -1; ox <= 1; ox++) look(bx + ox, by + oy);
  }
  const { width, height, data } = img;
  const sums = new Float64Array(SECTORS);
  const counts = new Float64Array(SECTORS);
  let total = 0;
  let n = 0;
  for (let i = 0, k = 0; i < stencil.ring.length; i += 2, k++) {
    const x = cx + stencil.ring[i]!;
    const y = cy + stencil.ring[i + 1]!;
    if (x < 0 || y < 0 || x >= width || y >= height) continue;
    const d = lut[data[y * width + x]!]!;
    sums[stencil.sector[k]!]! += d;
    counts[stencil.sector[k]!]!++;
    total += d;
    n++;
  }
  let minSector = Infinity;
  for (let s = 0; s < SECTORS; s++) minSector = Math.min(minSector, sums[s]! / Math.max(1, counts[s]!));
  return {
    ring: total / Math.max(1, n),
    minSector,
    inner: meanDark(img, cx, cy, stencil.inner, lut),
    halo: meanDark(img, cx, cy, stencil.halo, lut),
  };
}

/**
 * An empty printed oval: outline dark all the way round (every twelfth of it), inside and just
 * outside light. Letters, rules and filled ovals fail it.
 */
function isBlankOval(o: OvalProbe | undefined): boolean {
  return (
    o !== undefined &&
    o.ring >= 0.1 &&
    o.minSector >= o.ring * 0.45 &&
    o.inner <= o.ring * 0.35 &&
    o.halo <= o.ring * 0.4
  );
}

/**
 * A target filled in by a voter: dark all the way round and inside, paper just outside. Counted
 * with blank ones so a target marked on most pages of a small sample is still learned.
 */
function isFilledOval(o: OvalProbe | undefined): boolean {
  return o !== undefined && o.ring >= 0.6 && o.minSector >= 0.45 && o.inner >= 0.6 && o.halo <= 0.3;
}

/**
 * A printed target carrying some other mark (a check, an X, a partial fill): the outline dark all
 * the way round and the paper just outside clean, whatever is inside. Counted like the others,
 * so a target that voters marked on every sampled page (a popular choice) is still learned. The
 * clean surround is what keeps letters out: a glyph at a grid point has ink of its word beside it.
 */
function isMarkedOval(o: OvalProbe | undefined): boolean {
  return o !== undefined && o.ring >= 0.1 && o.minSector >= o.ring * 0.5 && o.halo <= o.ring * 0.25;
}

export function probeOvalAt(img: GrayImage, grid: TimingMarkGrid, column: number, row: number, shape: TargetShape = ACCUVOTE_OVAL): OvalProbe | undefined {
  const { stencil, lut } = probeSetup(img, grid, shape);
  return probeOval(img, grid, stencil, lut, column, row);
}

function probeSetup(img: GrayImage, grid: TimingMarkGrid, shape: TargetShape) {
  const levels = grid.levels ?? measureLevels(img);
  const lut = darknessLut(levels);
  const stencil = ovalStencil(shape.width * grid.columnPitch, shape.height * grid.columnPitch);
  return { stencil, lut };
}

/** Grid positions holding an empty printed target on one page. */
export function findBlankTargets(img: GrayImage, grid: TimingMarkGrid, shape: TargetShape = ACCUVOTE_OVAL): GridLocation[] {
  return findTargets(img, grid, shape).filter((t) => t.blank);
}

/** Grid positions holding a printed target on one page, empty, filled in or otherwise marked. */
export function findTargets(img: GrayImage, grid: TimingMarkGrid, shape: TargetShape = ACCUVOTE_OVAL): (GridLocation & { blank: boolean })[] {
  const { stencil, lut } = probeSetup(img, grid, shape);
  const found: (GridLocation & { blank: boolean })[] = [];
  for (let row = 1; row < grid.rows - 2; row++) {
    for (let column = 1; column < grid.columns - 1; column++) {
      const o = probeOval(img, grid, stencil, lut, column, row);
      if (isBlankOval(o)) found.push({ column, row, blank: true });
      else if (isFilledOval(o) || isMarkedOval(o)) found.push({ column, row, blank: false });
    }
  }
  return found;
}

/** A style learned from pages: where its targets are, and how many pages showed each. */
export interface LearnedStyle {
  readonly key: string;
  readonly code: PageCode;
  readonly pages: number;
  readonly columns: number;
  readonly rows: number;
  /** Targets seen (blank, filled in or otherwise marked) on at least `minShare` of the pages. */
  readonly targets: readonly GridLocation[];
}

/**
 * Accumulates pages per style key and learns each style's targets: a position is a target when
 * an empty oval is seen there on enough pages (voters mark only some targets of each ballot).
 */
export class StyleLearner {
  private readonly styles = new Map<string, { code: PageCode; pages: number; columns: number; rows: number; dropout: boolean; seen: Map<string, number>; seenEmpty: Set<string>; sectors: Map<string, number>; offsets: Map<string, { column: number; row: number; n: number }> }>();

  constructor(
    private readonly shape: TargetShape = ACCUVOTE_OVAL,
    private readonly minShare = 0.3,
  ) {}

  /** Adds one registered page; returns its style key. */
  addPage(img: GrayImage, grid: TimingMarkGrid): string {
    const code = readPageCode(img, grid);
    const key = styleKey(code);
    this.addPageAs(key, code, img, grid);
    return key;
  }

  /**
   * Adds a page under a key chosen by the caller (e.g. style and side of a sheet whose pages print
   * no decodable code); returns the blank targets seen on it, so the caller can keep the page with
   * the most of them as the style's representative for OCR.
   */
  addPageAs(key: string, code: PageCode, img: GrayImage, grid: TimingMarkGrid): GridLocation[] {
    let s = this.styles.get(key);
    if (s === undefined) {
      s = { code, pages: 0, columns: grid.columns, rows: grid.rows, dropout: grid.design === 'bars-and-squares', seen: new Map(), seenEmpty: new Set(), sectors: new Map(), offsets: new Map() };
      this.styles.set(key, s);
    }
    s.pages++;
    // Dominion prints its ovals in dropout ink: an empty one is a faint broken outline.
    const found: (GridLocation & { blank: boolean; sectors?: number; offset?: { column: number; row: number } })[] = s.dropout
      ? findDropoutTargets(img, grid)
      : findTargets(img, grid, this.shape);
    for (const t of found) {
      const k = `${t.column},${t.row}`;
      s.seen.set(k, (s.seen.get(k) ?? 0) + 1);
      if (t.blank) s.seenEmpty.add(k);
      // The template: which parts of the ring any page showed (a dropout outline shows a few a page).
      if (t.sectors !== undefined) s.sectors.set(k, (s.sectors.get(k) ?? 0) | t.sectors);
      // Where the printed ovals sit off the grid point, from the empty ones (a voter's fill is not centred).
      if (t.offset !== undefined && t.blank) {
        const o = s.offsets.get(k) ?? { column: 0, row: 0, n: 0 };
        s.offsets.set(k, { column: o.column + t.offset.column, row: o.row + t.offset.row, n: o.n + 1 });
      }
    }
    return found.filter((t) => t.blank);
  }

  pagesOf(key: string): number {
    return this.styles.get(key)?.pages ?? 0;
  }

  learned(): LearnedStyle[] {
    return [...this.styles.entries()].map(([key, s]) => ({
      key,
      code: s.code,
      pages: s.pages,
      columns: s.columns,
      rows: s.rows,
      targets: this.keepInColumns(s.dropout, s.seenEmpty, [...s.seen.entries()]
        // Filled ones count: a popular option can be marked on every page of a sample. (A printed
        // example of a filled oval would be taken for a target too; its text then matches no
        // option and the style goes to a person, which is safe.)
        .filter(([, n]) => n >= Math.max(1, Math.ceil(s.pages * this.minShare)))
        .filter(([k]) => !s.dropout || sectorCount(s.sectors.get(k) ?? 0) >= TEMPLATE_MIN_SECTORS)
        .map(([k]) => {
          const [column, row] = k.split(',').map(Number) as [number, number];
          return { column, row };
        })
        .sort((a, b) => a.column - b.column || a.row - b.row), s.offsets),
    }));
  }

  /**
   * Dropout-ink designs: only targets standing in a column of targets (filled artwork and scribbles
   * stand alone), each at the mean place its empty outline was seen (a fraction of a pitch off the grid point).
   */
  private keepInColumns(
    dropout: boolean,
    seenEmpty: ReadonlySet<string>,
    targets: GridLocation[],
    offsets: ReadonlyMap<string, { column: number; row: number; n: number }>,
  ): GridLocation[] {
    if (!dropout) return targets;
    const round = (v: number) => Math.round(v * 100) / 100;
    return targetsInColumns(targets, (t) => seenEmpty.has(`${t.column},${t.row}`)).map((t) => {
      const o = offsets.get(`${t.column},${t.row}`);
      return o === undefined || o.n === 0 ? t : { column: round(t.column + o.column / o.n), row: round(t.row + o.row / o.n) };
    });
  }
}
