import { err, ok, operatorError, type Result } from '../result.ts';
import { decodeBallotImage, type GrayImage, type ImageIntakeOptions } from './image.ts';
import type { Side, StyleLayout, TargetPosition } from './layout.ts';
import {
  adaptiveThreshold,
  classifyFill,
  type ContestReading,
  DEFAULT_THRESHOLDS,
  type MarkClass,
  type MarkThresholds,
  readContests,
  type SheetThreshold,
} from './marks.ts';
import { type ScoredTarget, scoreTargets } from './targets.ts';
import { findTimingMarkGrid, type Orientation, type TimingMarkGrid } from './timingMarks.ts';

export interface ReadTarget extends TargetPosition {
  readonly score: ScoredTarget;
  readonly mark: MarkClass;
}

export interface PageReading {
  /** Index of the image among those given for the sheet. */
  readonly image: number;
  readonly side: Side;
  readonly orientation: Orientation;
  readonly columns: number;
  readonly rows: number;
  /** The code printed in the bottom timing-mark row (corners excluded), e.g. "1000…0101". */
  readonly code: string;
  readonly interpolatedRows: readonly number[];
  readonly targets: readonly ReadTarget[];
}

export interface SheetReading {
  readonly styleId: string;
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
  readonly code: string;
}

/** Registration of every page that has timing marks; pages without (vendor annotation pages) are dropped. */
export function registerPages(images: readonly GrayImage[]): Result<{ pages: RegisteredPage[]; index: number[] }> {
  const pages: RegisteredPage[] = [];
  const index: number[] = [];
  let firstError: Result<never> | undefined;
  images.forEach((image, i) => {
    const grid = findTimingMarkGrid(image);
    if (!grid.ok) {
      firstError ??= grid;
      return;
    }
    pages.push({ image, grid: grid.value, code: bottomRowCode(grid.value) });
    index.push(i);
  });
  if (pages.length === 0) return firstError ?? err(operatorError('preaudit-no-pages', 'The sheet has no pages.'));
  return ok({ pages, index });
}

/** Which side each registered page is: by the learned side codes when known, else in order. */
function assignSides(pages: readonly RegisteredPage[], layout: StyleLayout): Result<Side[]> {
  const codes = layout.sideCodes;
  if (codes?.front !== undefined && codes.back !== undefined) {
    const sides = pages.map((p) => (hamming(p.code, codes.front!) <= hamming(p.code, codes.back!) ? 'front' : 'back') as Side);
    if (sides.filter((s) => s === 'front').length <= 1 && sides.filter((s) => s === 'back').length <= 1) return ok(sides);
  }
  const needed = new Set(layout.targets.map((t) => t.side));
  if (pages.length < needed.size) {
    return err(
      operatorError(
        'preaudit-side-missing',
        `Only ${pages.length} page(s) with timing marks were found; this style has targets on ${needed.size} side(s).`,
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
  const { pages, index } = registered.value;
  const sides = assignSides(pages, layout);
  if (!sides.ok) return sides;

  const scored: { page: number; target: TargetPosition; score: ScoredTarget }[] = [];
  pages.forEach((page, i) => {
    const side = sides.value[i]!;
    const targets = layout.targets.filter((t) => t.side === side);
    const scores = scoreTargets(page.image, page.grid, targets, layout.targetShape);
    scores.forEach((score, k) => scored.push({ page: i, target: targets[k]!, score }));
  });

  // One threshold per sheet: both sides were marked by the same voter with the same pen.
  const threshold = adaptiveThreshold(
    scored.map((s) => s.score.fill),
    thresholds,
  );
  const read = scored.map((s) => ({ ...s, mark: classifyFill(s.score.fill, threshold, thresholds) }));
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
    targets: read.filter((r) => r.page === i).map((r) => ({ ...r.target, score: r.score, mark: r.mark })),
  }));
  return ok({
    styleId: layout.styleId,
    pages: pageReadings,
    threshold,
    contests,
    targetsNotFound: scored.filter((s) => !s.score.found).length,
  });
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
