import { err, ok, operatorError, type Result } from '../core/result.ts';
import { decodeBallotImage, type GrayImage, type ImageIntakeOptions, SIDE_HEIGHT_SHARE } from './image.ts';
import type { Side, StyleLayout, TargetPosition } from './layout.ts';
import {
  adaptiveThreshold,
  classifySheetTargets,
  type ContestReading,
  DEFAULT_THRESHOLDS,
  type MarkClass,
  type MarkThresholds,
  readContests,
  type SheetThreshold,
} from './marks.ts';
import { measureLevels, type ScoredTarget, scoreTargets } from './targets.ts';
import { inkSignature } from './inkSignature.ts';
import { type PageCode, readPageCode } from './styles.ts';
import { findTimingMarkGrid } from './findGrid.ts';
import type { Orientation, TimingMarkGrid } from './timingMarks.ts';
import { counted } from '../core/words.ts';
import { DROPOUT_MARKED } from './dropoutOvals.ts';
import { refineDropoutMarks } from './dropoutMarks.ts';
import { clearHesitationDots } from './hesitationDots.ts';
import { chooseEssLayout } from './essStyle.ts';
import { designNotReadReason, essStylesNotLearnedReason } from './setApart.ts';

export interface ReadTarget extends TargetPosition {
  readonly score: ScoredTarget;
  readonly mark: MarkClass;
  /** A target with a mark: its ink (inkSignature.ts), for phase 1's same-paper check. */
  readonly ink?: string;
}

export interface PageReading {
  /** Index of the image among those given for the sheet. */
  readonly image: number;
  readonly side: Side;
  readonly orientation: Orientation;
  readonly columns: number;
  readonly rows: number;
  /** The codes printed along the bottom of the page. */
  readonly code: PageCode;
  readonly interpolatedRows: readonly number[];
  readonly targets: readonly ReadTarget[];
}

/**
 * How a sheet's style was known: its printed code; the only style learned (the code unreadable and
 * nothing else to go by); or its CVR's ballot type, learned from the sheets whose code was read.
 */
export type StyleSource = 'printed-code' | 'printed-ovals' | 'only-style' | 'cvr-ballot-type';

export interface SheetReading {
  readonly styleId: string;
  /** Undefined when the caller named the layout (interpretSheet). */
  readonly styleFrom?: StyleSource;
  /** Image pages that had no timing marks (vendor annotation pages), by index. */
  readonly skippedImages: readonly number[];
  readonly pages: readonly PageReading[];
  readonly threshold: SheetThreshold;
  readonly contests: readonly ContestReading[];
  /** Targets of the layout not found on the images (should be 0; otherwise review by hand). */
  readonly targetsNotFound: number;
}

/** The code printed in the bottom row of marks: one bit per column, corners left out. */
export function bottomRowCode(grid: TimingMarkGrid): string {
  return grid.bottomCode
    .slice(1, -1)
    .map((b) => (b ? '1' : '0'))
    .join('');
}

export interface RegisteredPage {
  readonly image: GrayImage;
  readonly grid: TimingMarkGrid;
  readonly code: PageCode;
}

/** Registration of every page that has timing marks; pages without (vendor annotation pages) are dropped. */
export function registerPages(images: readonly GrayImage[]): Result<{ pages: RegisteredPage[]; index: number[] }> {
  const pages: RegisteredPage[] = [];
  const index: number[] = [];
  let firstError: Result<never> | undefined;
  const tallest = Math.max(...images.map((image) => image.height));
  images.forEach((image, i) => {
    // A ballot's sides are scanned to one size; a page much shorter is the vendor's annotation
    // page (Dominion's AuditMark text): no timing marks to look for.
    if (images.length > 1 && image.height < SIDE_HEIGHT_SHARE * tallest) return;
    const grid = findTimingMarkGrid(image);
    if (!grid.ok) {
      firstError ??= grid;
      return;
    }
    pages.push({ image, grid: grid.value, code: readPageCode(image, grid.value) });
    index.push(i);
  });
  if (pages.length === 0) return firstError ?? err(operatorError('preaudit-no-pages', 'The sheet has no pages.'));
  return ok({ pages, index });
}

/** Which side each registered page is: by the learned side codes when known, else in order. */
function assignSides(pages: readonly RegisteredPage[], layout: StyleLayout): Result<Side[]> {
  const oneEach = (sides: Side[]) =>
    sides.filter((s) => s === 'front').length <= 1 && sides.filter((s) => s === 'back').length <= 1;
  const decoded = pages.map((p) => p.code.decoded);
  if (decoded.every((d) => d !== undefined)) {
    const printed = layout.printedCode;
    const wrong = decoded.find((d) => printed !== undefined && (d.styleNumber !== printed.styleNumber || d.card !== printed.card));
    if (wrong !== undefined) {
      return err(
        operatorError(
          'preaudit-style-mismatch',
          `The sheet is printed as style ${wrong.styleNumber} card ${wrong.card}, not as the layout ${layout.styleId} it was read with.`,
          'Check the style assignment of this batch; the sheet was not read.',
        ),
      );
    }
    const sides = decoded.map((d) => d.side);
    if (oneEach(sides)) return ok(sides);
  }
  const codes = layout.sideCodes;
  if (codes?.front !== undefined && codes.back !== undefined) {
    const sides = pages.map(
      (p) => (hamming(p.code.bottomRow, codes.front!) <= hamming(p.code.bottomRow, codes.back!) ? 'front' : 'back') as Side,
    );
    if (oneEach(sides)) return ok(sides);
  }
  const needed = new Set(layout.targets.map((t) => t.side));
  if (pages.length < needed.size) {
    return err(
      operatorError(
        'preaudit-side-missing',
        `Only ${counted(pages.length, 'page')} with timing marks ${pages.length === 1 ? 'was' : 'were'} found; this style has targets on ${counted(needed.size, 'side')}.`,
        'Check that both sides of the sheet were scanned and exported.',
      ),
    );
  }
  return ok(pages.map((_, i) => (i === 0 ? 'front' : 'back')));
}

function hamming(a: string, b: string): number {
  let d = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) d++;
  return d;
}

/**
 * Reads one sheet (its page images, any order if the style's side codes are known) against a style
 * layout: registration, target scores, per-sheet adaptive threshold, contest rules.
 */
export function interpretSheet(
  images: readonly GrayImage[],
  layout: StyleLayout,
  thresholds: MarkThresholds = DEFAULT_THRESHOLDS,
): Result<SheetReading> {
  const registered = registerPages(images);
  if (!registered.ok) return registered;
  return interpretRegistered(registered.value.pages, registered.value.index, images.length, layout, thresholds);
}

function interpretRegistered(
  pages: readonly RegisteredPage[],
  index: readonly number[],
  imageCount: number,
  layout: StyleLayout,
  thresholds: MarkThresholds,
  known: { readonly sides?: readonly Side[]; readonly styleFrom?: StyleSource } = {},
): Result<SheetReading> {
  const sides = known.sides !== undefined ? ok([...known.sides]) : assignSides(pages, layout);
  if (!sides.ok) return sides;
  // A side whose page could not be registered must not be read as a blank side.
  const missing = [...new Set(layout.targets.map((t) => t.side))].filter((side) => !sides.value.includes(side));
  if (missing.length > 0) {
    return err(
      operatorError(
        'preaudit-side-missing',
        `The ${missing.join(' and ')} of this sheet could not be registered (timing marks not found), so it was not read.`,
        'Look at the image for a fold, tear or scanner streak; rescan the sheet or review it by hand.',
      ),
    );
  }

  // Dropout-ink ovals are small: one stroke through one is doubtful, not a vote.
  if (pages.some((p) => p.grid.design === 'bars-and-squares')) thresholds = { ...thresholds, marked: Math.max(thresholds.marked, DROPOUT_MARKED) };
  const scored: { page: number; target: TargetPosition; score: ScoredTarget }[] = [];
  pages.forEach((page, i) => {
    const side = sides.value[i]!;
    const targets = layout.targets.filter((t) => t.side === side);
    const scores = scoreTargets(page.image, page.grid, targets, layout.targetShape);
    scores.forEach((score, k) => scored.push({ page: i, target: targets[k]!, score }));
  });

  // One threshold per sheet (both sides were marked by the same voter with the same pen), held to the style's blank level.
  const threshold = adaptiveThreshold(
    scored.map((s) => s.score),
    thresholds,
    layout.blankReference,
  );
  const classes = classifySheetTargets(
    scored.map((s) => ({ features: s.score, side: s.target.side, column: Math.round(s.target.column) })),
    threshold,
    thresholds,
  );
  const read = scored.map((s, i) => ({ ...s, mark: classes[i]! }));
  // A doubtful target whose only ink is a small dot inside the oval is a hesitation dot.
  const dots = new Set<number>();
  pages.forEach((page, i) => {
    const at = read.flatMap((r, k) => (r.page === i && r.mark === 'marginal' ? [k] : []));
    if (at.length === 0) return;
    const cleared = clearHesitationDots(page.image, page.grid, layout.targetShape, at.map((k) => read[k]!), threshold, thresholds);
    at.forEach((k, n) => cleared[n]!.mark === 'unmarked' && dots.add(k));
  });
  // Dropout-ink ovals: the stroke's shape decides what the small oval's ink share cannot.
  pages.forEach((page, i) => {
    if (page.grid.design !== 'bars-and-squares') return;
    const at = read.flatMap((r, k) => (r.page === i ? [k] : []));
    const refined = refineDropoutMarks(page.image, page.grid, layout.targetShape, at.map((k) => read[k]!));
    at.forEach((k, n) => (read[k] = refined[n]!));
  });
  // ...read blank, unless the stroke's shape showed a vote (a check pulls the oval search off it).
  for (const k of dots) if (read[k]!.mark === 'marginal') read[k] = { ...read[k]!, mark: 'unmarked' };
  const contests = readContests(
    layout.contests,
    read.map((r) => ({ meaning: r.target, mark: r.mark })),
  );
  const pageReadings: PageReading[] = pages.map((p, i) => ({
    image: index[i]!,
    side: sides.value[i]!,
    orientation: p.grid.orientation,
    columns: p.grid.columns,
    rows: p.grid.rows,
    code: p.code,
    interpolatedRows: p.grid.interpolatedRows,
    targets: withInk(p, layout, read.filter((r) => r.page === i).map((r) => ({ ...r.target, score: r.score, mark: r.mark }))),
  }));
  return ok({
    styleId: layout.styleId,
    ...(known.styleFrom === undefined ? {} : { styleFrom: known.styleFrom }),
    skippedImages: Array.from({ length: imageCount }, (_, i) => i).filter((i) => !index.includes(i)),
    pages: pageReadings,
    threshold,
    contests,
    targetsNotFound: scored.filter((s) => !s.score.found).length,
  });
}

/** The ink of every target with a mark (marked or doubtful): what a rescan of the same paper repeats. */
function withInk(page: RegisteredPage, layout: StyleLayout, targets: ReadTarget[]): ReadTarget[] {
  if (targets.every((t) => t.mark === 'unmarked')) return targets;
  const levels = page.grid.levels ?? measureLevels(page.image);
  const tw = layout.targetShape.width * page.grid.columnPitch;
  const th = layout.targetShape.height * page.grid.columnPitch;
  return targets.map((t) => (t.mark === 'unmarked' ? t : { ...t, ink: inkSignature(page.image, t.score.center, tw, th, levels, page.grid.orientation === 'rotated180') }));
}

/**
 * Picks the layout a sheet is printed as, from its pages' codes: the decoded style code when the
 * family prints one, else the closest AccuVote bottom-row code. Undefined: a person must map it.
 */
export function chooseLayout(pages: readonly RegisteredPage[], layouts: readonly StyleLayout[]): StyleLayout | undefined {
  return identifyStyle(pages, layouts)?.layout;
}

/**
 * The layout a sheet is printed as and how that was known. The printed code decides when it can be
 * read; only then the style its CVR's ballot type is printed as on other sheets (`styleFromCvr`, a
 * style id; styleFromCvr.ts learns it), and last the only style learned.
 */
export function identifyStyle(
  pages: readonly RegisteredPage[],
  layouts: readonly StyleLayout[],
  styleFromCvr?: string,
): { layout: StyleLayout; from: StyleSource } | undefined {
  const printed = printedLayout(pages, layouts);
  if (printed !== undefined) return { layout: printed, from: 'printed-code' };
  const fromCvr = styleFromCvr === undefined ? undefined : layouts.find((l) => l.styleId === styleFromCvr);
  if (fromCvr !== undefined) return { layout: fromCvr, from: 'cvr-ballot-type' };
  // A printed code that decodes names its style: no other style is guessed for it.
  if (layouts.length === 1 && !pages.some((p) => p.code.decoded !== undefined)) return { layout: layouts[0]!, from: 'only-style' };
  return undefined;
}

/** The layout whose printed code the pages carry: the decoded style code, or an AccuVote bottom-row code within 2 marks. */
function printedLayout(pages: readonly RegisteredPage[], layouts: readonly StyleLayout[]): StyleLayout | undefined {
  const decoded = pages.map((p) => p.code.decoded).find((d) => d !== undefined);
  if (decoded !== undefined) {
    return layouts.find((l) => l.printedCode?.styleNumber === decoded.styleNumber && l.printedCode.card === decoded.card);
  }
  let best: StyleLayout | undefined;
  let bestDistance = Infinity;
  for (const l of layouts) {
    const codes = [l.sideCodes?.front, l.sideCodes?.back].filter((c): c is string => c !== undefined);
    if (codes.length === 0) continue;
    const d = Math.min(...pages.map((p) => Math.min(...codes.map((c) => hamming(p.code.bottomRow, c)))));
    if (d < bestDistance) {
      bestDistance = d;
      best = l;
    }
  }
  return bestDistance <= 2 ? best : undefined;
}

/**
 * Reads a sheet whose style is not known in advance: identified from its printed code, or when that
 * cannot be read, from `styleFromCvr` (the style its CVR's ballot type is printed as; identifyStyle).
 * A sheet of an ES&S export (`essExport`) is read with the ES&S design only (its printed ovals say
 * the style), or set aside.
 */
export function interpretSheetAnyStyle(
  images: readonly GrayImage[],
  layouts: readonly StyleLayout[],
  thresholds: MarkThresholds = DEFAULT_THRESHOLDS,
  options: { readonly essExport?: boolean; readonly essStylesKnown?: boolean; readonly styleFromCvr?: string } = {},
): Result<SheetReading> {
  const registered = registerPages(images);
  if (options.essExport === true && (!registered.ok || registered.value.pages.some((p) => p.grid.design !== 'ess-dashed'))) return err(designNotReadReason());
  if (!registered.ok) return registered;
  // Its border found, an ES&S sheet still needs its style's layout; none is known until ES&S styles are learned.
  if (options.essExport === true && options.essStylesKnown === false) return err(essStylesNotLearnedReason());
  // The ES&S design prints no style code: the sheet's printed ovals say which layout it is, and which page is which side.
  if (registered.value.pages.every((p) => p.grid.design === 'ess-dashed')) {
    const ess = chooseEssLayout(registered.value.pages, layouts);
    if (ess === undefined) {
      return err(
        operatorError(
          'preaudit-style-unresolved',
          'The ovals printed on this ES&S sheet match no known ballot style (or more than one).',
          'Map this style by hand in the pre-audit page, or add its layout; the sheet is kept for review.',
        ),
      );
    }
    return interpretRegistered(registered.value.pages, registered.value.index, images.length, ess.layout, thresholds, { sides: ess.sides, styleFrom: 'printed-ovals' });
  }
  const identified = identifyStyle(registered.value.pages, layouts, options.styleFromCvr);
  if (identified === undefined) {
    const code = registered.value.pages[0]?.code;
    return err(
      operatorError(
        'preaudit-style-unresolved',
        `The sheet's printed style code (${code?.decoded !== undefined ? `style ${code.decoded.styleNumber} card ${code.decoded.card}` : (code?.bottomRow ?? 'none')}) matches no known ballot style.`,
        'Map this style by hand in the pre-audit page, or add its layout; the sheet is kept for review.',
      ),
    );
  }
  return interpretRegistered(registered.value.pages, registered.value.index, images.length, identified.layout, thresholds, { styleFrom: identified.from });
}

/** Decodes the image files of one sheet (one file per side, or one multipage TIFF) and reads it. */
export async function interpretSheetFiles(
  files: readonly (string | Buffer)[],
  layout: StyleLayout,
  options: ImageIntakeOptions & { thresholds?: MarkThresholds } = {},
): Promise<Result<SheetReading>> {
  const images: GrayImage[] = [];
  for (const f of files) {
    const decoded = await decodeBallotImage(f, options);
    if (!decoded.ok) return decoded;
    images.push(...decoded.value);
  }
  return interpretSheet(images, layout, options.thresholds ?? DEFAULT_THRESHOLDS);
}
