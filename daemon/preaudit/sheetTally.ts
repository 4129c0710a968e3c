/**
 * Where every sheet of a pre-audit pass ended: read, set aside (and why), waiting for a person to
 * map its ballot style, could not be read, or not read yet. The CLI prints it and derives its exit
 * code from it, so "no disagreements" is never said of sheets that were not read.
 */
import type { Db } from '../core/db/database.ts';
import { NEEDS_MAPPING_CODE } from './handMapping.ts';
import { sheetStates } from './store.ts';
import { BMD_CARD_CODE, DESIGN_NOT_READ_CODE, ESS_STYLES_NOT_LEARNED_CODE, SET_APART_CODES } from './setApart.ts';
import { STYLE_NOT_CVR_TYPE_CODE } from './styleFromCvr.ts';

export interface SheetTally {
  readonly total: number;
  readonly read: number;
  /** Of the sheets read: those whose style was known from their CVR's ballot type (printed code not readable). */
  readonly styleFromCvr: number;
  /** Sheets printed as another ballot style than the other sheets of their CVR's ballot type: not compared. */
  readonly styleNotCvrType: number;
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
  [ESS_STYLES_NOT_LEARNED_CODE]: 'ES&S ballot styles not learned yet',
};

/** Counts the sheets `keys` by their row in preaudit_sheets. */
export function tallySheets(db: Db, keys: readonly string[]): SheetTally {
  const rows = new Map(
    sheetStates(db).map((r) => [r.sheet_key, r] as const),
  );
  let read = 0;
  let styleFromCvr = 0;
  let styleNotCvrType = 0;
  let waitingForPerson = 0;
  let unreadable = 0;
  let notReadYet = 0;
  const setAside = new Map<string, number>();
  for (const key of new Set(keys)) {
    const row = rows.get(key);
    if (row === undefined) notReadYet++;
    else if (row.status === 'read') {
      read++;
      if (row.style_from === 'cvr-ballot-type') styleFromCvr++;
    } else if (row.error_code === STYLE_NOT_CVR_TYPE_CODE) styleNotCvrType++;
    else if (row.error_code === NEEDS_MAPPING_CODE) waitingForPerson++;
    else if (row.error_code !== null && SET_APART_CODES.includes(row.error_code)) {
      const reason = SET_ASIDE_REASON[row.error_code] ?? 'not read from marks';
      setAside.set(reason, (setAside.get(reason) ?? 0) + 1);
    } else unreadable++;
  }
  return { total: new Set(keys).size, read, styleFromCvr, styleNotCvrType, setAside, waitingForPerson, unreadable, notReadYet };
}

/** Exit codes of `ballotsafe preaudit`. */
export const PREAUDIT_EXIT = {
  /** Every sheet read, no contest disagreeing with its CVR. */
  allReadNoDisagreement: 0,
  /** At least one contest disagrees with its CVR, or a sheet is printed as another style than its CVR says (whatever else happened). */
  disagreements: 1,
  /** The pre-audit could not run (configuration, data, a failure). */
  error: 2,
  /** No disagreement among the sheets read, but some sheets were not read. */
  sheetsNotRead: 3,
} as const;

export function preauditExitCode(tally: SheetTally, disagreements: number): number {
  if (disagreements > 0 || tally.styleNotCvrType > 0) return PREAUDIT_EXIT.disagreements;
  return tally.read === tally.total ? PREAUDIT_EXIT.allReadNoDisagreement : PREAUDIT_EXIT.sheetsNotRead;
}

/** The summary lines: every sheet counted once, in one of these rows. */
export function tallyLines(t: SheetTally): string[] {
  const line = (n: number, what: string) => `${String(n).padStart(9)}  ${what}`;
  const out = [line(t.total, 'sheets in the catalog'), line(t.read, 'sheets read')];
  if (t.styleFromCvr > 0) out.push(line(t.styleFromCvr, `of them with the ballot style their CVR names (the style printed on the sheet could not be read)`));
  if (t.waitingForPerson > 0 || t.read < t.total) out.push(line(t.waitingForPerson, 'sheets waiting for a person to map their ballot style'));
  for (const [reason, n] of t.setAside) out.push(line(n, `sheets set aside: ${reason}`));
  if (t.styleNotCvrType > 0) out.push(line(t.styleNotCvrType, 'sheets whose CVR names another ballot type than the sheet prints (not compared)'));
  out.push(line(t.unreadable, 'sheets that could not be read'));
  if (t.notReadYet > 0) out.push(line(t.notReadYet, 'sheets not read yet'));
  return out;
}
