import type { Db } from '../core/db/database.ts';

/**
 * The importer's bookkeeping reads and small updates on import_sources, and the listings of ballot-image zips
 * (zipImages.ts) (issue #17: its tables are read only in its store files). store.ts holds the SourceWriter;
 * activeRows.ts the reads of the active sources' rows.
 */

export interface PreviousImport {
  id: number;
  state: string;
  error_json: string | null;
  records: number;
  format: string;
}

/** The last import (active or failed) of this content under this name. */
export function previousImport(db: Db, name: string, sha256: string): PreviousImport | undefined {
  return db
    .prepare<[string, string], PreviousImport>(
      `SELECT id, state, error_json, records, format FROM import_sources
       WHERE name = ? AND sha256 = ? AND state IN ('active', 'failed') ORDER BY id DESC LIMIT 1`,
    )
    .get(name, sha256);
}

/** A source's warnings, JSON as stored. */
export function sourceWarningsJson(db: Db, sourceId: number): string | null | undefined {
  return db.prepare<[number], { w: string | null }>(`SELECT warnings_json AS w FROM import_sources WHERE id = ?`).get(sourceId)?.w;
}

export function markSourceCvrZip(db: Db, sourceId: number): void {
  db.prepare(`UPDATE import_sources SET format = 'cvr-zip' WHERE id = ?`).run(sourceId);
}

/** Names of the active Dominion manifests of a folder. */
export function activeManifestNames(db: Db, scope: string): string[] {
  return db
    .prepare<[string], { name: string }>(`SELECT name FROM import_sources WHERE scope = ? AND state = 'active' AND format = 'dominion-manifest'`)
    .all(scope)
    .map((r) => r.name);
}

/** Names of the other active sources of a folder in one format. */
export function otherActiveNames(db: Db, scope: string, format: string, name: string): string[] {
  return db
    .prepare<[string, string, string], { name: string }>(`SELECT name FROM import_sources WHERE scope = ? AND format = ? AND state = 'active' AND name <> ?`)
    .all(scope, format, name)
    .map((r) => r.name);
}

/** The highest source id so far (0 before the first import). */
export function lastSourceId(db: Db): number | undefined {
  return db.prepare<[], { m: number | null }>('SELECT max(id) AS m FROM import_sources').get()?.m ?? undefined;
}

/** Sources that failed after a given id, oldest first. */
export function failedSourcesAfter(db: Db, id: number): { id: number; name: string; error_json: string | null }[] {
  return db
    .prepare<[number], { id: number; name: string; error_json: string | null }>(`SELECT id, name, error_json FROM import_sources WHERE state = 'failed' AND id > ? ORDER BY id`)
    .all(id);
}

/** Other active sources of a folder in these (Dominion) formats sharing ballots (tabulator, batch, record) with this one. */
export function dominionSharedBallots(db: Db, sourceId: number, scope: string, name: string, dominionFormats: readonly string[]): { id: number; name: string; records: number; shared: number }[] {
  const formats = dominionFormats.map((f) => `'${f}'`).join(', ');
  return db
    .prepare<[string, string, number], { id: number; name: string; records: number; shared: number }>(
      `SELECT s.id, s.name, s.records, count(*) AS shared
       FROM cvr_records m
       JOIN cvr_records o ON o.record_id = m.record_id AND o.batch IS m.batch AND o.tabulator IS m.tabulator
       JOIN import_sources s ON s.id = o.source_id AND s.state = 'active' AND s.format IN (${formats}) AND s.scope = ? AND s.name <> ?
       WHERE m.source_id = ? AND m.record_id IS NOT NULL AND m.tabulator IS NOT NULL
       GROUP BY s.id`,
    )
    .all(scope, name, sourceId);
}

/** True once a ballot-image zip's version was listed (zipImages.ts), even if it could not be. */
export function zipListed(db: Db, fileVersionId: number): boolean {
  return db.prepare<[number], { n: number }>(`SELECT 1 AS n FROM zip_image_listings WHERE file_version_id = ?`).get(fileVersionId) !== undefined;
}

/** One image member of a listed zip. */
export interface ZipImageRow {
  readonly member: string;
  readonly imageKey: string | null;
  /** As the zip's directory lists them. */
  readonly crc32: number | null;
  readonly size: number | null;
}

/** Records a zip version's listing: its image members, or why it could not be listed. */
export function recordZipListing(db: Db, fileVersionId: number, problem: string | null, images: readonly ZipImageRow[]): void {
  const listing = db.prepare(`INSERT OR IGNORE INTO zip_image_listings (file_version_id, problem) VALUES (?, ?)`);
  const image = db.prepare(`INSERT OR IGNORE INTO zip_images (file_version_id, member, image_key, crc32, size) VALUES (?, ?, ?, ?, ?)`);
  db.transaction(() => {
    if (listing.run(fileVersionId, problem).changes === 0) return; // listed already (another process)
    for (const i of images) image.run(fileVersionId, i.member, i.imageKey, i.crc32, i.size);
  })();
}

export interface ZipListingRow {
  readonly fileVersionId: number;
  readonly problem: string | null;
}

/** The listings of these zip versions (the caller passes the current ones). */
export function zipListings(db: Db, fileVersionIds: readonly number[]): ZipListingRow[] {
  const get = db.prepare<[number], ZipListingRow>(`SELECT file_version_id AS fileVersionId, problem FROM zip_image_listings WHERE file_version_id = ?`);
  return fileVersionIds.map((id) => get.get(id)).filter((r): r is ZipListingRow => r !== undefined);
}

/** The image members of one listed zip version, in name order. */
export function zipImagesOf(db: Db, fileVersionId: number): ZipImageRow[] {
  return db
    .prepare<[number], ZipImageRow>(`SELECT member, image_key AS imageKey, crc32, size FROM zip_images WHERE file_version_id = ? ORDER BY member`)
    .all(fileVersionId);
}
