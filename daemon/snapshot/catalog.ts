import type { Db } from '../core/db/database.ts';

/** A captured file version as the snapshot engine needs it (a row of capture's file_versions). */
export interface CatalogVersion {
  readonly id: number;
  readonly rootLabel: string;
  readonly relPath: string;
  readonly size: number;
  readonly mtimeNs: string;
  readonly sha256: string;
  readonly kind: string;
  readonly capturedAt: string;
}

/** What the engine reads from the catalog. Capture's CatalogStore can implement this later. */
export interface CatalogSource {
  /** Every captured version, oldest first (by id). */
  allVersions(): CatalogVersion[];
  /** Versions not yet in any (pending or sealed) snapshot, oldest first. */
  versionsNotInSnapshots(): CatalogVersion[];
}

const columns = `id, root_label AS rootLabel, rel_path AS relPath, size, mtime_ns AS mtimeNs, sha256, kind, captured_at AS capturedAt`;

/** Reads capture's file_versions table directly (schema in daemon/capture/schema.ts). */
export class SqlCatalogSource implements CatalogSource {
  constructor(private readonly db: Db) {}

  allVersions(): CatalogVersion[] {
    return this.db.prepare<[], CatalogVersion>(`SELECT ${columns} FROM file_versions ORDER BY id`).all();
  }

  versionsNotInSnapshots(): CatalogVersion[] {
    return this.db
      .prepare<[], CatalogVersion>(
        `SELECT ${columns} FROM file_versions fv
         WHERE NOT EXISTS (SELECT 1 FROM snapshot_items si WHERE si.file_version_id = fv.id)
         ORDER BY id`,
      )
      .all();
  }
}
