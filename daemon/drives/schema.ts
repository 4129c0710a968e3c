import type { MigrationSet } from '../core/db/database.ts';

export const drivesMigrations: MigrationSet = {
  area: 'drives',
  steps: [
    `
    -- Enrolled drives. A drive is recognised by serial + file-system UUID (USB) or its folder
    -- (folder drives), and must carry an identity file with the same drive id.
    CREATE TABLE enrolled_drives (
      id TEXT PRIMARY KEY,             -- drive id, also in ballotsafe/drive-identity.json
      role TEXT NOT NULL CHECK (role IN ('A', 'B')),
      rotation_set INTEGER,            -- null: no rotation sets
      kind TEXT NOT NULL CHECK (kind IN ('usb', 'folder')),
      serial TEXT,
      fs_uuid TEXT,
      label TEXT,
      folder_path TEXT,
      enrolled_at TEXT NOT NULL,
      enrolled_by TEXT NOT NULL,
      retired_at TEXT,                 -- set when the drive is re-enrolled or replaced
      retired_reason TEXT
    );
    CREATE INDEX enrolled_drives_active ON enrolled_drives (retired_at, kind);

    -- Chain of custody: one row per hand-off of a verified snapshot to the safes.
    CREATE TABLE custody_records (
      id INTEGER PRIMARY KEY,
      recorded_at TEXT NOT NULL,
      snapshot_sequence INTEGER NOT NULL,
      root_hash TEXT NOT NULL,
      bag_name TEXT NOT NULL,
      operator TEXT NOT NULL,
      witness TEXT,
      drives_json TEXT NOT NULL        -- [{role, driveId, serial, uuid, destination, ejected, poweredOff}]
    );
    CREATE TRIGGER custody_records_no_update BEFORE UPDATE ON custody_records
      BEGIN SELECT RAISE(ABORT, 'custody_records are append-only'); END;
    CREATE TRIGGER custody_records_no_delete BEFORE DELETE ON custody_records
      BEGIN SELECT RAISE(ABORT, 'custody_records are append-only'); END;

    -- A drive back from the safe: verified on plug-in, result kept.
    CREATE TABLE drive_returns (
      id INTEGER PRIMARY KEY,
      drive_id TEXT NOT NULL REFERENCES enrolled_drives (id),
      checked_at TEXT NOT NULL,
      ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
      files_checked INTEGER NOT NULL,
      summary TEXT NOT NULL,
      problems_json TEXT NOT NULL
    );
    CREATE INDEX drive_returns_drive ON drive_returns (drive_id, checked_at);
    `,
  ],
};
