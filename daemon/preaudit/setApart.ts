/**
 * Sheets the pre-audit counts and links but does not read from marks, and says so (never silent,
 * never an "unreadable image" alarm): ExpressVote (BMD) cards, which carry a printed summary and a
 * barcode instead of ovals, and ES&S export sheets whose dashed border of timing marks is not
 * found (every sheet of an ES&S export is read with the ES&S design, or not at all).
 * Pure: decoded pages in, a reason out.
 */
import { operatorError, type OperatorError } from '../core/result.ts';
import type { DecodedPage } from './image.ts';

export const BMD_CARD_CODE = 'preaudit-bmd-card';
export const DESIGN_NOT_READ_CODE = 'preaudit-design-not-read';
export const ESS_STYLES_NOT_LEARNED_CODE = 'preaudit-ess-styles-not-learned';
/** Codes of sheets set apart on purpose: counted in the summary, not alerted as unreadable images. */
export const SET_APART_CODES: readonly string[] = [BMD_CARD_CODE, DESIGN_NOT_READ_CODE, ESS_STYLES_NOT_LEARNED_CODE];

/**
 * The widest an ExpressVote card is, in inches. The card is a narrow strip (about 4¼ in wide);
 * every hand-marked ES&S ballot is 8½ in wide.
 */
const MAX_BMD_CARD_WIDTH_IN = 6;

/** Width of a page in inches when the container states it (a PDF's page size), else undefined. */
function pageWidthIn(page: DecodedPage): number | undefined {
  return page.container === 'pdf' && page.density !== undefined && page.density > 0 ? page.width / page.density : undefined;
}

/** A BMD card (ExpressVote): its pages are far narrower than any hand-marked ballot. */
export function bmdCardReason(pages: readonly DecodedPage[]): OperatorError | undefined {
  if (pages.length === 0) return undefined;
  const narrow = pages.every((p) => {
    const w = pageWidthIn(p);
    return w !== undefined && w < MAX_BMD_CARD_WIDTH_IN;
  });
  if (!narrow) return undefined;
  return operatorError(
    BMD_CARD_CODE,
    'BMD card: not read from marks. This is a ballot-marking device card (a printed summary and a barcode, no ovals); it is counted and linked to its CVR, not read.',
    'Nothing to do: ballot-marking device cards are checked by hand audits of the printed summary.',
  );
}

/** An ES&S export sheet: PDF or PBM pages (Electionware exports only ES&S ballots). */
export function isEssExport(pages: readonly DecodedPage[]): boolean {
  return pages.length > 0 && pages.every((p) => p.container === 'pdf' || p.container === 'pbm');
}

/**
 * An ES&S export sheet on which the ES&S design's dashed border was not found on every page: set
 * aside, never read with another design's grid (an AccuVote reader would take the dashes for its marks).
 */
export function designNotReadReason(): OperatorError {
  return operatorError(
    DESIGN_NOT_READ_CODE,
    'Set aside: the dashed border of timing marks of this ES&S ballot was not found, so it was not read. The sheet is counted and linked to its CVR, not compared.',
    'Look at the image: the page may be folded, torn, badly scanned or not a ballot. Review this sheet by hand.',
  );
}

/**
 * An ES&S export sheet when no ES&S style is known: the reader can read the design, but no ES&S
 * style could be learned from the images (essLearn.ts: none of the export's sheets gave one), so
 * the sheet is counted and linked, not read, and said so.
 */
export function essStylesNotLearnedReason(): OperatorError {
  return operatorError(
    ESS_STYLES_NOT_LEARNED_CODE,
    'Set aside: no ES&S ballot style has been learned from the images yet, so this sheet was not read. It is counted and linked to its CVR, not compared.',
    'Nothing to do now; these sheets are listed so that none is missed. Compare them with a hand count if needed.',
  );
}

/** The status line's words for the sheets set apart, e.g. "12 BMD cards: not read from marks." */
export function setApartSummary(counts: ReadonlyMap<string, number>): string {
  const parts: string[] = [];
  const bmd = counts.get(BMD_CARD_CODE) ?? 0;
  const design = counts.get(DESIGN_NOT_READ_CODE) ?? 0;
  if (bmd > 0) parts.push(`${bmd.toLocaleString('en-US')} BMD ${bmd === 1 ? 'card' : 'cards'}: not read from marks (counted apart).`);
  const notLearned = counts.get(ESS_STYLES_NOT_LEARNED_CODE) ?? 0;
  if (notLearned > 0) parts.push(`${notLearned.toLocaleString('en-US')} ES&S ${notLearned === 1 ? 'sheet' : 'sheets'} set aside: ES&S ballot styles are not learned yet.`);
  if (design > 0) parts.push(`${design.toLocaleString('en-US')} ES&S ${design === 1 ? 'sheet' : 'sheets'} set aside: border of timing marks not found.`);
  return parts.join(' ');
}
