/**
 * A sheet whose printed style code could not be read (smudged, torn, too far from every learned
 * style) gets the style its CVR's ballot type is printed as on the sheets whose code was read
 * (ballotTypeStyles.ts), and only when the type prints that one style and every contest the CVR
 * has marks in is on it (a card of a multi-card type whose other card was never read must not take
 * that card's style); it is then read again with that style and says so (style_from 'cvr-ballot-type'). A sheet whose CVR names another type than
 * the other sheets printed like it is set aside: the image and the record may not be the same ballot.
 * The set-aside is judged again on every pass with the CVRs as they are then: once a corrected CVR
 * names the type the sheet prints (or no CVR names the sheet any more), it is read again by its
 * printed code and compared like any other.
 */
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { activeBallotTypesByImageKey } from '../importer/store.ts';
import { ballotTypeStyles, type TypedSheet } from './ballotTypeStyles.ts';
import type { CatalogSheet } from './catalogSheet.ts';
import type { StyleSource } from './interpret.ts';
import type { StyleLayout } from './layout.ts';
import type { SheetJob } from './pool.ts';
import { forgetSheets, setSheetAside, setStyleFrom, type SheetState, sheetStates } from './store.ts';

/** The reader's code for a sheet whose printed style is none of the learned ones (interpret.ts). */
export const STYLE_UNRESOLVED_CODE = 'preaudit-style-unresolved';
/** A sheet printed as another ballot style than the other sheets of its CVR's ballot type. */
export const STYLE_NOT_CVR_TYPE_CODE = 'preaudit-style-not-cvr-type';

const PRINTED: StyleSource = 'printed-code';
const FROM_CVR: StyleSource = 'cvr-ballot-type';
const ONLY_STYLE: StyleSource = 'only-style';

export interface StylesFromCvr {
  /**
   * Sheets to read again (their old rows are forgotten): with the style their CVR's ballot type is
   * printed as, or, for a sheet set aside whose CVR now agrees with what it prints, by its printed code.
   */
  readonly readAgain: readonly SheetJob[];
  /** Sheets read as the only style learned whose CVR's type is printed as that style too. */
  readonly confirmed: number;
  /** Sheets set aside by this call: their CVR names another type than the other sheets printed like them. */
  readonly disagreeing: number;
  /** Sheets set aside before whose CVR now agrees with their printed style (or is gone): among readAgain. */
  readonly rechecked: number;
}

/**
 * Uses the CVRs' ballot types on the sheets read so far; run after each reading round, before new
 * styles are learned. `contestIdOf`: a CVR contest key → the layouts' contest id (VendorKeyMap).
 */
export function settleStylesWithCvr(
  db: Db,
  sheets: readonly CatalogSheet[],
  layouts: readonly StyleLayout[],
  logger: Logger,
  contestIdOf: (cvrContestKey: string) => string = (k) => k,
): StylesFromCvr {
  const types = activeBallotTypesByImageKey(db);
  const none: StylesFromCvr = { readAgain: [], confirmed: 0, disagreeing: 0, rechecked: 0 };
  const all = sheetStates(db);
  // Sheets set aside for their CVR's type keep the style their code was read as (setSheetAside).
  const setAside = (r: SheetState) => r.status === 'error' && r.error_code === STYLE_NOT_CVR_TYPE_CODE && r.style_from === PRINTED && r.style_id !== null;
  if (types.size === 0 && !all.some(setAside)) return none;
  const typeOf = new Map<string, string>();
  const cvrContests = new Map<string, readonly string[]>();
  for (const s of sheets) {
    const t = s.imageKey === null ? undefined : types.get(s.imageKey);
    if (t === undefined) continue;
    typeOf.set(s.job.key, t.ballotType);
    cvrContests.set(s.job.key, t.contestKeys.map(contestIdOf));
  }
  const states = all.filter((r) => typeOf.has(r.sheet_key));
  // The sheets set aside are judged again with the others, by the CVRs imported now.
  const typed: TypedSheet[] = states.flatMap((r) =>
    (r.status === 'read' || setAside(r)) && r.style_from === PRINTED && r.style_id !== null ? [{ sheetKey: r.sheet_key, ballotType: typeOf.get(r.sheet_key)!, styleId: r.style_id }] : [],
  );
  const judged = ballotTypeStyles(typed);
  const { styleOf } = judged;
  const stillApart = new Set(judged.disagreeing.map((d) => d.sheetKey));
  const wasApart = new Set(all.filter(setAside).map((r) => r.sheet_key));
  // Set aside now: disagreeing sheets that are read (those set aside before stay so, said once).
  const disagreeing = judged.disagreeing.filter((d) => !wasApart.has(d.sheetKey));

  for (const d of disagreeing) {
    setSheetAside(
      db,
      d.sheetKey,
      STYLE_NOT_CVR_TYPE_CODE,
      `Its CVR names ballot type ${d.ballotType}, but ${d.styleType === null ? 'the other ballots printed like it name other types' : `the other ballots printed like it are type ${d.styleType}`}: the image and the record may not be the same ballot. It was not compared with the CVR.`,
    );
    logEvent(logger, LogEvent.PreauditStyleNotCvrType, { sheet: d.sheetKey, ballotType: d.ballotType, style: d.styleId, ...(d.styleType === null ? {} : { styleType: d.styleType }), styleSheets: d.styleSheets }, 'warn');
  }

  const contestsOf = new Map(layouts.map((l) => [l.styleId, new Set(l.contests.map((c) => c.id))]));
  // The style holds every contest the sheet's CVR has marks in (none: nothing to confirm it by).
  const fits = (sheetKey: string, style: string): boolean => {
    const on = contestsOf.get(style);
    const marked = cvrContests.get(sheetKey) ?? [];
    return on !== undefined && marked.length > 0 && marked.every((c) => on.has(c));
  };
  const jobs = new Map(sheets.map((s) => [s.job.key, s.job]));
  const readAgain: SheetJob[] = [];
  // Set aside before, and no longer disagreeing (a corrected CVR, or none names the sheet now): read by its printed code.
  for (const key of wasApart) {
    const job = jobs.get(key);
    if (job !== undefined && !stillApart.has(key)) readAgain.push(job);
  }
  const rechecked = readAgain.length;
  let confirmed = 0;
  for (const r of states) {
    const style = styleOf.get(typeOf.get(r.sheet_key)!);
    if (style === undefined || !fits(r.sheet_key, style)) continue;
    if (r.status === 'error' && r.error_code === STYLE_UNRESOLVED_CODE) {
      const job = jobs.get(r.sheet_key);
      if (job !== undefined) readAgain.push({ ...job, styleFromCvr: style });
    } else if (r.status === 'read' && r.style_from === ONLY_STYLE && r.style_id === style) {
      // Read as the only style learned, and its CVR's type is printed as that style: now known, not guessed.
      setStyleFrom(db, r.sheet_key, FROM_CVR);
      confirmed++;
    }
  }
  forgetSheets(
    db,
    readAgain.map((j) => j.key),
  );
  if (readAgain.length + confirmed + disagreeing.length > 0) {
    logEvent(logger, LogEvent.PreauditStylesFromCvr, { ballotTypes: styleOf.size, readAgain: readAgain.length, confirmed, disagreeing: disagreeing.length, rechecked });
  }
  return { readAgain, confirmed, disagreeing: disagreeing.length, rechecked };
}
