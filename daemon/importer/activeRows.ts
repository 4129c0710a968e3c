import type { Db } from '../core/db/database.ts';

/**
 * Reads of the active import sources' rows, for the phase-1 report, the pre-audit's contest definitions and the
 * Arlo manifest (issue #17: the importer's tables are read only in its store files).
 */

export interface ReportSource {
  id: number;
  name: string;
  format: string;
  state: string;
  records: number;
  warnings_json: string | null;
  error_json: string | null;
}

/** Active sources, and failed ones not imported again since, by name. */
export function reportSources(db: Db): ReportSource[] {
  return db
    .prepare<[], ReportSource>(
      `SELECT s.id, s.name, s.format, s.state, s.records, s.warnings_json, s.error_json FROM import_sources s
       WHERE s.state = 'active' OR (s.state = 'failed' AND NOT EXISTS (
         SELECT 1 FROM import_sources t WHERE t.name = s.name AND t.id > s.id AND t.state IN ('active', 'failed')))
       ORDER BY s.name`,
    )
    .all();
}

/** The image keys the active CVR records name. */
export function activeCvrImageKeys(db: Db): string[] {
  return db
    .prepare<[], { image_key: string }>(
      `SELECT DISTINCT r.image_key FROM cvr_records r JOIN import_sources s ON s.id = r.source_id AND s.state = 'active' WHERE r.image_key IS NOT NULL`,
    )
    .all()
    .map((r) => r.image_key);
}

export function activeCvrCount(db: Db): number | undefined {
  return db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM cvr_records r JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'`).get()?.n;
}

/** Ballot identities held by more than one active CVR record, with the ids of their sources (comma-separated). */
export function duplicateCvrIdentities(db: Db): { identity: string; n: number; sources: string }[] {
  return db
    .prepare<[], { identity: string; n: number; sources: string }>(
      `SELECT CASE WHEN r.record_id IS NOT NULL AND r.tabulator IS NULL AND r.batch IS NULL AND r.cvr_number IS NULL
                   -- a row number (ES&S without CVR numbers) identifies a ballot only within its file
                   THEN 'file ' || r.source_id || ', ' || r.record_id
                   WHEN r.record_id IS NOT NULL THEN 'tabulator ' || coalesce(r.tabulator, '?') || ', batch ' || coalesce(r.batch, '?') || ', record ' || r.record_id
                   ELSE 'CVR number ' || coalesce(r.cvr_number, '?') END AS identity,
              count(*) AS n, group_concat(DISTINCT r.source_id) AS sources
       FROM cvr_records r JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'
       -- A record with neither a record id nor a CVR number has no identity to compare.
       WHERE r.record_id IS NOT NULL OR r.cvr_number IS NOT NULL
       GROUP BY identity HAVING count(*) > 1 ORDER BY identity`,
    )
    .all();
}

export function activeContestNames(db: Db): { scope: string; contest_key: string; name: string }[] {
  return db
    .prepare<[], { scope: string; contest_key: string; name: string }>(
      `SELECT c.scope, c.contest_key, c.name FROM import_contests c JOIN import_sources s ON s.id = c.source_id AND s.state = 'active'`,
    )
    .all();
}

export function activeOptionNames(db: Db): { scope: string; contest_key: string; option_key: string; name: string; format: string }[] {
  return db
    .prepare<[], { scope: string; contest_key: string; option_key: string; name: string; format: string }>(
      `SELECT o.scope, o.contest_key, o.option_key, o.name, s.format FROM import_options o JOIN import_sources s ON s.id = o.source_id AND s.state = 'active'`,
    )
    .all();
}

/** First-choice votes per folder, contest and option over the active CVR records. */
export function firstChoiceTotals(db: Db): { scope: string; contest_key: string; option_key: string; votes: number }[] {
  return db
    .prepare<[], { scope: string; contest_key: string; option_key: string; votes: number }>(
      `SELECT r.scope, v.contest_key, v.option_key, sum(CASE WHEN v.is_vote = 1 AND v.rank = 1 THEN 1 ELSE 0 END) AS votes
       FROM cvr_votes v JOIN cvr_records r ON r.id = v.cvr_id JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'
       GROUP BY r.scope, v.contest_key, v.option_key`,
    )
    .all();
}

export function activeEifNamePairs(db: Db): { official_contest: string; official_option: string | null; cvr_contest: string | null; cvr_option: string | null }[] {
  return db
    .prepare<[], { official_contest: string; official_option: string | null; cvr_contest: string | null; cvr_option: string | null }>(
      `SELECT e.official_contest, e.official_option, e.cvr_contest, e.cvr_option FROM eif_rows e JOIN import_sources s ON s.id = e.source_id AND s.state = 'active' ORDER BY e.source_id, e.row_number`,
    )
    .all();
}

export interface ActiveResultsRow {
  contest: string;
  option: string | null;
  votes: number | null;
  ballots_cast: number | null;
  suppressed: number | null;
}

/** The published results' rows, in file order. */
export function activeResultsRows(db: Db): ActiveResultsRow[] {
  return db
    .prepare<[], ActiveResultsRow>(
      `SELECT r.contest, r.option, r.votes, r.ballots_cast, r.suppressed FROM results_rows r JOIN import_sources s ON s.id = r.source_id AND s.state = 'active' ORDER BY r.source_id, r.row_number`,
    )
    .all();
}

/** Active CVR records per tabulator and batch. */
export function recordsPerBatch(db: Db): { tabulator: string | null; batch: string | null; n: number }[] {
  return db
    .prepare<[], { tabulator: string | null; batch: string | null; n: number }>(
      `SELECT r.tabulator, r.batch, count(*) AS n FROM cvr_records r JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'
       GROUP BY r.tabulator, r.batch ORDER BY r.tabulator, r.batch`,
    )
    .all();
}

/** Active CVR records per tabulator and batch (or precinct), with their counting groups (comma-separated). */
export function arloBatches(db: Db): { scope: string; tabulator: string | null; batch: string | null; precinct: string | null; groups: string | null; n: number }[] {
  return db
    .prepare<[], { scope: string; tabulator: string | null; batch: string | null; precinct: string | null; groups: string | null; n: number }>(
      `SELECT r.scope, r.tabulator, coalesce(r.batch, r.precinct) AS batch, r.precinct, group_concat(DISTINCT r.counting_group) AS groups, count(*) AS n
       FROM cvr_records r JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'
       GROUP BY r.tabulator, coalesce(r.batch, r.precinct) ORDER BY r.tabulator, coalesce(r.batch, r.precinct)`,
    )
    .all();
}

/** The name of a counting group in a folder's lookups; one prepared statement for many groups. */
export function countingGroupNames(db: Db): (scope: string, key: string) => string | undefined {
  const groupName = db.prepare<[string, string], { name: string }>(
    `SELECT l.name FROM import_lookups l JOIN import_sources s ON s.id = l.source_id AND s.state = 'active'
     WHERE l.kind = 'counting-group' AND l.scope = ? AND l.lookup_key = ? LIMIT 1`,
  );
  return (scope, key) => groupName.get(scope, key)?.name;
}

/** Active sources that define contests, in import order. */
export function definingSources(db: Db): { name: string; format: string }[] {
  return db
    .prepare<[], { name: string; format: string }>(
      `SELECT name, format FROM import_sources WHERE state = 'active' AND format IN ('dominion-manifest', 'ess-cvr', 'nist-cvr', 'eif', 'vx-election') ORDER BY id`,
    )
    .all();
}

export function activeContestsInOrder(db: Db): { contest_key: string; name: string; vote_for: number | null; format: string }[] {
  return db
    .prepare<[], { contest_key: string; name: string; vote_for: number | null; format: string }>(
      `SELECT c.contest_key, c.name, c.vote_for, s.format FROM import_contests c JOIN import_sources s ON s.id = c.source_id AND s.state = 'active' ORDER BY s.id, c.rowid`,
    )
    .all();
}

export function activeOptionsInOrder(db: Db): { contest_key: string; option_key: string; name: string; option_type: string | null }[] {
  return db
    .prepare<[], { contest_key: string; option_key: string; name: string; option_type: string | null }>(
      `SELECT o.contest_key, o.option_key, o.name, o.option_type FROM import_options o JOIN import_sources s ON s.id = o.source_id AND s.state = 'active' ORDER BY s.id, o.rowid`,
    )
    .all();
}

export interface ActiveEifRow {
  official_contest: string;
  vote_for: number | null;
  official_option: string | null;
  cvr_contest: string | null;
  cvr_option: string | null;
  ballot_contest: string | null;
  ballot_option: string | null;
}

/** The EIF's rows with the ballot's own names, in file order. */
export function activeEifRows(db: Db): ActiveEifRow[] {
  return db
    .prepare<[], ActiveEifRow>(
      `SELECT e.official_contest, e.vote_for, e.official_option, e.cvr_contest, e.cvr_option, e.ballot_contest, e.ballot_option
       FROM eif_rows e JOIN import_sources s ON s.id = e.source_id AND s.state = 'active' ORDER BY e.source_id, e.row_number`,
    )
    .all();
}

export interface CvrOfImage {
  readonly cvrRecordId: number;
  readonly source: string;
  readonly tabulator: string | null;
  readonly batch: string | null;
  readonly recordId: string | null;
  readonly cvrNumber: string | null;
}

/** The active CVR records keyed to one image file. */
export function cvrsOfImageKey(db: Db, fileVersionId: number): CvrOfImage[] {
  return db
    .prepare<[number], CvrOfImage>(
      `SELECT r.id AS cvrRecordId, s.name AS source, r.tabulator, r.batch, r.record_id AS recordId, r.cvr_number AS cvrNumber
       FROM image_keys k JOIN cvr_records r ON r.image_key = k.image_key
       JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'
       WHERE k.file_version_id = ? ORDER BY r.id`,
    )
    .all(fileVersionId);
}

// ---- Image keys (the CVR join key of each captured image; imageLinks.ts computes them) ----

/** The newest catalog version keyed so far (0: none). Keys are added for every unkeyed image at once, so all older images are keyed. */
export function newestKeyedImageVersion(db: Db): number {
  return db.prepare<[], { m: number | null }>('SELECT max(file_version_id) AS m FROM image_keys').get()?.m ?? 0;
}

export function insertImageKeys(db: Db, keys: readonly { readonly fileVersionId: number; readonly imageKey: string | null }[]): void {
  const insert = db.prepare(`INSERT INTO image_keys (file_version_id, image_key) VALUES (?, ?)`);
  db.transaction(() => {
    for (const k of keys) insert.run(k.fileVersionId, k.imageKey);
  })();
}

/** The catalog versions whose image key is that of one CVR record (any status: the caller keeps the current ones). */
export function imageVersionsOfCvr(db: Db, cvrRecordId: number): number[] {
  return db
    .prepare<[number], { id: number }>(`SELECT k.file_version_id AS id FROM cvr_records r JOIN image_keys k ON k.image_key = r.image_key WHERE r.id = ?`)
    .all(cvrRecordId)
    .map((r) => r.id);
}

export interface ActiveCvrIdentity {
  source_id: number;
  tabulator: string | null;
  batch: string | null;
  record_id: string | null;
  cvr_number: string | null;
  image_key: string | null;
}

/** Every active CVR record's identity and image key, in import order. */
export function activeCvrIdentities(db: Db): ActiveCvrIdentity[] {
  return db
    .prepare<[], ActiveCvrIdentity>(
      `SELECT r.source_id, r.tabulator, r.batch, r.record_id, r.cvr_number, r.image_key FROM cvr_records r
       JOIN import_sources s ON s.id = r.source_id AND s.state = 'active' ORDER BY r.id`,
    )
    .all();
}
