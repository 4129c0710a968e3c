import type { Db } from '../core/db/database.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { contestsFromImports } from './contestDefinitions.ts';
import { checkMapping } from './learnLayouts.ts';
import { layoutFromTargets, placeholderStyleId, type Side, type TargetPosition, writeInOptionId } from './layout.ts';
import { cachedStyle, saveHandMappedStyle } from './store.ts';
import { BallotStyleName } from './styleWords.ts';

export { handMappingFrom, unresolvedFrom } from './store.ts';
export type { HandMappingData } from './storedJson.ts';

/** Code of sheets set aside because their style waits for a person to map it (and of that style's alert). */
export const NEEDS_MAPPING_CODE = 'preaudit-style-needs-mapping';

/** The option id a person picks for a write-in line; the lines are numbered when the mapping is saved. */
export const WRITE_IN_CHOICE = 'write-in';

/** A person's choice for one target of a style: a contest option, or null when it is not a voting target. */
export interface HandAssignment {
  readonly side: Side;
  readonly column: number;
  readonly row: number;
  readonly choice: { readonly contestId: string; readonly optionId: string } | null;
}

export interface HandMapped {
  readonly targets: number;
  /** Sheets set aside under the style's placeholder, read again on the next pass. */
  readonly sheetsToRead: number;
}

/**
 * A person's mapping of a style the OCR matcher could not map: every target of the style (those
 * the matcher placed and those it could not) gets a contest option, or none when it is not a
 * voting target. Checked like a learned mapping (no write-in line twice, no contest with only
 * some of its options); then the style is read like any other, its set-aside sheets again in
 * the next pass, and its alert is acknowledged by that person.
 */
export function mapStyleByHand(db: Db, styleId: string, assignments: readonly HandAssignment[], actor: string): Result<HandMapped> {
  const defs = contestsFromImports(db);
  if (!defs.ok) return defs;
  const row = cachedStyle(db, defs.value.signature, styleId);
  if (row === undefined || row.status !== 'needs-person') {
    return err(
      operatorError(
        'preaudit-style-not-waiting',
        `${row === undefined ? `Ballot style ${styleId}` : BallotStyleName(row.printed)} is not waiting to be mapped.`,
        'Reload the Pre-audit page: the style may have been mapped already, or learned again after an import.',
      ),
    );
  }
  const hand = row.handMapping;
  const unresolved = row.unresolved;
  const key = (t: { side: string; column: number; row: number }) => `${t.side}:${t.column}:${t.row}`;
  const positions = new Set([...hand.placed, ...unresolved].map(key));
  const given = new Set<string>();
  const targets: TargetPosition[] = [];
  for (const a of assignments) {
    const k = key(a);
    if (!positions.has(k) || given.has(k)) {
      return err(operatorError('preaudit-mapping-target-unknown', `Target ${a.side} column ${a.column} row ${a.row} is not a target of this style, or was given twice.`, 'Reload the mapping page and choose again.'));
    }
    given.add(k);
    if (a.choice === null) continue;
    const { contestId, optionId } = a.choice;
    const contest = defs.value.contests.find((c) => c.id === contestId);
    const isOption = contest?.options.some((o) => o.id === optionId) === true;
    const isWriteIn = contest?.allowWriteIns === true && optionId === WRITE_IN_CHOICE;
    if (contest === undefined || (!isOption && !isWriteIn)) {
      return err(operatorError('preaudit-mapping-option-unknown', `Target ${a.side} column ${a.column} row ${a.row} was given an option that is not in the imported election definition.`, 'Reload the mapping page and choose again.'));
    }
    targets.push({ side: a.side, column: a.column, row: a.row, contestId, optionId, isWriteIn });
  }
  if (given.size !== positions.size) {
    return err(
      operatorError(
        'preaudit-mapping-incomplete',
        `${positions.size - given.size} of the ${positions.size} targets of this style have no choice.`,
        'Choose a contest option, or "not a voting target", for every numbered target, then save again.',
      ),
    );
  }
  const placeholder = row.layout;
  // Write-in lines are numbered as the learned mappings number them: the sample-election family
  // (and Dominion) top to bottom, AccuVote bottom to top; each contest's lines counted apart.
  const bottomUp = placeholder.printedCode === undefined;
  const lines = targets.filter((t) => t.isWriteIn).sort((a, b) => (a.side === b.side ? 0 : a.side === 'front' ? -1 : 1) || (bottomUp ? b.row - a.row : a.row - b.row));
  const slot = new Map(lines.map((t) => [t, writeInOptionId(lines.filter((u) => u.contestId === t.contestId).indexOf(t))]));
  const numbered = targets.map((t) => ({ ...t, optionId: slot.get(t) ?? t.optionId }));
  const problem = checkMapping(numbered, [], defs.value.contests);
  if (problem !== undefined) {
    return err(operatorError('preaudit-mapping-inconsistent', `This mapping cannot be used: ${problem}.`, 'Correct the choices for those targets, then save again.'));
  }
  const layout = layoutFromTargets(styleId, numbered, defs.value.contests, placeholder);
  const sheetsToRead = saveHandMappedStyle(db, defs.value.signature, styleId, layout, actor, placeholderStyleId(styleId));
  return ok({ targets: layout.targets.length, sheetsToRead });
}
