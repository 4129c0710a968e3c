/**
 * Registration of the Dominion ImageCast design: tall bars along the top and bottom edges, squares
 * down both sides, a solid block in each corner, and the ballot-type code as a row of full and half
 * bars just inside the bottom bars. Rows are the side squares (row 0 the first square below the
 * top bars); columns are the bar positions, with one more on the left and two on the right: ovals
 * sit on these grid points, the rightmost one column past the last bar (beside the corner block). Tolerates skew, stretch, cropped side squares, missing or smudged
 * marks, and upside-down scans (the code row then lies along the top of the image).
 */
import { type Blob, blobHeight, blobWidth, measureLevels, otsuThreshold, pageHistogram, streakColumns } from './components.ts';
import { findBlobsCoarseToFine } from './coarseBlobs.ts';
import type { GrayImage } from './image.ts';
import { err, ok, type Result } from '../core/result.ts';
import { completeColumn, type EdgeFit, fitEdge, indexAlong } from './edgeFit.ts';
import { median, medianGap, pointBetweenSideMarks } from './gridMath.ts';
import { noGrid, type Orientation, type Point, type TimingMarkGrid } from './timingMarks.ts';

/** Nominal sizes in inches (measured on ImageCast ballots; every paper length shares them). */
const PAPER_WIDTH_IN = 8.5;
const SQUARE_IN = 0.13;
const BAR_WIDTH_IN = 0.1;
const BAR_HEIGHT_IN = 0.35;
/** Side squares lie within this of the left and right image edges; bars within this of the ends. */
const SIDE_BAND_IN = 0.75;
const END_BAND_IN = 1.4;
/**
 * The corner block's inner edge to the first bar centre, and the last bar centre to the right
 * block, in bar pitches: anchors column 0 and the column count when a bar at either end is smudged.
 */
const LEFT_BLOCK_TO_FIRST_BAR = 1.13;
const LAST_BAR_TO_RIGHT_BLOCK = 0.85;
/** Grid columns beyond the bars: targets beside the corner blocks, and a margin column each side. */
const EXTRA_COLUMNS_LEFT = 1;
const EXTRA_COLUMNS_RIGHT = 2;
/** The first row of squares lies one pitch below the bars' inner edge; the last three above the bottom bars. */
const FIRST_ROW_BELOW_BARS = 1;
const LAST_ROW_ABOVE_BARS = 3;
/**
 * The marks are first looked for on every step-th pixel of this size (4 at 200 dpi; the smallest
 * mark, a half code bar, is 20 × 35 px there), then measured at full resolution where one may be.
 */
const COARSE_STEP_IN = 0.02;

export interface BarGridOptions {
  /** Sampling step of the first search in pixels; 1 searches every pixel (the reference). Default from COARSE_STEP_IN. */
  readonly coarseStep?: number;
}

/** Finds the four-edge marks of a bars-and-squares page and builds its grid (ballot frame). */
export function findBarAndSquareGrid(img: GrayImage, options: BarGridOptions = {}): Result<TimingMarkGrid> {
  const { width: W, height: H } = img;
  const hist = pageHistogram(img);
  const threshold = otsuThreshold(img, hist);
  const levels = measureLevels(img, hist);
  const dpi = W / PAPER_WIDTH_IN;
  const sq = SQUARE_IN * dpi;
  const bw = BAR_WIDTH_IN * dpi;
  const bh = BAR_HEIGHT_IN * dpi;
  const sideBand = Math.ceil(SIDE_BAND_IN * dpi);
  const endBand = Math.ceil(END_BAND_IN * dpi);
  if (H < 4 * endBand) return err(noGrid('the page is too short for a ballot'));
  const streaks = streakColumns(img, threshold, 0, W);

  const solid = (b: Blob, share: number) => b.area >= share * blobWidth(b) * blobHeight(b);
  // Side squares may be cut by the image border: their inner edge is kept, so width may be short.
  const isSquare = (b: Blob) => {
    const w = blobWidth(b);
    const h = blobHeight(b);
    return h >= sq * 0.6 && h <= sq * 1.5 && w >= sq * 0.3 && w <= sq * 1.5 && solid(b, 0.6);
  };
  const isBar = (b: Blob) => {
    const w = blobWidth(b);
    const h = blobHeight(b);
    return w >= bw * 0.55 && w <= bw * 1.7 && h >= bh * 0.75 && h <= bh * 1.3 && solid(b, 0.7);
  };
  // A code mark is a full bar or its upper or lower half; squares and letters are not this tall for their width.
  const isCodeBar = (b: Blob) => {
    const w = blobWidth(b);
    const h = blobHeight(b);
    return w >= bw * 0.55 && w <= bw * 1.7 && h >= bh * 0.4 && h <= bh * 1.3 && h >= 1.5 * w && solid(b, 0.7);
  };
  const isBlock = (b: Blob) => blobWidth(b) >= bw * 3 && blobWidth(b) <= bw * 8 && blobHeight(b) >= bh * 0.75 && blobHeight(b) <= bh * 1.3 && solid(b, 0.85);

  // Only coarse blobs that could hold the smallest mark of their band are measured (a coarse box
  // may be up to a step short on each side of its blob's).
  const step = Math.max(1, Math.round(options.coarseStep ?? COARSE_STEP_IN * dpi));
  const atLeast = (w: number, h: number) => (b: Blob) => blobWidth(b) + 2 * step >= w && blobHeight(b) + 2 * step >= h;
  const maySquare = atLeast(sq * 0.3, sq * 0.6);
  const mayBar = atLeast(bw * 0.55, bh * 0.4);
  const largestSquare = { width: sq * 1.5, height: sq * 1.5 };
  const largestBar = { width: bw * 8, height: bh * 1.3 }; // the corner block
  const leftRaw = findBlobsCoarseToFine(img, threshold, { x0: 0, y0: 0, x1: sideBand, y1: H }, step, maySquare, largestSquare, streaks).filter(isSquare);
  const rightRaw = findBlobsCoarseToFine(img, threshold, { x0: W - sideBand, y0: 0, x1: W, y1: H }, step, maySquare, largestSquare, streaks).filter(isSquare);
  const topRaw = findBlobsCoarseToFine(img, threshold, { x0: 0, y0: 0, x1: W, y1: endBand }, step, mayBar, largestBar);
  const bottomRaw = findBlobsCoarseToFine(img, threshold, { x0: 0, y0: H - endBand, x1: W, y1: H }, step, mayBar, largestBar);

  // The code row lies inside the bottom bars: an upside-down scan shows it inside the top ones.
  const tol = Math.max(2, bh * 0.12);
  const rawTop = fitEdge(topRaw.filter(isBar), centreX, (b) => b.maxY, tol, W);
  const rawBottom = fitEdge(bottomRaw.filter(isBar), centreX, (b) => b.minY, tol, W);
  if (rawTop === undefined || rawBottom === undefined || rawTop.marks.length < 5 || rawBottom.marks.length < 5) {
    return err(noGrid('the rows of bars along the top and bottom edges were not found'));
  }
  const codeInsideTop = topRaw.filter((b) => isCodeBar(b) && b.minY > lineAt(rawTop, centreX(b)) && b.minY < lineAt(rawTop, centreX(b)) + bh * 1.6).length;
  const codeInsideBottom = bottomRaw.filter((b) => isCodeBar(b) && b.maxY < lineAt(rawBottom, centreX(b)) && b.maxY > lineAt(rawBottom, centreX(b)) - bh * 1.6).length;
  const orientation: Orientation = codeInsideTop > codeInsideBottom ? 'rotated180' : 'upright';

  // Work in the ballot frame: flip blob coordinates instead of pixels.
  const flip = (b: Blob): Blob =>
    orientation === 'upright' ? b : { minX: W - 1 - b.maxX, maxX: W - 1 - b.minX, minY: H - 1 - b.maxY, maxY: H - 1 - b.minY, area: b.area };
  const leftSquares = (orientation === 'upright' ? leftRaw : rightRaw).map(flip);
  const rightSquares = (orientation === 'upright' ? rightRaw : leftRaw).map(flip);
  const topBlobs = (orientation === 'upright' ? topRaw : bottomRaw).map(flip);
  const bottomBlobs = (orientation === 'upright' ? bottomRaw : topRaw).map(flip);
  // Upright, the ballot frame is the image's: the lines already fitted are these.
  const top = orientation === 'upright' ? rawTop : fitEdge(topBlobs.filter(isBar), centreX, (b) => b.maxY, tol, W);
  const bottom = orientation === 'upright' ? rawBottom : fitEdge(bottomBlobs.filter(isBar), centreX, (b) => b.minY, tol, W);
  if (top === undefined || bottom === undefined) return err(noGrid('the rows of bars along the top and bottom edges were not found'));

  const sideTol = Math.max(2, sq * 0.3);
  const fitLeft = fitEdge(leftSquares, centreY, (b) => b.maxX, sideTol, H);
  const fitRight = fitEdge(rightSquares, centreY, (b) => b.minX, sideTol, H);
  if (fitLeft === undefined || fitRight === undefined || fitLeft.marks.length < 5 || fitRight.marks.length < 5) {
    return err(noGrid('the left or right column of squares was not found'));
  }
  const markHeight = median([...fitLeft.marks, ...fitRight.marks].map(blobHeight));
  const markWidth = markHeight; // squares; a cropped one keeps its inner edge, measured from there
  const leftCentres = fitLeft.marks.map((b) => ({ x: b.maxX + 0.5 - markWidth / 2, y: centreY(b) }));
  const rightCentres = fitRight.marks.map((b) => ({ x: b.minX - 0.5 + markWidth / 2, y: centreY(b) }));
  const rowPitch = median([medianGap(leftCentres.map((p) => p.y)), medianGap(rightCentres.map((p) => p.y))]);
  if (!(rowPitch > markHeight)) return err(noGrid('the squares down the sides are not evenly spaced'));

  // Row 0 lies a pitch below the top bars, whichever squares are missing.
  const firstIndex = (p: Point) => Math.max(0, Math.round((p.y - (lineAt(top, p.x) + FIRST_ROW_BELOW_BARS * rowPitch)) / rowPitch));
  const indexL = indexAlong(leftCentres.map((p) => p.y), rowPitch, firstIndex(leftCentres[0]!));
  const indexR = indexAlong(rightCentres.map((p) => p.y), rowPitch, firstIndex(rightCentres[0]!));
  if (indexL === undefined || indexR === undefined) return err(noGrid('the squares down the sides are not evenly spaced'));
  // Rows end three pitches above the bottom bars: squares missing at the end still count.
  const lastRowByBars = (p: Point) => Math.round((lineAt(bottom, p.x) - LAST_ROW_ABOVE_BARS * rowPitch - p.y) / rowPitch);
  const rows = Math.max(
    indexL[indexL.length - 1]! + 1,
    indexR[indexR.length - 1]! + 1,
    indexL[0]! + lastRowByBars(leftCentres[0]!) + 1,
    indexR[0]! + lastRowByBars(rightCentres[0]!) + 1,
  );
  if (rows < 3 || rows > 400) return err(noGrid('too few squares down the sides'));
  const left = completeColumn(leftCentres, indexL, rows);
  const right = completeColumn(rightCentres, indexR, rows);
  const interpolatedRows: number[] = [];
  for (let r = 0; r < rows; r++) if (left.interpolated[r] || right.interpolated[r]) interpolatedRows.push(r);

  // Columns: the bar positions, anchored on the corner blocks where they are seen.
  const topColumns = barColumns(top, topBlobs.filter(isBlock));
  const { column0, columnPitch, columns } = topColumns;
  if (columns < 3 + EXTRA_COLUMNS_LEFT + EXTRA_COLUMNS_RIGHT) return err(noGrid('too few bars along the top edge'));

  // A column's place between the side squares, measured where its bar is: the lines of side
  // squares are followed up to the bars (on a skewed page they lean, and row 0 lies a bar and a
  // pitch lower, a few pixels to the side at 2°).
  const L = left.points;
  const R = right.points;
  const barHalf = (median(top.marks.map(blobHeight)) - 1) / 2;
  const leftX = (y: number) => lineAt(fitLeft, y) + 0.5 - markWidth / 2;
  const rightX = (y: number) => lineAt(fitRight, y) - 0.5 + markWidth / 2;
  const tOf = (column: number) => {
    const x = column0 + column * columnPitch;
    const y = lineAt(top, x) - barHalf;
    return (x - leftX(y)) / (rightX(y) - leftX(y));
  };
  const pointInBallotFrame = (column: number, row: number): Point => pointBetweenSideMarks(L, R, rows, row, tOf(column));
  const pointFor =
    orientation === 'upright'
      ? pointInBallotFrame
      : (column: number, row: number): Point => {
          const p = pointInBallotFrame(column, row);
          return { x: W - 1 - p.x, y: H - 1 - p.y };
        };

  // The code row is placed by the bottom bars (same columns): on a skewed page they are shifted from the top ones.
  const bottomColumns = barColumns(bottom, bottomBlobs.filter(isBlock));
  const code = readCodeRow(bottomBlobs.filter(isCodeBar), bottom, bh, bottomColumns.column0, bottomColumns.columnPitch, columns);
  return ok({
    design: 'bars-and-squares',
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
    found: { top: top.marks.length, bottom: code.bars, left: fitLeft.marks.length, right: fitRight.marks.length },
    interpolatedRows,
    pointFor,
    bottomCode: code.present,
    codeText: code.text,
  });
}

/** Where column 0 lies along a row of bars, the bar pitch, and how many columns the row holds. */
function barColumns(bars: EdgeFit, blocks: readonly Blob[]): { column0: number; columnPitch: number; columns: number } {
  const barXs = bars.marks.map(centreX);
  // The gaps give each bar its slot; the pitch itself comes from bars far apart (a gap is measured
  // to the half pixel, and a quarter pixel off per column is 5 px across a ballot).
  const gapPitch = medianGap(barXs);
  const leftBlock = blocks.filter((b) => b.maxX < barXs[0]!).sort((a, b) => b.maxX - a.maxX)[0];
  const rightBlock = blocks.filter((b) => b.minX > barXs[barXs.length - 1]!).sort((a, b) => a.minX - b.minX)[0];
  const column0Guess = leftBlock !== undefined ? leftBlock.maxX + LEFT_BLOCK_TO_FIRST_BAR * gapPitch : barXs[0]!;
  const slots = barXs.map((x) => Math.round((x - column0Guess) / gapPitch));
  const columnPitch = pitchAcross(barXs, slots) ?? gapPitch;
  // Refine column 0 from every bar: the median offset of each bar from its slot.
  const firstBar = median(barXs.map((x, i) => x - slots[i]! * columnPitch));
  const lastBar = rightBlock !== undefined ? rightBlock.minX - LAST_BAR_TO_RIGHT_BLOCK * columnPitch : barXs[barXs.length - 1]!;
  const barCount = Math.round((lastBar - firstBar) / columnPitch) + 1;
  return { column0: firstBar - EXTRA_COLUMNS_LEFT * columnPitch, columnPitch, columns: barCount + EXTRA_COLUMNS_LEFT + EXTRA_COLUMNS_RIGHT };
}

/**
 * Pitch of marks at known slots: the median of the pitches between pairs at least half the row
 * apart (robust to a smudged mark; undefined with fewer than two slots).
 */
function pitchAcross(positions: readonly number[], slots: readonly number[]): number | undefined {
  const span = Math.max(...slots) - Math.min(...slots);
  if (!(span >= 1)) return undefined;
  const apart = Math.max(1, Math.floor(span / 2));
  const pitches: number[] = [];
  for (let i = 0; i < positions.length; i++) {
    for (let j = i + 1; j < positions.length; j++) {
      const k = slots[j]! - slots[i]!;
      if (Math.abs(k) >= apart) pitches.push((positions[j]! - positions[i]!) / k);
    }
  }
  return pitches.length === 0 ? undefined : median(pitches);
}

/**
 * The ballot-type code inside the bottom bars, one digit per column: 0 none, 1 upper half bar,
 * 2 lower half bar, 3 full bar. The mark under the left corner block (a start mark) is left out.
 */
function readCodeRow(
  bars: readonly Blob[],
  bottom: EdgeFit,
  bh: number,
  column0: number,
  pitch: number,
  columns: number,
): { present: boolean[]; text: string; bars: number } {
  const digits = new Array<number>(columns).fill(0);
  let count = 0;
  for (const b of bars) {
    const inner = lineAt(bottom, centreX(b));
    if (!(b.maxY < inner && b.maxY > inner - bh * 1.6)) continue;
    const column = Math.round((centreX(b) - column0) / pitch);
    if (column < 0 || column >= columns) continue;
    count++;
    const rowTop = inner - bh * 1.25; // the code row's top edge: one bar and a small gap above the bottom bars
    const full = blobHeight(b) >= bh * 0.75;
    const upper = centreY(b) < rowTop + bh * 0.5;
    digits[column] = full ? 3 : upper ? 1 : 2;
  }
  return { present: digits.map((d) => d !== 0), text: digits.join(''), bars: count };
}

function lineAt(fit: EdgeFit, u: number): number {
  return fit.a * u + fit.b;
}

function centreX(b: Blob): number {
  return (b.minX + b.maxX) / 2;
}

function centreY(b: Blob): number {
  return (b.minY + b.maxY) / 2;
}
