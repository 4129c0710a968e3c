/**
 * Registration of the ES&S hand-marked design: a dashed border of small timing marks around the
 * page, a dash at every grid position along all four edges. The grid is the dashes themselves:
 * column 0 the left line, row 0 the top line (corner dashes belong to both). The pitch is learned
 * from the dashes (it differs across and down the page); only the paper width (8½ in, every ES&S
 * ballot) sets the scale. The border is symmetric, so a 180° turn is told from the print: the
 * style number sits just inside the top border on the right. Pure: image in, grid out.
 */
import { type Blob, blobHeight, blobWidth, findBlobs, measureLevels, otsuThreshold, pageHistogram, streakColumns } from './components.ts';
import { completeColumn, type EdgeFit, fitEdge, indexAlong } from './edgeFit.ts';
import { inkFraction, median, medianGap } from './gridMath.ts';
import type { GrayImage } from './image.ts';
import { noGrid, type Orientation, type Point, type TimingMarkGrid } from './timingMarks.ts';
import { err, ok, type Result } from '../core/result.ts';

const PAPER_WIDTH_IN = 8.5;
/** A dash: short on both axes (AccuVote marks are 0.19 in long, Dominion bars 0.35 in tall). */
const DASH_MIN_IN = 0.02;
const DASH_MAX_IN = 0.11;
/** The border lies within this of each paper edge (uneven crop and shifted scans included). */
const BAND_IN = 1.1;
/**
 * ...and is looked for within this first: the border the generator prints lies 0.3–0.5 in from
 * the edges. Past it the band holds the halftone of shaded headers and the text beside the
 * ovals, four times as many blobs as the border alone (half the grid's time); a page whose
 * border lies farther in is searched again over BAND_IN.
 */
const NEAR_BAND_IN = 0.8;
/** Dashes follow each other closely: a border pitch wider than this is not a dashed border. */
const MAX_PITCH_IN = 0.2;
/** Share of an edge's positions that must hold a dash (the rest smudged, torn or cut off). */
const MIN_PRESENT = 0.7;

/** Finds the dashed border of an ES&S page and builds its grid. */
export function findEssDashedGrid(img: GrayImage): Result<TimingMarkGrid> {
  const { width: W, height: H } = img;
  const dpi = W / PAPER_WIDTH_IN;
  const band = Math.ceil(BAND_IN * dpi);
  if (H < 4 * band) return err(noGrid('the page is too short for a ballot'));
  const hist = pageHistogram(img);
  const threshold = otsuThreshold(img, hist);
  const levels = measureLevels(img, hist);
  const streaks = streakColumns(img, threshold, 0, W);
  const near = gridWithin(img, Math.ceil(NEAR_BAND_IN * dpi), threshold, levels, streaks);
  return near.ok ? near : gridWithin(img, band, threshold, levels, streaks);
}

/** The grid from the dashes found within `band` pixels of each paper edge. */
function gridWithin(img: GrayImage, band: number, threshold: number, levels: TimingMarkGrid['levels'], streaks: Uint8Array | undefined): Result<TimingMarkGrid> {
  const { width: W, height: H } = img;
  const dpi = W / PAPER_WIDTH_IN;
  const lo = DASH_MIN_IN * dpi;
  const hi = DASH_MAX_IN * dpi;
  const isDash = (b: Blob) => {
    const w = blobWidth(b);
    const h = blobHeight(b);
    return w >= lo && w <= hi && h >= lo && h <= hi && b.area >= 0.65 * w * h;
  };
  // The top band first: a page without a dashed border is turned away after one small scan.
  const top = edge(findBlobs(img, threshold, 0, 0, W, band, 1).filter(isDash), 'x', W, dpi);
  if (top === undefined) return err(noGrid('no dashed border along the top'));
  const bottom = edge(findBlobs(img, threshold, 0, H - band, W, H, 1).filter(isDash), 'x', W, dpi);
  const left = edge(findBlobs(img, threshold, 0, 0, band, H, 1, streaks).filter(isDash), 'y', H, dpi);
  const right = edge(findBlobs(img, threshold, W - band, 0, W, H, 1, streaks).filter(isDash), 'y', H, dpi);
  if (bottom === undefined || left === undefined || right === undefined) return err(noGrid('the dashed border is not complete on all four edges'));

  // Number each edge's dashes from the crossing edge's line: a missing corner dash shifts nothing.
  const lineX = (fit: EdgeFit, y: number) => fit.a * y + fit.b;
  const lineY = (fit: EdgeFit, x: number) => fit.a * x + fit.b;
  const topIdx = numbered(top, (p) => p.x - lineX(left.fit, p.y));
  const bottomIdx = numbered(bottom, (p) => p.x - lineX(left.fit, p.y));
  const leftIdx = numbered(left, (p) => p.y - lineY(top.fit, p.x));
  const rightIdx = numbered(right, (p) => p.y - lineY(top.fit, p.x));
  if (topIdx === undefined || bottomIdx === undefined || leftIdx === undefined || rightIdx === undefined) return err(noGrid('the border dashes are not evenly spaced'));
  const columns = Math.round((lineX(right.fit, top.centres[0]!.y) - lineX(left.fit, top.centres[0]!.y)) / top.pitch) + 1;
  const rows = Math.round((lineY(bottom.fit, left.centres[0]!.x) - lineY(top.fit, left.centres[0]!.x)) / left.pitch) + 1;
  if (columns < 10 || rows < 10) return err(noGrid('the dashed border is too small for a ballot'));
  const tooFew = (idx: number[], n: number) => new Set(idx.filter((i) => i >= 0 && i < n)).size < MIN_PRESENT * n;
  if (tooFew(topIdx, columns) || tooFew(bottomIdx, columns) || tooFew(leftIdx, rows) || tooFew(rightIdx, rows)) {
    return err(noGrid('too many dashes of the border are missing'));
  }
  const T = completeColumn(top.centres, topIdx, columns);
  const B = completeColumn(bottom.centres, bottomIdx, columns);
  const L = completeColumn(left.centres, leftIdx, rows);
  const R = completeColumn(right.centres, rightIdx, rows);

  // Image point of (column, row) as scanned: across between the side lines, down between top and bottom.
  const imagePoint = (c: number, r: number): Point => {
    const lp = along(L.points, r);
    const rp = along(R.points, r);
    const tp = along(T.points, c);
    const bp = along(B.points, c);
    const s = r / (rows - 1);
    const t0 = (tp.x - T.points[0]!.x) / (T.points[columns - 1]!.x - T.points[0]!.x);
    const t1 = (bp.x - B.points[0]!.x) / (B.points[columns - 1]!.x - B.points[0]!.x);
    const t = t0 + (t1 - t0) * s;
    return { x: lp.x + (rp.x - lp.x) * t, y: lp.y + (rp.y - lp.y) * t };
  };
  const orientation = styleCorner(img, threshold, imagePoint, columns, rows);
  const pointFor =
    orientation === 'upright' ? imagePoint : (c: number, r: number) => imagePoint(columns - 1 - c, rows - 1 - r);
  const interpolated = (orientation === 'upright' ? L.interpolated.map((v, r) => v || R.interpolated[r]!) : L.interpolated.map((v, r) => v || R.interpolated[r]!).reverse());
  const found = { top: top.centres.length, bottom: bottom.centres.length, left: left.centres.length, right: right.centres.length };
  return ok({
    design: 'ess-dashed',
    columns,
    rows,
    orientation,
    threshold,
    levels,
    ...(streaks === undefined ? {} : { streaks }),
    markWidth: median(top.marks.map(blobWidth)),
    markHeight: median(top.marks.map(blobHeight)),
    columnPitch: top.pitch,
    rowPitch: left.pitch,
    found: orientation === 'upright' ? found : { top: found.bottom, bottom: found.top, left: found.right, right: found.left },
    interpolatedRows: interpolated.flatMap((v, r) => (v ? [r] : [])),
    pointFor,
    bottomCode: Array.from({ length: columns }, () => true),
    // No code row: the style is printed as text (read by the style reader, not the grid).
    codeText: '',
  });
}

interface DashedEdge {
  readonly fit: EdgeFit;
  readonly marks: readonly Blob[];
  readonly centres: readonly Point[];
  /** Distance between neighbouring dashes along the edge, in pixels. */
  readonly pitch: number;
}

const centre = (b: Blob): Point => ({ x: (b.minX + b.maxX) / 2, y: (b.minY + b.maxY) / 2 });

/** The straight, evenly spaced line of dashes along one edge; `along` is the axis it runs on. */
function edge(blobs: readonly Blob[], along: 'x' | 'y', length: number, dpi: number): DashedEdge | undefined {
  if (blobs.length < 10) return undefined;
  const u = (b: Blob) => (along === 'x' ? centre(b).x : centre(b).y);
  const v = (b: Blob) => (along === 'x' ? centre(b).y : centre(b).x);
  const fit = fitEdge(blobs, u, v, Math.max(2, 0.02 * dpi), length);
  if (fit === undefined || fit.marks.length < 10) return undefined;
  // Dashes and the gaps between them: one mark per pitch, text never this regular.
  const positions = fit.marks.map(u);
  const rough = medianGap(positions);
  if (!(rough > 0) || rough > MAX_PITCH_IN * dpi) return undefined;
  // Whole-pixel gaps bias the median; the slope of position against index over the edge does not.
  const pitch = slope(indexAlong(positions, rough, 0) ?? [], positions) ?? rough;
  const span = positions[positions.length - 1]! - positions[0]!;
  if (span < 0.6 * length || fit.marks.length < MIN_PRESENT * (span / pitch + 1)) return undefined;
  return { fit, marks: fit.marks, centres: fit.marks.map(centre), pitch };
}

/** Least-squares slope of ys against xs. */
function slope(xs: readonly number[], ys: readonly number[]): number | undefined {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return undefined;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
    sxx += xs[i]! * xs[i]!;
    sxy += xs[i]! * ys[i]!;
  }
  const den = n * sxx - sx * sx;
  return den === 0 ? undefined : (n * sxy - sx * sy) / den;
}

/** Grid index of each dash, counted from where the crossing edge's line meets this edge. */
function numbered(e: DashedEdge, offset: (p: Point) => number): number[] | undefined {
  const first = Math.round(offset(e.centres[0]!) / e.pitch);
  const along = e.centres.map((p) => offset(p));
  const idx = indexAlong(along, e.pitch, first);
  return idx === undefined || idx.some((i) => i < -1) ? undefined : idx;
}

/** A point a fractional index of the way along completed edge points. */
function along(points: readonly Point[], i: number): Point {
  const n = points.length;
  const i0 = Math.max(0, Math.min(n - 2, Math.floor(i)));
  const f = i - i0;
  const p = points[i0]!;
  const q = points[i0 + 1]!;
  return { x: p.x + (q.x - p.x) * f, y: p.y + (q.y - p.y) * f };
}

/**
 * Upright when the band just inside the top border on the right (where ES&S prints the style
 * number) holds more ink than the same band inside the bottom border on the left, its place on
 * a page fed upside down.
 */
function styleCorner(img: GrayImage, threshold: number, at: (c: number, r: number) => Point, columns: number, rows: number): Orientation {
  const inkIn = (c0: number, c1: number, r0: number, r1: number) => {
    let sum = 0;
    let n = 0;
    for (let r = r0; r <= r1; r += 0.5) {
      for (let c = c0; c <= c1; c += 0.5) {
        const p = at(c, r);
        sum += inkFraction(img, threshold, Math.round(p.x), Math.round(p.y), 2, 2);
        n++;
      }
    }
    return n === 0 ? 0 : sum / n;
  };
  const third = Math.floor(columns / 3);
  const topRight = inkIn(columns - 1 - third, columns - 2, 1, 2.5);
  const bottomLeft = inkIn(1, third, rows - 3.5, rows - 2);
  return bottomLeft > topRight ? 'rotated180' : 'upright';
}
