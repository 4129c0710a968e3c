/**
 * What learning a ballot style yields, whatever the design: the report of a learned style, a
 * style left for a person (with the sample pages and target boxes the hand-mapping form shows),
 * and the check that a mapping is complete. Shared by learnLayouts.ts and essLearn.ts.
 */
import type { GrayImage } from './image.ts';
import type { ContestDefinition, Side, StyleLayout, TargetPosition } from './layout.ts';
import type { UnresolvedTarget } from './ocr.ts';
import type { GridLocation, TargetShape } from './targets.ts';
import type { TimingMarkGrid } from './timingMarks.ts';
import { counted } from '../core/words.ts';

/** A style the OCR matcher could not map completely: its sheets wait for a person. */
export interface StyleNeedsMapping {
  readonly styleId: string;
  /** What the pages print, for the operator ("style 3 card 1", or the bottom-row codes). */
  readonly printed: string;
  readonly pages: number;
  readonly reason: string;
  readonly unresolved: readonly UnresolvedTarget[];
  /** The targets the matcher did place (a starting point for the person mapping the rest). */
  readonly placed: readonly TargetPosition[];
  /** Per side, the sample page OCR read and every target's box on it: what a person maps on. */
  readonly samples: readonly StyleSample[];
  /**
   * The style's codes with no targets: sheets of this style are recognised by it and then set
   * aside as not read, instead of being read with another style's layout.
   */
  readonly placeholder: StyleLayout;
}

/** One page of a style's sample sheet, with the box (image pixels) of each target of that side. */
export interface StyleSample {
  readonly side: Side;
  /** The sheet (job key), which of its files, and the page in that file. */
  readonly sheetKey: string;
  readonly file: number;
  readonly page: number;
  readonly width: number;
  readonly height: number;
  readonly boxes: readonly (GridLocation & { readonly x: number; readonly y: number; readonly width: number; readonly height: number })[];
}

export interface LearnedStyleReport {
  readonly styleId: string;
  readonly pages: number;
  readonly targets: number;
  /** Time OCR took per side (ms). */
  readonly ocrMs: Partial<Record<Side, number>>;
}

/** A page kept to show a person: its image and grid, and where it came from. */
export interface SamplePage {
  readonly image: GrayImage;
  readonly grid: TimingMarkGrid;
  readonly origin: { readonly sheetKey: string; readonly file: number; readonly page: number };
}

/** The page OCR read for a side, with each target's box in its pixels (as the reader scores them). */
export function sampleOf(side: Side, read: SamplePage, locations: readonly GridLocation[], shape: TargetShape): StyleSample {
  const w = shape.width * read.grid.columnPitch;
  const h = shape.height * read.grid.columnPitch;
  return {
    side,
    ...read.origin,
    width: read.image.width,
    height: read.image.height,
    boxes: locations.map((l) => {
      const p = read.grid.pointFor(l.column, l.row);
      return { column: l.column, row: l.row, x: Math.round(p.x - w / 2), y: Math.round(p.y - h / 2), width: Math.round(w), height: Math.round(h) };
    }),
  };
}

/**
 * Why a mapping cannot be trusted, or undefined: a target left unplaced, two targets read as the
 * same write-in line, or a contest printed with only some of its options (a misread name
 * elsewhere). Two targets of one candidate are allowed: a candidate nominated by two parties is
 * printed twice (NH ballots do this).
 */
export function checkMapping(targets: readonly TargetPosition[], unresolved: readonly UnresolvedTarget[], contests: readonly ContestDefinition[]): string | undefined {
  if (targets.length === 0 && unresolved.length === 0) return 'no voting targets were found on its pages';
  if (unresolved.length > 0) {
    const first = unresolved[0]!;
    const read = first.text.replace(/\s+/g, ' ').trim().slice(0, 60);
    // Nothing read: its reason says so ("nothing legible was read beside the oval"), no empty quotes.
    return `${counted(unresolved.length, 'target')} could not be matched to a contest option (first: ${first.side} column ${first.column} row ${first.row}${read === '' ? '' : `, read "${read}"`}: ${first.reason})`;
  }
  const seen = new Map<string, TargetPosition>();
  for (const t of targets) {
    const k = `${t.contestId}\u0000${t.optionId}`;
    const other = seen.get(k);
    if (other !== undefined && t.isWriteIn) {
      return `two targets (${other.side} ${other.column},${other.row} and ${t.side} ${t.column},${t.row}) were both read as option "${t.optionId}" of contest "${t.contestId}"`;
    }
    seen.set(k, t);
  }
  for (const c of contests) {
    const shown = new Set(targets.filter((t) => t.contestId === c.id && !t.isWriteIn).map((t) => t.optionId));
    if (shown.size === 0 && !targets.some((t) => t.contestId === c.id)) continue;
    if (shown.size !== c.options.length) return `contest "${c.title}" shows ${shown.size} of its ${c.options.length} options`;
  }
  return undefined;
}
