import {
  type Blob,
  blobHeight,
  blobWidth,
  findBlobs,
  measureLevels,
  otsuThreshold,
  pageHistogram,
  refineBlob,
  streakColumns,
  streakRows,
} from './components.ts';
import { completeColumn, type EdgeFit, fitEdge, indexAlong } from './edgeFit.ts';
import { inkFraction, median, medianGap, percentile, pointBetweenSideMarks } from './gridMath.ts';
import type { GrayImage } from './image.ts';
import { noGrid, type Orientation, type Point, type TimingMarkGrid } from './timingMarks.ts';
import { err, ok, type Result } from '../core/result.ts';

/** Nominal AccuVote-family geometry in inches: marks 3/16" × 1/16" on a 1/4" pitch. */
const MARK_WIDTH_IN = 0.19;
const MARK_HEIGHT_IN = 0.065;
const PAPER_WIDTH_IN = 8.5;
/** Marks live in the outer part of each edge; uneven crop and template margins need some slack. */
const BAND_FRACTION = 0.1;

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

function firstIndex(p: Point, topCentreY: (x: number) => number | undefined, pitch: number): number {
  const y0 = topCentreY(p.x);
  if (y0 === undefined) return 0;
  return Math.max(0, Math.round((p.y - y0) / pitch));
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
