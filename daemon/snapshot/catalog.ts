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
