import { z } from 'zod';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { ContestRules, TargetMeaning } from './marks.ts';
import { ACCUVOTE_OVAL, type GridLocation, type TargetShape } from './targets.ts';
import type { BlankReference } from './styleBlank.ts';

export type Side = 'front' | 'back';

/** One target of a style: where it is in the timing-mark grid and what it means. */
export interface TargetPosition extends TargetMeaning {
  readonly side: Side;
  readonly column: number;
  readonly row: number;
}

export interface ContestDefinition extends ContestRules {
  readonly title: string;
  readonly options: readonly { readonly id: string; readonly name: string }[];
  readonly allowWriteIns: boolean;
}

/**
 * Everything needed to read one ballot style: its targets, its contests and, when learned,
 * the code printed in the bottom timing-mark row of each side (used to tell styles and sides apart).
 */
export interface StyleLayout {
  readonly styleId: string;
  readonly targets: readonly TargetPosition[];
  readonly contests: readonly ContestDefinition[];
  readonly targetShape: TargetShape;
  /** AccuVote-family: the bottom-row code of each side ("0"/"1", corners left out). */
  readonly sideCodes?: Partial<Record<Side, string>>;
  /** Sample-election family: the style number and card printed in the code row. */
  readonly printedCode?: { readonly styleNumber: number; readonly card: number };
  /** The style's empty-oval level, measured on several of its sheets (styleBlank.ts); unset: the printed oval's. */
  readonly blankReference?: BlankReference;
  /** Learned by OCR: the weakest name match that placed a target (ocr.ts StyleMapping.confidence); unset when given or mapped by a person. */
  readonly mappingConfidence?: number;
  /**
   * An ES&S style waiting for a person (no targets yet): where its ovals are printed. The ES&S
   * design prints no style code, so this is how its sheets are recognised and counted as waiting.
   */
  readonly printedPlaces?: readonly (GridLocation & { readonly side: Side })[];
}

// The subset of the VotingWorks election definition (vxsuite `Election`, gridLayouts) we read.
const vxCandidate = z.object({ id: z.string(), name: z.string() });
const vxContest = z.object({
  id: z.string(),
  title: z.string(),
  type: z.enum(['candidate', 'yesno']),
  seats: z.number().int().positive().optional(),
  candidates: z.array(vxCandidate).optional(),
  allowWriteIns: z.boolean().optional(),
  yesOption: z.object({ id: z.string(), label: z.string() }).optional(),
  noOption: z.object({ id: z.string(), label: z.string() }).optional(),
});
const vxGridPosition = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('option'),
    side: z.enum(['front', 'back']),
    column: z.number().nonnegative(),
    row: z.number().nonnegative(),
    contestId: z.string(),
    optionId: z.string(),
  }),
  z.object({
    type: z.literal('write-in'),
    side: z.enum(['front', 'back']),
    column: z.number().nonnegative(),
    row: z.number().nonnegative(),
    contestId: z.string(),
    writeInIndex: z.number().int().nonnegative(),
  }),
]);
const vxElection = z.object({
  contests: z.array(vxContest),
  gridLayouts: z.array(
    z.object({
      ballotStyleId: z.string(),
      gridPositions: z.array(vxGridPosition),
    }),
  ),
});

export function writeInOptionId(index: number): string {
  return `write-in-${index}`;
}

/** Reads the styles of a VotingWorks election definition with grid layouts (e.g. NH AccuVote ballots). */
export function layoutsFromVxElection(json: unknown): Result<StyleLayout[]> {
  const parsed = vxElection.safeParse(json);
  if (!parsed.success) {
    return err(
      operatorError(
        'preaudit-layout-invalid',
        `The election definition is not a grid-layout election file: ${parsed.error.issues[0]?.message ?? 'invalid'} at ${parsed.error.issues[0]?.path.join('.') ?? '?'}.`,
        'Use the election.json exported with grid layouts, or let the pre-audit learn the styles from the images.',
      ),
    );
  }
  const election = parsed.data;
  const contests: ContestDefinition[] = election.contests.map((c) => ({
    id: c.id,
    title: c.title,
    seats: c.type === 'yesno' ? 1 : (c.seats ?? 1),
    options:
      c.type === 'yesno'
        ? [
            { id: c.yesOption?.id ?? 'yes', name: c.yesOption?.label ?? 'Yes' },
            { id: c.noOption?.id ?? 'no', name: c.noOption?.label ?? 'No' },
          ]
        : (c.candidates ?? []).map((k) => ({ id: k.id, name: k.name })),
    allowWriteIns: c.allowWriteIns ?? false,
  }));
  return ok(
    election.gridLayouts.map((g) => {
      const targets: TargetPosition[] = g.gridPositions.map((p) => ({
        side: p.side,
        column: p.column,
        row: p.row,
        contestId: p.contestId,
        optionId: p.type === 'option' ? p.optionId : writeInOptionId(p.writeInIndex),
        isWriteIn: p.type === 'write-in',
      }));
      const used = new Set(targets.map((t) => t.contestId));
      return {
        styleId: g.ballotStyleId,
        targets,
        contests: contests.filter((c) => used.has(c.id)),
        targetShape: ACCUVOTE_OVAL,
      };
    }),
  );
}

/** Layout id of the placeholder a style waiting for a person is recognised by (its sheets are stored under it). */
export function placeholderStyleId(styleId: string): string {
  return `needs-person:${styleId}`;
}

/** The order layouts list their targets in: front before back, then by column and row. */
export function byPosition(a: { readonly side: Side; readonly column: number; readonly row: number }, b: { readonly side: Side; readonly column: number; readonly row: number }): number {
  // Rounded: a learned dropout target sits a fraction of a pitch off its printed column.
  return (a.side === b.side ? 0 : a.side === 'front' ? -1 : 1) || Math.round(a.column) - Math.round(b.column) || a.row - b.row || a.column - b.column;
}

/** A style's layout from its mapped targets (learned or mapped by hand), with the contests they use. */
export function layoutFromTargets(
  styleId: string,
  targets: readonly TargetPosition[],
  contests: readonly ContestDefinition[],
  like: Pick<StyleLayout, 'targetShape' | 'printedCode' | 'sideCodes'>,
): StyleLayout {
  const used = new Set(targets.map((t) => t.contestId));
  return {
    styleId,
    targets: [...targets].sort(byPosition),
    contests: contests.filter((c) => used.has(c.id)),
    targetShape: like.targetShape,
    ...(like.printedCode === undefined ? {} : { printedCode: like.printedCode }),
    ...(like.sideCodes === undefined ? {} : { sideCodes: like.sideCodes }),
  };
}
