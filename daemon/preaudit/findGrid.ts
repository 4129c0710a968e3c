import { findBarAndSquareGrid } from './barGrid.ts';
import type { GrayImage } from './image.ts';
import type { Result } from '../core/result.ts';
import { findAccuVoteGrid } from './accuVoteGrid.ts';
import { findEssDashedGrid } from './essGrid.ts';
import type { GridDesign, TimingMarkGrid } from './timingMarks.ts';

// Apart from accuVoteGrid.ts: the chooser needs both designs (barGrid.ts shares only edgeFit.ts with it).

/**
 * Finds the registration grid of any design (ES&S dashed border, AccuVote timing marks, ImageCast bars and squares). Tolerates skew, stretch,
 * uneven crop (marks cut by the image border) and missing or smudged marks.
 */
export function findTimingMarkGrid(img: GrayImage): Result<TimingMarkGrid> {
  // ES&S's dashes pass for AccuVote marks at half pitch, so the dashed border is looked for first;
  // a page without one is turned away after one scan of its top band.
  const dashed = findEssDashedGrid(img);
  if (dashed.ok) return dashed;
  // The design that read the last page is tried first: a reader reads sheet after sheet of one election.
  if (lastDesign === 'bars-and-squares') {
    const bars = findBarAndSquareGrid(img);
    if (bars.ok) return bars;
  }
  const accuVote = findAccuVoteGrid(img);
  if (accuVote.ok) {
    lastDesign = 'accuvote';
    return accuVote;
  }
  if (lastDesign === 'bars-and-squares') return accuVote;
  const bars = findBarAndSquareGrid(img);
  if (!bars.ok) return accuVote;
  lastDesign = 'bars-and-squares';
  return bars;
}

let lastDesign: GridDesign = 'accuvote';

