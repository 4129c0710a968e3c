/**
 * What a timing-mark grid is: the model every registration design fills in (accuVoteGrid.ts,
 * barGrid.ts; findGrid.ts chooses between them) and every reader of marks uses.
 */
import type { Levels } from './components.ts';
import { operatorError } from '../core/result.ts';

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

/** 'ess-dashed': ES&S's dashed border (essGrid.ts). */
export type GridDesign = 'accuvote' | 'bars-and-squares' | 'ess-dashed';

export function noGrid(why: string) {
  return operatorError(
    'preaudit-no-timing-marks',
    `The timing marks of this ballot image could not be read: ${why}.`,
    'Look at the image: it may be a non-ballot page, badly cropped, folded or torn. Rescan it or review it by hand.',
  );
}
