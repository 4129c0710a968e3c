import type { MigrationSet } from '../core/db/database.ts';

/**
 * The catalog: one row per captured version of a file. This is the contract the snapshot,
 * import, pre-audit and web layers read. A file path whose content changes gets a new row;
 * the old row stays (its vault object is kept) and is marked superseded.
 */
export const captureMigrations: MigrationSet = {
  area: 'capture',
  steps: [
    `
    CREATE TABLE file_versions (
      id INTEGER PRIMARY KEY,
      root_label TEXT NOT NULL,
      -- Path relative to the root, '/'-separated. Bytes that are not valid UTF-8 are written as
      -- %XX (and a literal '%' as %25) so the name stays reversible; rel_path_raw holds the bytes.
      rel_path TEXT NOT NULL,
      rel_path_raw BLOB NOT NULL,
      size INTEGER NOT NULL,
      mtime_ns TEXT NOT NULL,      -- nanoseconds as decimal text (bigint does not fit a double)
      ctime_ns TEXT NOT NULL,
      inode TEXT NOT NULL,
      sha256 TEXT NOT NULL,        -- lowercase hex; the vault object's name
      kind TEXT NOT NULL CHECK (kind IN ('ballot-image', 'cvr', 'election-definition', 'pollbook', 'log', 'other')),
      first_seen_at TEXT NOT NULL, -- when the watcher first saw this path with this content
      captured_at TEXT NOT NULL,   -- when the vault object and this row were committed
      -- 'current' while the export still holds this content; 'changed' when the file's content
      -- later changed (a newer row exists); 'deleted' when the file disappeared from the export.
      status TEXT NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'changed', 'deleted')),
      superseded_at TEXT
    );
    CREATE INDEX file_versions_path ON file_versions (root_label, rel_path, status);
    CREATE INDEX file_versions_sha ON file_versions (sha256);
    CREATE INDEX file_versions_captured ON file_versions (captured_at);

    -- Symlinks inside a root are recorded with their target, never followed.
    CREATE TABLE symlinks (
      id INTEGER PRIMARY KEY,
      root_label TEXT NOT NULL,
      rel_path TEXT NOT NULL,
      target TEXT NOT NULL,
      first_seen_at TEXT NOT NULL,
      status TEXT NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'changed', 'deleted')),
      UNIQUE (root_label, rel_path, target)
    );
    `,
    // Step 2 (capture internals; no column changes): the scanner asks the catalog one directory at
    // a time, keyed by rtrim(rel_path, replace(rel_path, '/', '')) = everything up to the last '/'.
    // At most one 'current' row per path.
    `
    CREATE INDEX file_versions_dir ON file_versions (root_label, rtrim(rel_path, replace(rel_path, '/', '')), status);
    CREATE UNIQUE INDEX file_versions_one_current ON file_versions (root_label, rel_path) WHERE status = 'current';
    CREATE INDEX symlinks_dir ON symlinks (root_label, rtrim(rel_path, replace(rel_path, '/', '')), status);
    `,
    // Step 3: FIFOs, sockets and devices found in an export: listed (never opened, never captured).
    `
    CREATE TABLE special_files (
      id INTEGER PRIMARY KEY,
      root_label TEXT NOT NULL,
      rel_path TEXT NOT NULL,
      file_type TEXT NOT NULL CHECK (file_type IN ('fifo', 'socket', 'char-device', 'block-device', 'unknown')),
      first_seen_at TEXT NOT NULL,
      status TEXT NOT NULL DEFAULT 'current' CHECK (status IN ('current', 'gone')),
      UNIQUE (root_label, rel_path, file_type)
    );
    CREATE INDEX special_files_dir ON special_files (root_label, rtrim(rel_path, replace(rel_path, '/', '')), status);
    `,
    // Step 4 (capture internals): a rescan's per-folder question answered from the index alone.
    // Reading a table page for every file was half of a rescan's time on a cold disk.
    `
    DROP INDEX file_versions_dir;
    CREATE INDEX file_versions_dir_stat ON file_versions (root_label, rtrim(rel_path, replace(rel_path, '/', '')), status, rel_path, size, mtime_ns, ctime_ns, inode);
    `,
  ],
};
