import type { MigrationSet } from '../core/db/database.ts';

/**
 * Snapshot state. A snapshot's whole bag (every tag file, signature included) is decided and stored
 * here before anything is written to a drive, so an interrupted snapshot can be finished later,
 * byte for byte, on any drive (recovery, catch-up, replacement drive).
 */
export const snapshotMigrations: MigrationSet = {
  area: 'snapshot',
  steps: [
    `
    CREATE TABLE snapshots (
      id INTEGER PRIMARY KEY,
      election TEXT NOT NULL,
      sequence INTEGER NOT NULL,
      bag_name TEXT NOT NULL UNIQUE,
      reason TEXT NOT NULL,
      actor TEXT NOT NULL,
      full INTEGER NOT NULL,
      -- 'pending': planned, not yet complete on any drive; 'complete': on both drives of its run;
      -- 'degraded': complete on one drive only (catch-up brings the other level).
      state TEXT NOT NULL CHECK (state IN ('pending', 'complete', 'degraded')),
      started_at TEXT NOT NULL,
      finished_at TEXT,
      files INTEGER NOT NULL,
      bytes INTEGER NOT NULL,
      root_hash TEXT NOT NULL,
      previous_root_hash TEXT,
      tag_files_json TEXT NOT NULL,
      UNIQUE (election, sequence)
    );
    CREATE TABLE snapshot_items (
      snapshot_id INTEGER NOT NULL REFERENCES snapshots (id),
      file_version_id INTEGER NOT NULL,
      payload_path TEXT NOT NULL,
      sha256 TEXT NOT NULL,
      size INTEGER NOT NULL,
      PRIMARY KEY (snapshot_id, file_version_id)
    );
    CREATE INDEX snapshot_items_version ON snapshot_items (file_version_id);
    -- One row per (snapshot, drive) write attempt outcome, including catch-ups.
    CREATE TABLE snapshot_drive_writes (
      id INTEGER PRIMARY KEY,
      snapshot_id INTEGER NOT NULL REFERENCES snapshots (id),
      role TEXT NOT NULL,
      drive_root TEXT NOT NULL,
      serial TEXT,
      uuid TEXT,
      label TEXT,
      purpose TEXT NOT NULL CHECK (purpose IN ('snapshot', 'catch-up', 'recovery')),
      state TEXT NOT NULL CHECK (state IN ('writing', 'complete', 'failed')),
      error_code TEXT,
      error_message TEXT,
      started_at TEXT NOT NULL,
      finished_at TEXT
    );
    CREATE INDEX snapshot_drive_writes_snapshot ON snapshot_drive_writes (snapshot_id);
    `,
  ],
};
