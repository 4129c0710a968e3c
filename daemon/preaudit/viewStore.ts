import { z } from 'zod';
import type { Db } from '../core/db/database.ts';
import type { ReadSheet } from '../importer/rescans.ts';
import { isEssLayout } from './essLearn.ts';

/**
 * The pre-audit's read queries for the web pages and reports (issue #17: its tables are read only in its
 * store files). store.ts holds the writes and the service's reads.
 */

export interface StoredComparison {
  id: number;
  sheet_key: string;
  ballot_key: string;
  contest_id: string;
  contest_title: string;
  image_votes_json: string;
  cvr_votes_json: string;
}

/** A sheet's stored pages and the catalog ids of its files, both JSON as stored. */
export function sheetPagesAndFiles(
  db: Db,
  sheetKey: string,
): { pages_json: string | null; files_json: string; file_version_ids_json: string | null; audit_mark_json: string | null; style_from: string | null } | undefined {
  return db
    .prepare<[string], { pages_json: string | null; files_json: string; file_version_ids_json: string | null; audit_mark_json: string | null; style_from: string | null }>(
      `SELECT s.pages_json, s.files_json, f.file_version_ids_json, s.audit_mark_json, s.style_from FROM preaudit_sheets s LEFT JOIN preaudit_sheet_files f ON f.sheet_key = s.sheet_key WHERE s.sheet_key = ?`,
    )
    .get(sheetKey);
}

/** Ballots compared (with a CVR) and contests that disagree, from the stored results. */
export function comparisonCounts(db: Db): { ballots: number; disagreements: number } | undefined {
  return db
    .prepare<[], { ballots: number; disagreements: number }>(
      `SELECT (SELECT count(DISTINCT sheet_key) FROM preaudit_comparisons WHERE verdict != 'no-cvr') AS ballots,
                (SELECT count(*) FROM preaudit_comparisons WHERE verdict = 'disagree') AS disagreements`,
    )
    .get();
}

/** The newest disagreements first. */
export function latestDisagreements(db: Db, limit: number): StoredComparison[] {
  return db.prepare<[number], StoredComparison>(`SELECT * FROM preaudit_comparisons WHERE verdict = 'disagree' ORDER BY id DESC LIMIT ?`).all(limit);
}

export function disagreementById(db: Db, id: number): StoredComparison | undefined {
  return db.prepare<[number], StoredComparison>(`SELECT * FROM preaudit_comparisons WHERE id = ? AND verdict = 'disagree'`).get(id);
}

/** Every contest compared on one sheet, with the CVR's choices (JSON as stored). */
export function contestsOfSheet(db: Db, sheetKey: string): { contest_id: string; contest_title: string; cvr_votes_json: string }[] {
  return db
    .prepare<[string], { contest_id: string; contest_title: string; cvr_votes_json: string }>(
      `SELECT contest_id, contest_title, cvr_votes_json FROM preaudit_comparisons WHERE sheet_key = ?`,
    )
    .all(sheetKey);
}

/** Every comparison, in ballot then contest order (the report's table). */
export function allComparisons<Row>(db: Db): Row[] {
  return db.prepare<[], Row>(`SELECT * FROM preaudit_comparisons ORDER BY ballot_key, contest_id`).all();
}

/** Comparison counts per contest and verdict. */
export function verdictCounts(db: Db): { contest_id: string; contest_title: string; verdict: string; n: number }[] {
  return db
    .prepare<[], { contest_id: string; contest_title: string; verdict: string; n: number }>(
      `SELECT contest_id, max(contest_title) AS contest_title, verdict, count(*) AS n FROM preaudit_comparisons GROUP BY contest_id, verdict`,
    )
    .all();
}

export interface LearnedStyleRow {
  style_id: string;
  status: 'mapped' | 'needs-person';
  layout_json: string;
  printed: string;
  reason: string | null;
  unresolved_json: string | null;
  pages: number;
  learned_at: string;
  mapped_by: string | null;
  /** Targets OCR placed on a style waiting for a person, and its sample pages (store.ts handMappingFrom). */
  mapping_json: string | null;
}

/** The styles of the contest definitions learned last (older definitions' rows stay as history). */
export function latestLearnedStyles(db: Db): LearnedStyleRow[] {
  const latest = db
    .prepare<[], { definitions_sha256: string }>(`SELECT definitions_sha256 FROM preaudit_learned_styles ORDER BY learned_at DESC LIMIT 1`)
    .get();
  if (latest === undefined) return [];
  return db
    .prepare<[string], LearnedStyleRow>(
      `SELECT style_id, status, layout_json, printed, reason, unresolved_json, pages, learned_at, mapped_by, mapping_json FROM preaudit_learned_styles
         WHERE definitions_sha256 = ? ORDER BY status = 'needs-person', style_id`,
    )
    .all(latest.definitions_sha256);
}

/** Sheets read with a style, and sheets waiting under its placeholder; one prepared statement for many styles. */
export function sheetCountsOfStyle(db: Db): (mapped: string, placeholder: string) => { read: number; waiting: number } | undefined {
  const sheets = db.prepare<[{ mapped: string; placeholder: string }], { read: number; waiting: number }>(
    `SELECT count(*) FILTER (WHERE status = 'read' AND style_id = @mapped) AS read,
              count(*) FILTER (WHERE status = 'error' AND style_id = @placeholder) AS waiting
       FROM preaudit_sheets WHERE style_id IN (@mapped, @placeholder)`,
  );
  return (mapped, placeholder) => sheets.get({ mapped, placeholder });
}

/** A style waiting for a person, under the given contest definitions. */
export function styleNeedingPerson(
  db: Db,
  definitionsSha256: string,
  styleId: string,
): { printed: string; reason: string | null; unresolved_json: string | null; mapping_json: string | null; layout_json: string } | undefined {
  return db
    .prepare<[string, string], { printed: string; reason: string | null; unresolved_json: string | null; mapping_json: string | null; layout_json: string }>(
      `SELECT printed, reason, unresolved_json, mapping_json, layout_json FROM preaudit_learned_styles WHERE definitions_sha256 = ? AND style_id = ? AND status = 'needs-person'`,
    )
    .get(definitionsSha256, styleId);
}

export interface ReadSheetWithFiles {
  sheet_key: string;
  style_id: string | null;
  style_from: string | null;
  pages_json: string | null;
  /** The reader's paths of the sheet's images (a zip member's: `<zip>\0<member>`, zipMembers.ts), JSON. */
  files_json: string;
  image_key: string | null;
  file_version_ids_json: string | null;
}

/** Every sheet read (with its pages and image key) and the catalog ids of its files; for the independent CVR. */
export function readSheetsWithFiles(db: Db): ReadSheetWithFiles[] {
  return db
    .prepare<[], ReadSheetWithFiles>(
      `SELECT s.sheet_key, s.style_id, s.style_from, s.pages_json, s.files_json, f.image_key, f.file_version_ids_json
         FROM preaudit_sheets s LEFT JOIN preaudit_sheet_files f ON f.sheet_key = s.sheet_key
        WHERE s.status = 'read' AND s.pages_json IS NOT NULL`,
    )
    .all();
}

/** The AuditMark pages each read sheet's reader set aside (JSON as stored; null when read before they were kept). */
export function storedAuditMarkJson(db: Db): Map<string, string | null> {
  const rows = db.prepare<[], { sheet_key: string; audit_mark_json: string | null }>(`SELECT sheet_key, audit_mark_json FROM preaudit_sheets WHERE status = 'read'`).all();
  return new Map(rows.map((r) => [r.sheet_key, r.audit_mark_json]));
}

const fillsSchema = z.array(z.object({ targets: z.array(z.object({ fill: z.number(), ink: z.string().optional() })) }));

/**
 * The importer's phase-1 rescan check's input (importer/rescans.ts ReadSheets): every sheet read, with the
 * fill of each target, in key order. A sheet whose stored pages do not parse, or without a style, is left out.
 */
export function readSheetFills(db: Db): ReadSheet[] {
  const hasTable = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'preaudit_sheets'`).get();
  if ((hasTable?.n ?? 0) === 0) return [];
  const rows = db
    .prepare<[], { sheet_key: string; style_id: string | null; pages_json: string | null }>(
      `SELECT sheet_key, style_id, pages_json FROM preaudit_sheets WHERE status = 'read' AND pages_json IS NOT NULL ORDER BY sheet_key`,
    )
    .all();
  const sheets: ReadSheet[] = [];
  for (const r of rows) {
    const pages = fillsSchema.safeParse(JSON.parse(r.pages_json ?? '[]'));
    if (!pages.success || r.style_id === null) continue;
    const targets = pages.data.flatMap((p) => p.targets);
    // Readings stored before marks' ink was kept have none: the fills alone are compared for them.
    const inks = targets.some((t) => t.ink !== undefined) ? targets.map((t) => t.ink) : undefined;
    // ES&S's black-and-white scans show two voters' filled ovals alike: not compared (rescans.ts).
    const marksTellHands = !isEssLayout({ styleId: r.style_id });
    sheets.push({ sheetKey: r.sheet_key, styleId: r.style_id, fills: targets.map((t) => t.fill), ...(inks === undefined ? {} : { inks }), ...(marksTellHands ? {} : { marksTellHands }) });
  }
  return sheets;
}
