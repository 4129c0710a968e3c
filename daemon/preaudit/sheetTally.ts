/**
 * Where every sheet of a pre-audit pass ended: read, set aside (and why), waiting for a person to
 * map its ballot style, could not be read, or not read yet. The CLI prints it and derives its exit
 * code from it, so "no disagreements" is never said of sheets that were not read.
 */
import type { Db } from '../core/db/database.ts';
import { NEEDS_MAPPING_CODE } from './handMapping.ts';
import { sheetStates } from './store.ts';
import { BMD_CARD_CODE, DESIGN_NOT_READ_CODE, SET_APART_CODES } from './setApart.ts';

export interface SheetTally {
  readonly total: number;
  readonly read: number;
  /** Sheets set aside on purpose, by reason (clerk's words). */
  readonly setAside: ReadonlyMap<string, number>;
  /** Sheets of ballot styles waiting for a person to map them. */
  readonly waitingForPerson: number;
  readonly unreadable: number;
  /** Sheets with no reading at all (the pass stopped early, or their style is not known yet). */
  readonly notReadYet: number;
}

const SET_ASIDE_REASON: Readonly<Record<string, string>> = {
  [BMD_CARD_CODE]: 'ballot-marking device cards, checked by hand',
  [DESIGN_NOT_READ_CODE]: 'ES&S border of timing marks not found',
};

/** Counts the sheets `keys` by their row in preaudit_sheets. */
export function tallySheets(db: Db, keys: readonly string[]): SheetTally {
  const rows = new Map(
    sheetStates(db).map((r) => [r.sheet_key, r] as const),
  );
  let read = 0;
  let waitingForPerson = 0;
  let unreadable = 0;
  let notReadYet = 0;
  const setAside = new Map<string, number>();
  for (const key of new Set(keys)) {
    const row = rows.get(key);
    if (row === undefined) notReadYet++;
    else if (row.status === 'read') read++;
    else if (row.error_code === NEEDS_MAPPING_CODE) waitingForPerson++;
    else if (row.error_code !== null && SET_APART_CODES.includes(row.error_code)) {
      const reason = SET_ASIDE_REASON[row.error_code] ?? 'not read from marks';
      setAside.set(reason, (setAside.get(reason) ?? 0) + 1);
    } else unreadable++;
  }
  return { total: new Set(keys).size, read, setAside, waitingForPerson, unreadable, notReadYet };
}

/** Exit codes of `ballotsafe preaudit`. */
export const PREAUDIT_EXIT = {
  /** Every sheet read, no contest disagreeing with its CVR. */
  allReadNoDisagreement: 0,
  /** At least one contest disagrees with its CVR (whatever else happened). */
  disagreements: 1,
  /** The pre-audit could not run (configuration, data, a failure). */
  error: 2,
  /** No disagreement among the sheets read, but some sheets were not read. */
  sheetsNotRead: 3,
} as const;

export function preauditExitCode(tally: SheetTally, disagreements: number): number {
  if (disagreements > 0) return PREAUDIT_EXIT.disagreements;
  return tally.read === tally.total ? PREAUDIT_EXIT.allReadNoDisagreement : PREAUDIT_EXIT.sheetsNotRead;
}

/** The summary lines: every sheet counted once, in one of these rows. */
export function tallyLines(t: SheetTally): string[] {
  const line = (n: number, what: string) => `${String(n).padStart(9)}  ${what}`;
  const out = [line(t.total, 'sheets in the catalog'), line(t.read, 'sheets read')];
  if (t.waitingForPerson > 0 || t.read < t.total) out.push(line(t.waitingForPerson, 'sheets waiting for a person to map their ballot style'));
  for (const [reason, n] of t.setAside) out.push(line(n, `sheets set aside: ${reason}`));
  out.push(line(t.unreadable, 'sheets that could not be read'));
  if (t.notReadYet > 0) out.push(line(t.notReadYet, 'sheets not read yet'));
  return out;
}
