import {
  type Blob,
  blobHeight,
  blobWidth,
  findBlobs,
  type Levels,
  measureLevels,
  otsuThreshold,
  pageHistogram,
  refineBlob,
  streakColumns,
  streakRows,
} from './components.ts';
import type { GrayImage } from './image.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';

export interface Point {
  readonly x: number;
  readonly y: number;
}

/** Nominal AccuVote-family geometry in inches: marks 3/16" × 1/16" on a 1/4" pitch. */
const MARK_WIDTH_IN = 0.19;
const MARK_HEIGHT_IN = 0.065;
const PAPER_WIDTH_IN = 8.5;
/** Marks live in the outer part of each edge; uneven crop and template margins need some slack. */
const BAND_FRACTION = 0.1;

export type Orientation = 'upright' | 'rotated180';
export type Edge = 'top' | 'bottom' | 'left' | 'right';

/**
 * The timing-mark grid of one page, in the ballot's own frame: column 0 is the left column of
 * marks, row 0 the top row (the full one). Pixels are never rotated; `pointFor` maps a grid
 * position straight to image pixels, upside-down scans included.
 */
export interface TimingMarkGrid {
  /** Which family of edge marks: AccuVote bars all round, or Dominion's bars and squares (barGrid.ts). */
  readonly design?: GridDesign;
  readonly columns: number;
  readonly rows: number;
  readonly orientation: Orientation;
  /** Ink threshold used (Otsu): pixels <= threshold are ink. */
  readonly threshold: number;
  /** Paper and ink grey levels of the page. */
  readonly levels?: Levels;
  /** Image columns inked down the whole page (scanner streaks), 1 = streak; undefined when none. */
  readonly streaks?: Uint8Array;
  /** Size of an uncropped mark in pixels (the scale of this scan). */
  readonly markWidth: number;
  readonly markHeight: number;
  /** Average distance between neighbouring grid columns / rows, in pixels. */
  readonly columnPitch: number;
  readonly rowPitch: number;
  /** Marks found per edge (ballot frame; bottom: marks of the bottom-row code), for diagnostics. */
  readonly found: Readonly<Record<Edge, number>>;
  /** Rows whose left or right mark was missing or smudged and was interpolated. */
  readonly interpolatedRows: readonly number[];
  /** Image-pixel centre of grid position (column, row); fractional positions interpolate. */
  pointFor(column: number, row: number): Point;
  /**
   * Presence of a mark at each column of the bottom row (ballot frame). AccuVote-family ballots
   * print their card/style code there; the corners are always set.
   */
  readonly bottomCode: readonly boolean[];
  /** The printed type code as text, where the design prints more than one bit a column (barGrid.ts). */
  readonly codeText?: string;
}

export type GridDesign = 'accuvote' | 'bars-and-squares';

export interface EdgeFit {
  /** Inlier blobs, sorted along the edge. */
  readonly marks: Blob[];
  /** Line v = a*u + b, where u runs along the edge and v is the inner-edge coordinate. */
  readonly a: number;
  readonly b: number;
}

/** The AccuVote design: timing marks on all four edges (findGrid.ts chooses between the designs). */
export function findAccuVoteGrid(img: GrayImage): Result<TimingMarkGrid> {
  const { width: W, height: H } = img;
  const hist = pageHistogram(img);
  const threshold = otsuThreshold(img, hist);
  const levels = measureLevels(img, hist);
  const dpi = W / PAPER_WIDTH_IN;
  const expW = MARK_WIDTH_IN * dpi;
  const expH = MARK_HEIGHT_IN * dpi;
  const bandX = Math.ceil(W * BAND_FRACTION);
  const bandY = Math.ceil(H * BAND_FRACTION);

  // At 150 dpi and up a coarse pass over every other row and column finds the marks at a
  // quarter of the cost; the few candidates are then measured exactly at full resolution.
  // (Not coarser: a step of 3 bridges the 2-pixel gap between a mark and a box printed beside it.)
  const step = dpi >= 150 ? 2 : 1;
  // Streaks and paper edges run the length of the page; marks never do.
  const streaks = streakColumns(img, threshold, 0, W);
  const marksIn = (x0: number, y0: number, x1: number, y1: number, minWidthFraction: number, ix?: Uint8Array, iy?: Uint8Array): Blob[] => {
    const cut = findBlobs(img, threshold, x0, y0, x1, y1, step, ix, iy);
    const found = ix === undefined ? cut : joinAcrossStreaks(cut, ix, step);
    const out: Blob[] = [];
    for (const coarse of found) {
      // Refining keeps the coarse blob's ink samples and grows by at most step - 1 per side, so
      // a coarse box too big by more than step - 1, or too small by more than 2 (step - 1), stays
      // out of bounds: only blobs that may be marks (not every speck and letter) are refined.
      if (step > 1 && !plausibleMark(coarse, expW, expH, minWidthFraction, step - 1)) continue;
      const b = step > 1 ? refineBlob(img, threshold, coarse, step - 1) : coarse;
      if (plausibleMark(b, expW, expH, minWidthFraction)) out.push(b);
    }
    return out;
  };
  const leftBlobs = marksIn(0, 0, bandX, H, SIDE_MIN_WIDTH, streaks);
  const rightBlobs = marksIn(W - bandX, 0, W, H, SIDE_MIN_WIDTH, streaks);
  const topBlobs = marksIn(0, 0, W, bandY, TOP_MIN_WIDTH, undefined, streakRows(img, threshold, 0, bandY));

  const tol = Math.max(2, expH * 0.45);
  const fitTop = fitEdge(topBlobs, (b) => (b.minX + b.maxX) / 2, (b) => b.maxY, tol, W);
  // The full row of marks is the top of the ballot; an upside-down scan shows it at the bottom.
  // A top row with at least 3/4 of the marks a full row can hold settles it without reading the
  // bottom band (a quarter of the registration cost).
  const topCount = fitTop?.marks.length ?? 0;
  const bottomBlobs = () => marksIn(0, H - bandY, W, H, TOP_MIN_WIDTH, undefined, streakRows(img, threshold, H - bandY, H));
  const fullRow = Math.floor((W * 0.9) / (expW * 1.3));
  const fitBottom =
    topCount >= fullRow * 0.75
      ? undefined
      : fitEdge(
          bottomBlobs(),
          (b) => (b.minX + b.maxX) / 2,
          (b) => b.minY,
          tol,
          W,
        );
  const bottomCount = fitBottom?.marks.length ?? 0;
  const orientation: Orientation = bottomCount >= topCount + 3 ? 'rotated180' : 'upright';

  // Work in the ballot frame: flip blob coordinates instead of pixels.
  const flip = (b: Blob): Blob =>
    orientation === 'upright'
      ? b
      : { minX: W - 1 - b.maxX, maxX: W - 1 - b.minX, minY: H - 1 - b.maxY, maxY: H - 1 - b.minY, area: b.area };
  const bl = (orientation === 'upright' ? leftBlobs : rightBlobs).map(flip);
  const br = (orientation === 'upright' ? rightBlobs : leftBlobs).map(flip);
  const top = orientation === 'upright' ? fitTop : fitBottom === undefined ? undefined : flipFit(fitBottom, W, H);

  const fitLeft = fitEdge(bl, (b) => (b.minY + b.maxY) / 2, (b) => b.maxX, tol, H);
  const fitRight = fitEdge(br, (b) => (b.minY + b.maxY) / 2, (b) => b.minX, tol, H);
  if (fitLeft === undefined || fitRight === undefined || fitLeft.marks.length < 5 || fitRight.marks.length < 5) {
    return err(noGrid('the left or right column of timing marks was not found'));
  }

  // Mark size from uncropped marks: width from the top row, height from the side columns.
  const markHeight = median([...fitLeft.marks, ...fitRight.marks].map(blobHeight));
  const sideWidths = [...fitLeft.marks, ...fitRight.marks].map(blobWidth);
  const markWidth =
    top !== undefined && top.marks.length >= 5 ? median(top.marks.map(blobWidth)) : percentile(sideWidths, 0.9);

  // Reference points: a cropped mark keeps its inner edge, so centres are measured from it.
  const leftCentres = fitLeft.marks.map((b) => ({ x: b.maxX + 0.5 - markWidth / 2, y: (b.minY + b.maxY) / 2 }));
  const rightCentres = fitRight.marks.map((b) => ({ x: b.minX - 0.5 + markWidth / 2, y: (b.minY + b.maxY) / 2 }));

  const pitchL = medianGap(leftCentres.map((p) => p.y));
  const pitchR = medianGap(rightCentres.map((p) => p.y));
  const rowPitch = median([pitchL, pitchR]);
  if (!(rowPitch > markHeight)) return err(noGrid('timing marks are not evenly spaced'));

  // Row index of the first mark: 0 unless the corner mark is missing (checked against the top row).
  const topCentreY = (x: number): number | undefined =>
    top === undefined ? undefined : top.a * x + top.b - (markHeight - 1) / 2;
  const indexL = indexAlong(leftCentres.map((p) => p.y), rowPitch, firstIndex(leftCentres[0]!, topCentreY, rowPitch));
  const indexR = indexAlong(rightCentres.map((p) => p.y), rowPitch, firstIndex(rightCentres[0]!, topCentreY, rowPitch));
  if (indexL === undefined || indexR === undefined) return err(noGrid('timing marks are not evenly spaced'));
  const rows = Math.max(indexL[indexL.length - 1]!, indexR[indexR.length - 1]!) + 1;
  const left = completeColumn(leftCentres, indexL, rows);
  const right = completeColumn(rightCentres, indexR, rows);
  const interpolatedRows: number[] = [];
  for (let r = 0; r < rows; r++) if (left.interpolated[r] || right.interpolated[r]) interpolatedRows.push(r);

  // Columns: distance between the side columns along the top row, in top-row pitches.
  const topXs = top === undefined ? [] : top.marks.map((b) => (b.minX + b.maxX) / 2);
  const first = left.points[0]!;
  const firstRight = right.points[0]!;
  const columnPitchTop = topXs.length >= 5 ? medianGap(topXs) : undefined;
  const span = Math.hypot(firstRight.x - first.x, firstRight.y - first.y);
  const columns = Math.round(span / (columnPitchTop ?? rowPitch)) + 1;
  if (columns < 3 || rows < 3) return err(noGrid('too few timing marks'));
  const columnPitch = span / (columns - 1);

  const L = left.points;
  const R = right.points;
  const pointInBallotFrame = (column: number, row: number): Point => pointBetweenSideMarks(L, R, rows, row, column / (columns - 1));
  const pointFor =
    orientation === 'upright'
      ? pointInBallotFrame
      : (column: number, row: number): Point => {
          const p = pointInBallotFrame(column, row);
          return { x: W - 1 - p.x, y: H - 1 - p.y };
        };

  const bottomCode = readBottomCode(img, threshold, pointFor, columns, rows, markWidth, markHeight);
  return ok({
    design: 'accuvote',
    columns,
    rows,
    orientation,
    threshold,
    levels,
    ...(streaks === undefined ? {} : { streaks }),
    markWidth,
    markHeight,
    columnPitch,
    rowPitch,
    found: {
      top: top?.marks.length ?? 0,
      bottom: bottomCode.filter((b) => b).length,
      left: fitLeft.marks.length,
      right: fitRight.marks.length,
    },
    interpolatedRows,
    pointFor,
    bottomCode,
  });
}

/**
 * A streak through a side column of marks cuts every mark in two, its columns being read as paper
 * there: join two pieces side by side at the same height when only streak columns (and a pixel
 * or two of sampling) lie between them.
 */
function joinAcrossStreaks(blobs: readonly Blob[], streaks: Uint8Array, step: number): Blob[] {
  const out = blobs.map((b) => ({ ...b }));
  const gone = new Set<number>();
  for (let i = 0; i < out.length; i++) {
    for (let j = i + 1; j < out.length && !gone.has(i); j++) {
      if (gone.has(j)) continue;
      const a = out[i]!;
      const b = out[j]!;
      if (a.minY > b.maxY || b.minY > a.maxY) continue;
      const [l, r] = a.maxX < b.minX ? [a, b] : b.maxX < a.minX ? [b, a] : [undefined, undefined];
      if (l === undefined || r === undefined) continue;
      let paper = 0;
      let streak = false;
      for (let x = l.maxX + 1; x < r.minX; x++) {
        if (streaks[x] === 1) streak = true;
        else paper++;
      }
      if (!streak || paper > 2 * step) continue;
      a.minX = Math.min(a.minX, b.minX);
      a.maxX = Math.max(a.maxX, b.maxX);
      a.minY = Math.min(a.minY, b.minY);
      a.maxY = Math.max(a.maxY, b.maxY);
      a.area += b.area;
      gone.add(j);
    }
  }
  return out.filter((_, i) => !gone.has(i));
}

export function noGrid(why: string) {
  return operatorError(
    'preaudit-no-timing-marks',
    `The timing marks of this ballot image could not be read: ${why}.`,
    'Look at the image: it may be a non-ballot page, badly cropped, folded or torn. Rescan it or review it by hand.',
  );
}

/** Least width of a mark, in mark widths: side marks may be cut by the image border, top ones not. */
const SIDE_MIN_WIDTH = 0.15;
const TOP_MIN_WIDTH = 0.5;

/**
 * Size and solidity of a timing mark. With `slack` (pixels), the size test of a box from a coarse
 * pass before refining: bounds widened by slack above and twice that below, solidity not tested.
 */
function plausibleMark(b: Blob, expW: number, expH: number, minWidthFraction: number, slack = 0): boolean {
  const w = blobWidth(b);
  const h = blobHeight(b);
  if (h < expH * 0.45 - 2 * slack || h > expH * 1.8 + slack) return false;
  if (w < Math.max(2, expW * minWidthFraction) - 2 * slack || w > expW * 1.6 + slack) return false;
  if (slack > 0) return true;
  // A mark is a solid bar; letters and scribbles fill far less of their box.
  return b.area >= 0.6 * w * h;
}

function flipFit(fit: EdgeFit, W: number, H: number): EdgeFit {
  const marks = fit.marks
    .map((b) => ({ minX: W - 1 - b.maxX, maxX: W - 1 - b.minX, minY: H - 1 - b.maxY, maxY: H - 1 - b.minY, area: b.area }))
    .sort((p, q) => p.minX - q.minX);
  // v = a*u + b  →  (H-1-v') = a*(W-1-u') + b  →  v' = a*u' + (H-1 - a*(W-1) - b), inner edge now maxY
  return { marks, a: fit.a, b: H - 1 - fit.a * (W - 1) - fit.b };
}

/** Deterministic RANSAC for the straight line of marks along one edge. */
export function fitEdge(
  blobs: readonly Blob[],
  u: (b: Blob) => number,
  v: (b: Blob) => number,
  tol: number,
  length: number,
): EdgeFit | undefined {
  const n = blobs.length;
  if (n < 2) return undefined;
  const us = blobs.map(u);
  const vs = blobs.map(v);
  let bestCount = 0;
  let bestErr = Infinity;
  let bestA = 0;
  let bestB = 0;
  let seed = 12345;
  const rand = (k: number) => {
    // 32-bit LCG with Math.imul: plain float multiplication would lose the low bits.
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % k;
  };
  const consider = (i: number, j: number) => {
    const du = us[j]! - us[i]!;
    if (Math.abs(du) < length * 0.1) return;
    const a = (vs[j]! - vs[i]!) / du;
    if (Math.abs(a) > 0.08) return; // more than ~4.5° of skew is not a scan we can trust
    const b = vs[i]! - a * us[i]!;
    let count = 0;
    let e = 0;
    for (let k = 0; k < n; k++) {
      // Stop once this line can no longer reach the best count (it could not even tie).
      if (count + (n - k) < bestCount) return;
      const d = Math.abs(vs[k]! - (a * us[k]! + b));
      if (d <= tol) {
        count++;
        e += d;
      }
    }
    if (count > bestCount || (count === bestCount && e < bestErr)) {
      bestCount = count;
      bestErr = e;
      bestA = a;
      bestB = b;
    }
  };
  // Every pair when there are few candidates; a fixed pseudo-random sample otherwise.
  if (n <= 70) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) consider(i, j);
  } else {
    for (let t = 0; t < 1500; t++) consider(rand(n), rand(n));
  }
  if (bestCount < 2) return undefined;
  // Least-squares refinement on the inliers, twice.
  let a = bestA;
  let b = bestB;
  let inliers: number[] = [];
  for (let pass = 0; pass < 2; pass++) {
    inliers = [];
    for (let k = 0; k < n; k++) if (Math.abs(vs[k]! - (a * us[k]! + b)) <= tol) inliers.push(k);
    if (inliers.length < 2) break;
    let su = 0;
    let sv = 0;
    let suu = 0;
    let suv = 0;
    for (const k of inliers) {
      su += us[k]!;
      sv += vs[k]!;
      suu += us[k]! * us[k]!;
      suv += us[k]! * vs[k]!;
    }
    const m = inliers.length;
    const den = m * suu - su * su;
    if (den !== 0) {
      a = (m * suv - su * sv) / den;
      b = (sv - a * su) / m;
    }
  }
  // Keep marks of a consistent size: a blob of text that happens to sit on the line is dropped.
  const hs = inliers.map((k) => blobHeight(blobs[k]!));
  const mh = median(hs);
  const marks = inliers
    .filter((k) => {
      const h = blobHeight(blobs[k]!);
      return h >= mh * 0.6 && h <= mh * 1.5;
    })
    .map((k) => blobs[k]!)
    .sort((p, q) => u(p) - u(q));
  return { marks, a, b };
}

function firstIndex(p: Point, topCentreY: (x: number) => number | undefined, pitch: number): number {
  const y0 = topCentreY(p.x);
  if (y0 === undefined) return 0;
  return Math.max(0, Math.round((p.y - y0) / pitch));
}

/**
 * Grid index of each mark from the gaps between neighbours: a gap of about two pitches means a
 * missing mark. Blobs closer than half a pitch are fragments of one mark; the later is dropped
 * (index repeated, filtered by the caller).
 */
export function indexAlong(positions: readonly number[], pitch: number, first: number): number[] | undefined {
  const gaps: number[] = [];
  for (let i = 1; i < positions.length; i++) gaps.push(positions[i]! - positions[i - 1]!);
  const idx: number[] = [first];
  for (let i = 0; i < gaps.length; i++) {
    // Local pitch from neighbouring single-pitch gaps: a stretched stretch of paper widens
    // gaps locally, and must not read as a missing mark.
    const near: number[] = [];
    for (let j = Math.max(0, i - 3); j <= Math.min(gaps.length - 1, i + 3); j++) {
      const g = gaps[j]!;
      if (j !== i && g > pitch * 0.6 && g < pitch * 1.4) near.push(g);
    }
    const local = near.length >= 2 ? median(near) : pitch;
    const ratio = gaps[i]! / local;
    // Missing marks make gaps of ~2, ~3 pitches; anything under 1.6 is one (stretched) pitch.
    const steps = ratio < 0.5 ? 0 : ratio < 1.6 ? 1 : Math.round(ratio);
    idx.push(idx[i]! + steps);
  }
  return idx;
}

export function completeColumn(
  centres: readonly Point[],
  index: readonly number[],
  rows: number,
): { points: Point[]; interpolated: boolean[] } {
  const known = new Map<number, Point>();
  for (let i = 0; i < centres.length; i++) if (!known.has(index[i]!)) known.set(index[i]!, centres[i]!);
  const ks = [...known.keys()].sort((p, q) => p - q);
  const points: Point[] = [];
  const interpolated: boolean[] = [];
  for (let r = 0; r < rows; r++) {
    const exact = known.get(r);
    if (exact !== undefined) {
      points.push(exact);
      interpolated.push(false);
      continue;
    }
    // Interpolate between the nearest known marks; extrapolate from the two nearest at the ends.
    let lo = -1;
    let hi = -1;
    for (const k of ks) {
      if (k < r) lo = k;
      else if (k > r && hi === -1) hi = k;
    }
    let i0: number;
    let i1: number;
    if (lo !== -1 && hi !== -1) {
      i0 = lo;
      i1 = hi;
    } else if (lo !== -1) {
      i1 = lo;
      i0 = ks[Math.max(0, ks.indexOf(lo) - 1)]!;
    } else {
      i0 = hi;
      i1 = ks[Math.min(ks.length - 1, ks.indexOf(hi) + 1)]!;
    }
    const p0 = known.get(i0)!;
    const p1 = known.get(i1)!;
    const f = i1 === i0 ? 0 : (r - i0) / (i1 - i0);
    points.push({ x: p0.x + (p1.x - p0.x) * f, y: p0.y + (p1.y - p0.y) * f });
    interpolated.push(true);
  }
  return { points, interpolated };
}

function readBottomCode(
  img: GrayImage,
  threshold: number,
  pointFor: (c: number, r: number) => Point,
  columns: number,
  rows: number,
  markWidth: number,
  markHeight: number,
): boolean[] {
  const code: boolean[] = [];
  const hw = Math.max(1, Math.floor(markWidth * 0.3));
  const hh = Math.max(1, Math.floor(markHeight * 0.3));
  for (let c = 0; c < columns; c++) {
    const p = pointFor(c, rows - 1);
    // The corners are the ends of the side columns found above (a cropped corner may read blank).
    const corner = c === 0 || c === columns - 1;
    code.push(corner || inkFraction(img, threshold, Math.round(p.x), Math.round(p.y), hw, hh) > 0.6);
  }
  return code;
}

/** Fraction of ink pixels in the box centred on (cx, cy) with half-sizes hw, hh. */
export function inkFraction(img: GrayImage, threshold: number, cx: number, cy: number, hw: number, hh: number): number {
  const { width, height, data } = img;
  let ink = 0;
  let total = 0;
  for (let y = Math.max(0, cy - hh); y <= Math.min(height - 1, cy + hh); y++) {
    const row = y * width;
    for (let x = Math.max(0, cx - hw); x <= Math.min(width - 1, cx + hw); x++) {
      total++;
      if (data[row + x]! <= threshold) ink++;
    }
  }
  return total === 0 ? 0 : ink / total;
}

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!;
}

export function medianGap(sorted: readonly number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++) gaps.push(sorted[i]! - sorted[i - 1]!);
  // Most gaps are one pitch; the lower half excludes the double gaps left by missing marks.
  return percentile(gaps, 0.35);
}

/**
 * The point a fraction t of the way from the left side's marks to the right side's at a (fractional)
 * row: each side interpolated between its two nearest marks, so a bowed or skewed page is followed.
 */
export function pointBetweenSideMarks(L: readonly Point[], R: readonly Point[], rows: number, row: number, t: number): Point {
  const r0 = Math.max(0, Math.min(rows - 1, Math.floor(row)));
  const r1 = Math.min(rows - 1, r0 + 1);
  const f = row - r0;
  const l0 = L[r0]!;
  const l1 = L[r1]!;
  const q0 = R[r0]!;
  const q1 = R[r1]!;
  const lx = l0.x + (l1.x - l0.x) * f;
  const ly = l0.y + (l1.y - l0.y) * f;
  const rx = q0.x + (q1.x - q0.x) * f;
  const ry = q0.y + (q1.y - q0.y) * f;
  return { x: lx + (rx - lx) * t, y: ly + (ry - ly) * t };
}
