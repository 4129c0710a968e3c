import { z } from 'zod';
import type { Db } from '../core/db/database.ts';
import type { ContestComparison, ContestVerdict } from './compare.ts';
import type { StyleLayout } from './layout.ts';
import type { ContestReading } from './marks.ts';
import type { UnresolvedTarget } from './ocr.ts';
import {
  type HandMappingData,
  parseStored,
  storedHandMapping,
  storedLayout,
  storedReadings,
  storedUnresolved,
} from './storedJson.ts';

/**
 * The pre-audit's tables (preaudit_sheets, preaudit_sheet_files, preaudit_comparisons, preaudit_learned_styles):
 * the one place that reads and writes them. JSON columns are checked against storedJson.ts on the way out.
 */

// ---- preaudit_sheets: one row per sheet read (or failed) ----

export interface NewSheetRow {
  readonly key: string;
  readonly files: readonly string[];
  readonly status: 'read' | 'error';
  readonly styleId: string | null;
  /** How the style was known (interpret.ts StyleSource). */
  readonly styleFrom: string | null;
  readonly errorCode: string | null;
  readonly errorMessage: string | null;
  readonly targetsNotFound: number | null;
  readonly grayContests: number | null;
  readonly readingJson: string | null;
  readonly pagesJson: string | null;
  /** The pages set aside as the scanner's record of the sheet, [{file, page}]; null when not known. */
  readonly auditMarkJson: string | null;
  readonly at: string;
}

/** A writer for the reader pool: one prepared statement, a row per sheet as it finishes. */
export function sheetWriter(db: Db): (row: NewSheetRow) => void {
  const insert = db.prepare(
    `INSERT OR REPLACE INTO preaudit_sheets
       (sheet_key, files_json, status, style_id, error_code, error_message, targets_not_found, gray_contests, reading_json, read_at, pages_json, audit_mark_json, style_from)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return (r) => {
    insert.run(r.key, JSON.stringify(r.files), r.status, r.styleId, r.errorCode, r.errorMessage, r.targetsNotFound, r.grayContests, r.readingJson, r.at, r.pagesJson, r.auditMarkJson, r.styleFrom);
  };
}

/** Keys of every sheet with a row (read or failed): a pass skips them. */
export function storedSheetKeys(db: Db): Set<string> {
  return new Set(db.prepare<[], { sheet_key: string }>('SELECT sheet_key FROM preaudit_sheets').all().map((r) => r.sheet_key));
}

export interface SheetState {
  readonly sheet_key: string;
  readonly status: string;
  readonly error_code: string | null;
  readonly style_id: string | null;
  /** How its style was known (interpret.ts StyleSource); null when read before this was kept. */
  readonly style_from: string | null;
}

export function sheetStates(db: Db): SheetState[] {
  return db.prepare<[], SheetState>('SELECT sheet_key, status, error_code, style_id, style_from FROM preaudit_sheets').all();
}

/** A read sheet's style is now known another way (its CVR's ballot type confirmed the only style). */
export function setStyleFrom(db: Db, sheetKey: string, styleFrom: string): void {
  db.prepare(`UPDATE preaudit_sheets SET style_from = ? WHERE sheet_key = ? AND status = 'read'`).run(styleFrom, sheetKey);
}

/** One read sheet becomes 'not read' with this code and message (e.g. printed as another style than its CVR says). */
export function setSheetAside(db: Db, sheetKey: string, code: string, message: string): void {
  db.prepare(`UPDATE preaudit_sheets SET status = 'error', error_code = ?, error_message = ?, reading_json = NULL, pages_json = NULL WHERE sheet_key = ? AND status = 'read'`).run(
    code,
    message,
    sheetKey,
  );
}

/** The contest readings of a read sheet; undefined when the sheet is not read (an error, or set aside). */
export function readingsOf(db: Db): (sheetKey: string) => ContestReading[] | undefined {
  const read = db.prepare<[string], { reading_json: string | null }>(`SELECT reading_json FROM preaudit_sheets WHERE sheet_key = ? AND status = 'read'`);
  return (sheetKey) => {
    const json = read.get(sheetKey)?.reading_json;
    return json == null ? undefined : parseStored(storedReadings, json, 'reading');
  };
}

const quoted = (codes: readonly string[]): string => codes.map((c) => `'${c.replaceAll("'", "''")}'`).join(', ');

export interface SheetError {
  readonly sheet_key: string;
  readonly error_code: string;
  readonly error_message: string;
}

/** Sheets that failed since `since` with a code not among `except`, oldest first. */
export function sheetErrorsSince(db: Db, since: string, except: readonly string[]): SheetError[] {
  return db
    .prepare<[string], SheetError>(
      `SELECT sheet_key, error_code, error_message FROM preaudit_sheets WHERE status = 'error' AND read_at >= ? AND error_code NOT IN (${quoted(except)}) ORDER BY read_at, sheet_key`,
    )
    .all(since);
}

export function countSheetErrorsSince(db: Db, since: string, except: readonly string[]): number {
  return (
    db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM preaudit_sheets WHERE status = 'error' AND read_at >= ? AND error_code NOT IN (${quoted(except)})`).get(since)?.n ??
    0
  );
}

/** Failed sheets per error code, for the codes given. */
export function sheetErrorCounts(db: Db, codes: readonly string[]): Map<string, number> {
  return new Map(
    db
      .prepare<[], { code: string; n: number }>(`SELECT error_code AS code, count(*) AS n FROM preaudit_sheets WHERE status = 'error' AND error_code IN (${quoted(codes)}) GROUP BY error_code`)
      .all()
      .map((r) => [r.code, r.n]),
  );
}

/** Failed sheets with this error code (`is`), or with any other (`isNot`). */
export function countSheetErrors(db: Db, code: string, match: 'is' | 'isNot'): number {
  return db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM preaudit_sheets WHERE status = 'error' AND error_code ${match === 'is' ? '=' : '!='} ?`).get(code)?.n ?? 0;
}

/** Sheets that failed with this code, e.g. the printed style was none of the learned ones. */
export function sheetKeysWithError(db: Db, code: string): string[] {
  return db
    .prepare<[string], { sheet_key: string }>(`SELECT sheet_key FROM preaudit_sheets WHERE status = 'error' AND error_code = ?`)
    .all(code)
    .map((r) => r.sheet_key);
}

export function countSheetsOfStyle(db: Db, styleId: string): number {
  return db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM preaudit_sheets WHERE style_id = ?`).get(styleId)?.n ?? 0;
}

/** Forgets these sheets' readings: the next pass reads them again. */
export function forgetSheets(db: Db, keys: readonly string[]): void {
  const del = db.prepare(`DELETE FROM preaudit_sheets WHERE sheet_key = ?`);
  db.transaction(() => {
    for (const k of keys) del.run(k);
  })();
}

/** Forgets the readings of every sheet read with this style; returns how many. */
export function forgetSheetsOfStyle(db: Db, styleId: string): number {
  return db.prepare(`DELETE FROM preaudit_sheets WHERE style_id = ?`).run(styleId).changes;
}

/** Read sheets of a style become 'not read' with this code and message (their style waits for a person). */
export function setSheetsAside(db: Db, styleId: string, code: string, message: string): void {
  db.prepare(`UPDATE preaudit_sheets SET status = 'error', error_code = ?, error_message = ?, reading_json = NULL, pages_json = NULL WHERE status = 'read' AND style_id = ?`).run(
    code,
    message,
    styleId,
  );
}

/** Changes whenever a sheet row is added or read again (with the import signature, when to compare again). */
export function sheetsSignature(db: Db): string {
  return db.prepare<[], { s: string }>(`SELECT count(*) || ':' || coalesce(max(read_at), '') AS s FROM preaudit_sheets`).get()?.s ?? '';
}

// ---- preaudit_sheet_files and preaudit_comparisons ----

/** One stored contest comparison: compare.ts's, with its sheet, ballot and title (and 'no-cvr' for a ballot without one). */
export interface ComparisonRow extends Omit<ContestComparison, 'verdict'> {
  readonly sheetKey: string;
  readonly ballotKey: string;
  readonly contestTitle: string;
  readonly verdict: ContestVerdict | 'no-cvr';
}

export interface SheetFiles {
  readonly sheetKey: string;
  readonly imageKey: string | null;
  readonly fileVersionIds: readonly number[];
}

const storedFileIds = z.array(z.number().int());

/** The catalogued files of every compared sheet; a row whose stored ids do not parse is left out. */
export function storedSheetFiles(db: Db): SheetFiles[] {
  const rows = db.prepare<[], { sheet_key: string; image_key: string | null; ids: string }>(`SELECT sheet_key, image_key, file_version_ids_json AS ids FROM preaudit_sheet_files`).all();
  return rows.flatMap((r) => {
    const ids = storedFileIds.safeParse(JSON.parse(r.ids));
    return ids.success ? [{ sheetKey: r.sheet_key, imageKey: r.image_key, fileVersionIds: ids.data }] : [];
  });
}

/**
 * Stores one comparison pass in one transaction: the files of every sheet, the comparison rows (upserted so their
 * ids, used by the web UI's links, stay stable), and drops the rows of sheets not in `keep`.
 */
export function saveComparisons(db: Db, files: readonly SheetFiles[], rows: readonly ComparisonRow[], keep: ReadonlySet<string>, at: string): void {
  const upsert = db.prepare(
    `INSERT INTO preaudit_comparisons (sheet_key, ballot_key, contest_id, contest_title, verdict, image_votes_json, cvr_votes_json, marginal_json,
       ems_ambiguous_json, image_overvote, cvr_overvote, undervotes, write_ins, compared_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (sheet_key, contest_id) DO UPDATE SET ballot_key = excluded.ballot_key, contest_title = excluded.contest_title,
       verdict = excluded.verdict, image_votes_json = excluded.image_votes_json, cvr_votes_json = excluded.cvr_votes_json,
       marginal_json = excluded.marginal_json, ems_ambiguous_json = excluded.ems_ambiguous_json, image_overvote = excluded.image_overvote, cvr_overvote = excluded.cvr_overvote,
       undervotes = excluded.undervotes, write_ins = excluded.write_ins, compared_at = excluded.compared_at`,
  );
  const fileRow = db.prepare(`INSERT OR REPLACE INTO preaudit_sheet_files (sheet_key, image_key, file_version_ids_json) VALUES (?, ?, ?)`);
  db.transaction(() => {
    for (const f of files) fileRow.run(f.sheetKey, f.imageKey, JSON.stringify(f.fileVersionIds));
    for (const r of rows) {
      upsert.run(
        r.sheetKey,
        r.ballotKey,
        r.contestId,
        r.contestTitle,
        r.verdict,
        JSON.stringify(r.imageVotes),
        JSON.stringify(r.cvrVotes),
        JSON.stringify(r.marginal),
        JSON.stringify(r.emsAmbiguous),
        r.imageOvervote ? 1 : 0,
        r.cvrOvervote ? 1 : 0,
        r.undervotes,
        r.writeIns,
        at,
      );
    }
    // Sheets whose images changed or disappeared from the export, or that are not read, are no longer compared.
    const stale = db.prepare<[], { sheet_key: string }>(`SELECT DISTINCT sheet_key FROM preaudit_comparisons`).all().filter((r) => !keep.has(r.sheet_key));
    const del = db.prepare(`DELETE FROM preaudit_comparisons WHERE sheet_key = ?`);
    for (const r of stale) del.run(r.sheet_key);
  })();
}

export function countDisagreements(db: Db): number {
  return db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM preaudit_comparisons WHERE verdict = 'disagree'`).get()?.n ?? 0;
}

// ---- preaudit_learned_styles: styles learned by OCR (or mapped by a person), per contest definitions ----

export interface CachedStyle {
  readonly styleId: string;
  readonly status: 'mapped' | 'needs-person';
  readonly layout: StyleLayout;
  readonly printed: string;
  readonly reason: string | null;
  readonly unresolved: UnresolvedTarget[];
  readonly pages: number;
  readonly handMapping: HandMappingData;
  readonly mappedBy: string | null;
}

interface CachedStyleRow {
  style_id: string;
  status: 'mapped' | 'needs-person';
  layout_json: string;
  printed: string;
  reason: string | null;
  unresolved_json: string | null;
  pages: number;
  mapping_json: string | null;
  mapped_by: string | null;
}

const STYLE_COLUMNS = 'style_id, status, layout_json, printed, reason, unresolved_json, pages, mapping_json, mapped_by';

/** The stored hand-mapping data of a style waiting for a person (empty where nothing was stored). */
export function handMappingFrom(json: string | null): HandMappingData {
  return json === null ? { placed: [], samples: [] } : parseStored(storedHandMapping, json, 'hand-mapping data');
}
export function unresolvedFrom(json: string | null): UnresolvedTarget[] {
  return json === null ? [] : parseStored(storedUnresolved, json, 'unresolved targets');
}
export function layoutFrom(json: string): StyleLayout {
  return parseStored(storedLayout, json, 'style layout');
}

function toCachedStyle(r: CachedStyleRow): CachedStyle {
  return {
    styleId: r.style_id,
    status: r.status,
    layout: layoutFrom(r.layout_json),
    printed: r.printed,
    reason: r.reason,
    unresolved: unresolvedFrom(r.unresolved_json),
    pages: r.pages,
    handMapping: handMappingFrom(r.mapping_json),
    mappedBy: r.mapped_by,
  };
}

/** The styles cached for these contest definitions, by style id. */
export function cachedStyles(db: Db, definitionsSha256: string): CachedStyle[] {
  return db.prepare<[string], CachedStyleRow>(`SELECT ${STYLE_COLUMNS} FROM preaudit_learned_styles WHERE definitions_sha256 = ? ORDER BY style_id`).all(definitionsSha256).map(toCachedStyle);
}

export function cachedStyle(db: Db, definitionsSha256: string, styleId: string): CachedStyle | undefined {
  const row = db.prepare<[string, string], CachedStyleRow>(`SELECT ${STYLE_COLUMNS} FROM preaudit_learned_styles WHERE definitions_sha256 = ? AND style_id = ?`).get(definitionsSha256, styleId);
  return row === undefined ? undefined : toCachedStyle(row);
}

export interface NewLearnedStyle {
  readonly styleId: string;
  readonly status: 'mapped' | 'needs-person';
  readonly layout: StyleLayout;
  readonly printed: string;
  readonly reason: string | null;
  readonly unresolved: readonly UnresolvedTarget[] | null;
  readonly pages: number;
  readonly ocrMs: number | null;
  readonly handMapping: HandMappingData | null;
}

/**
 * Caches newly learned styles; sheets read with an earlier, different layout of a style (other contest names) are
 * forgotten so they are read again, with the style itself or its placeholder (`placeholderOf`).
 */
export function saveLearnedStyles(db: Db, definitionsSha256: string, styles: readonly NewLearnedStyle[], placeholderOf: (styleId: string) => string, at: string): void {
  const previous = db.prepare<[string], { layout_json: string }>(`SELECT layout_json FROM preaudit_learned_styles WHERE style_id = ? ORDER BY learned_at DESC LIMIT 1`);
  const insert = db.prepare(
    `INSERT OR REPLACE INTO preaudit_learned_styles (definitions_sha256, style_id, status, layout_json, printed, reason, unresolved_json, pages, ocr_ms, learned_at, mapping_json)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const dropReadings = db.prepare(`DELETE FROM preaudit_sheets WHERE style_id = ? OR style_id = ?`);
  db.transaction(() => {
    for (const s of styles) {
      const json = JSON.stringify(s.layout);
      const before = previous.get(s.styleId);
      if (before !== undefined && before.layout_json !== json) dropReadings.run(s.styleId, placeholderOf(s.styleId));
      const unresolved = s.unresolved === null ? null : JSON.stringify(s.unresolved);
      const hand = s.handMapping === null ? null : JSON.stringify(s.handMapping);
      insert.run(definitionsSha256, s.styleId, s.status, json, s.printed, s.reason, unresolved, s.pages, s.ocrMs, at, hand);
    }
  })();
}

/** A person's mapping replaces the placeholder; the sheets set aside under `placeholderId` are forgotten (read again). */
export function saveHandMappedStyle(db: Db, definitionsSha256: string, styleId: string, layout: StyleLayout, actor: string, placeholderId: string): number {
  let forgotten = 0;
  db.transaction(() => {
    db.prepare(
      `UPDATE preaudit_learned_styles SET status = 'mapped', layout_json = ?, reason = NULL, unresolved_json = NULL, mapped_by = ? WHERE definitions_sha256 = ? AND style_id = ?`,
    ).run(JSON.stringify(layout), actor, definitionsSha256, styleId);
    forgotten = forgetSheetsOfStyle(db, placeholderId);
  })();
  return forgotten;
}
