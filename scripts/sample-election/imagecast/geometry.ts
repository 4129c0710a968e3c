/**
 * Page geometry of the Dominion ImageCast ballot design, measured on real ImageCast Central scans
 * (`../shared/corpus/dominion-imagecast-demo`, 200 dpi): a row of timing bars along the top and the
 * bottom edge with solid corner blocks (two on top, one bottom left), small squares down both
 * sides, a cross-hair near the top right corner, and the ballot code in a row of short bars just
 * above the bottom timing row. Ovals sit on the grid the marks make: x on a bar column, y on a
 * side-square row. All lengths in inches; paper is 8.5 in wide and 11, 14 or 17 in long.
 */
import type { Side } from '../layout.ts';

export const PAPER_LENGTHS_IN = [11, 14, 17] as const;
export type PaperLength = (typeof PAPER_LENGTHS_IN)[number];

export const IMAGECAST = {
  pageWidthIn: 8.5,
  /** Top timing row: top edge and height; the bottom row is as high, ending bottomMarginIn above the paper's edge. */
  barTopIn: 0.555,
  barHeightIn: 0.35,
  bottomMarginIn: 0.19,
  barWidthIn: 0.1,
  /** Left edge of the first bar; bars repeat every pitchXIn (22 on top, 23 at the bottom). */
  firstBarXIn: 1.015,
  pitchXIn: 0.3043,
  topBars: 22,
  /** Grid columns left of the first bar and right of the last one (see ImagecastGrid). */
  extraColumnsLeft: 1,
  extraColumnsRight: 2,
  bottomBars: 23,
  cornerBlock: { leftXIn: 0.225, widthIn: 0.5, rightXIn: 7.715, rightWidthIn: 0.55 },
  /** Side squares: left and right edge x, size, first top, pitch; they stop sideEndIn above the paper's bottom edge. */
  square: { leftXIn: 0.22, rightXIn: 8.135, sizeIn: 0.13, firstTopIn: 1.095, pitchYIn: 0.2504, endIn: 1.35 },
  crossHair: { xIn: 7.62, yIn: 0.4, sizeIn: 0.22, backXIn: 7.93, backFromBottomIn: 0.78 },
  oval: { widthIn: 0.16, heightIn: 0.11, strokeIn: 0.014 },
  /** Code row: short bars (a 1 bit) on bottom-bar columns 0..codeBits-1, tall start/end bars; top edge codeTopIn above the paper's bottom edge. */
  code: { topFromBottomIn: 1.0, shortHeightIn: 0.18, tallHeightIn: 0.35, startXIn: 0.63, bits: 13 },
} as const;

/**
 * Grid of target positions: row r on the r-th side square; columns on the bar pitch, column 0 one
 * pitch left of the first top bar (a margin column), then one per bar, then two more on the right
 * (ovals of a full-width contest sit one column past the last bar, beside the corner block, as on
 * real ImageCast ballots). The pre-audit's reader numbers the grid the same way.
 */
export interface ImagecastGrid {
  readonly design: 'imagecast';
  readonly columns: number;
  readonly rows: number;
  readonly pageWidthIn: number;
  readonly pageHeightIn: number;
  /** Centre of column 0 / row 0 (inches); x = originXIn + column * pitchXIn, likewise y. */
  readonly originXIn: number;
  readonly originYIn: number;
  readonly pitchXIn: number;
  readonly pitchYIn: number;
  readonly oval: typeof IMAGECAST.oval;
  readonly code: { readonly firstColumn: number; readonly bits: number; readonly rowTopIn: number };
}

export function imagecastGrid(paperLengthIn: PaperLength): ImagecastGrid {
  const sq = IMAGECAST.square;
  const rows = Math.floor((paperLengthIn - sq.endIn - sq.firstTopIn) / sq.pitchYIn) + 1;
  return {
    design: 'imagecast',
    columns: IMAGECAST.extraColumnsLeft + IMAGECAST.topBars + IMAGECAST.extraColumnsRight,
    rows,
    pageWidthIn: IMAGECAST.pageWidthIn,
    pageHeightIn: paperLengthIn,
    originXIn: IMAGECAST.firstBarXIn + IMAGECAST.barWidthIn / 2 - IMAGECAST.extraColumnsLeft * IMAGECAST.pitchXIn,
    originYIn: sq.firstTopIn + sq.sizeIn / 2,
    pitchXIn: IMAGECAST.pitchXIn,
    pitchYIn: sq.pitchYIn,
    oval: IMAGECAST.oval,
    code: { firstColumn: IMAGECAST.extraColumnsLeft, bits: IMAGECAST.code.bits, rowTopIn: paperLengthIn - IMAGECAST.code.topFromBottomIn },
  };
}

export const gridX = (g: ImagecastGrid, column: number): number => g.originXIn + column * g.pitchXIn;
export const gridY = (g: ImagecastGrid, row: number): number => g.originYIn + row * g.pitchYIn;

/**
 * Ballot code bits, left to right: [0..7] style number (ballot type, 1..255), [8..10] card
 * number (1..7), [11] side (1 = back), [12] parity (the count of ones in the whole code is odd).
 */
export function encodeImagecastCode(styleNumber: number, card: number, side: Side): number[] {
  if (styleNumber < 1 || styleNumber > 255 || card < 1 || card > 7) throw new Error('ballot code out of range');
  const bits: number[] = [];
  for (let i = 7; i >= 0; i--) bits.push((styleNumber >> i) & 1);
  for (let i = 2; i >= 0; i--) bits.push((card >> i) & 1);
  bits.push(side === 'back' ? 1 : 0);
  bits.push(bits.reduce((s, b) => s + b, 0) % 2 === 0 ? 1 : 0);
  return bits;
}

export function decodeImagecastCode(bits: readonly number[]): { styleNumber: number; card: number; side: Side } | null {
  if (bits.length !== IMAGECAST.code.bits || bits.some((b) => b !== 0 && b !== 1)) return null;
  if (bits.reduce((s, b) => s + b, 0) % 2 !== 1) return null;
  const num = (from: number, to: number): number => bits.slice(from, to).reduce((v, b) => v * 2 + b, 0);
  const styleNumber = num(0, 8);
  const card = num(8, 11);
  if (styleNumber === 0 || card === 0) return null;
  return { styleNumber, card, side: bits[11] === 1 ? 'back' : 'front' };
}

/** Dominion's card id (the AuditMark page's "Ballot ID", the CVR's Cards[].Id): as the sample CVR export numbers cards. */
export function imagecastCardId(styleNumber: number, card: number): number {
  return 1000 * card + styleNumber;
}
