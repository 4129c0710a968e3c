import type { MigrationSet } from '../core/db/database.ts';

/** Export sticks (issue #16): the USB sticks that carry EMS exports across an air gap. */
export const intakeMigrations: MigrationSet = {
  area: 'intake',
  steps: [
    `
    -- An enrolled export stick: recognised by its serial (or, without one, its file-system UUID).
    -- Nothing is written to the stick: it is only ever mounted read-only.
    CREATE TABLE export_sticks (
      id TEXT PRIMARY KEY,
      serial TEXT,
      fs_uuid TEXT,
      label TEXT,
      description TEXT NOT NULL,
      ems TEXT NOT NULL,               -- which EMS it carries exports from
      enrolled_at TEXT NOT NULL,
      enrolled_by TEXT NOT NULL,
      retired_at TEXT
    );

    -- One row per intake: the custody record of what came in on a stick.
    CREATE TABLE stick_intakes (
      id INTEGER PRIMARY KEY,
      stick_id TEXT NOT NULL REFERENCES export_sticks (id),
      root_label TEXT NOT NULL UNIQUE,  -- the capture root its files are catalogued under
      serial TEXT,
      fs_uuid TEXT,
      ems TEXT NOT NULL,
      brought_by TEXT,                  -- entered by the operator (before or after the capture)
      started_at TEXT NOT NULL,
      finished_at TEXT,
      -- reading: being captured; captured: every file on the stick is in the vault;
      -- incomplete: the stick went away or files could not be read; refused: not read at all.
      status TEXT NOT NULL CHECK (status IN ('reading', 'captured', 'incomplete', 'refused')),
      file_count INTEGER NOT NULL DEFAULT 0,
      total_bytes INTEGER NOT NULL DEFAULT 0,
      files_on_stick INTEGER,
      manifest_sha256 TEXT,
      links_not_followed INTEGER NOT NULL DEFAULT 0,
      special_files INTEGER NOT NULL DEFAULT 0,
      message TEXT NOT NULL DEFAULT '',
      removable INTEGER NOT NULL DEFAULT 0 CHECK (removable IN (0, 1))
    );
    CREATE INDEX stick_intakes_started ON stick_intakes (started_at);
    `,
  ],
};
