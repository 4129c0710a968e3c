import type { MigrationSet } from '../core/db/database.ts';

/**
 * The normalized election data. Every row belongs to one import source (one captured file
 * version). A source is 'loading' while its rows stream in, 'active' once complete, 'failed' when
 * the file was bad (its partial rows are removed) and 'superseded' when a newer version of the
 * same file became active. Readers only look at active sources, so a bad or half-imported file
 * never hides or mixes with data imported earlier.
 */
export const importMigrations: MigrationSet = {
  area: 'import',
  steps: [
    `
    CREATE TABLE import_sources (
      id INTEGER PRIMARY KEY,
      file_version_id INTEGER,       -- catalog row (file_versions.id) when imported from the vault
      name TEXT NOT NULL,            -- "<root>:<rel_path>" or a file system path; shown in reports
      scope TEXT NOT NULL,           -- the export folder; Dominion ids resolve within one scope
      sha256 TEXT NOT NULL,
      format TEXT NOT NULL,          -- dominion-cvr, dominion-manifest, ess-cvr, nist-cvr, eif, results, ignored
      state TEXT NOT NULL CHECK (state IN ('loading', 'active', 'failed', 'superseded')),
      records INTEGER NOT NULL DEFAULT 0,
      warnings_json TEXT,
      error_json TEXT,
      started_at TEXT NOT NULL,
      finished_at TEXT
    );
    CREATE INDEX import_sources_name ON import_sources (name, state);
    CREATE INDEX import_sources_version ON import_sources (file_version_id);

    CREATE TABLE import_contests (
      source_id INTEGER NOT NULL REFERENCES import_sources (id),
      scope TEXT NOT NULL,
      contest_key TEXT NOT NULL,
      name TEXT NOT NULL,
      vote_for INTEGER,
      num_ranks INTEGER,
      PRIMARY KEY (source_id, contest_key)
    );
    CREATE TABLE import_options (
      source_id INTEGER NOT NULL REFERENCES import_sources (id),
      scope TEXT NOT NULL,
      contest_key TEXT NOT NULL,
      option_key TEXT NOT NULL,
      name TEXT NOT NULL,
      party TEXT,
      option_type TEXT,
      PRIMARY KEY (source_id, contest_key, option_key)
    );
    CREATE TABLE import_lookups (
      source_id INTEGER NOT NULL REFERENCES import_sources (id),
      scope TEXT NOT NULL,
      kind TEXT NOT NULL,
      lookup_key TEXT NOT NULL,
      name TEXT NOT NULL,
      PRIMARY KEY (source_id, kind, lookup_key)
    );

    CREATE TABLE cvr_records (
      id INTEGER PRIMARY KEY,
      source_id INTEGER NOT NULL REFERENCES import_sources (id),
      scope TEXT NOT NULL,
      tabulator TEXT,
      batch TEXT,
      record_id TEXT,
      cvr_number TEXT,
      image_key TEXT,
      ballot_style TEXT,
      precinct TEXT,
      counting_group TEXT,
      session_type TEXT
    );
    CREATE INDEX cvr_records_source ON cvr_records (source_id);
    CREATE INDEX cvr_records_image ON cvr_records (image_key);

    CREATE TABLE cvr_votes (
      cvr_id INTEGER NOT NULL REFERENCES cvr_records (id),
      contest_key TEXT NOT NULL,
      option_key TEXT NOT NULL,
      rank INTEGER NOT NULL DEFAULT 1,
      is_vote INTEGER NOT NULL,
      is_ambiguous INTEGER NOT NULL DEFAULT 0,
      mark_density REAL
    );
    CREATE INDEX cvr_votes_cvr ON cvr_votes (cvr_id);

    -- Election Information File rows (AuditEngine layout), contest cells already carried down.
    CREATE TABLE eif_rows (
      source_id INTEGER NOT NULL REFERENCES import_sources (id),
      row_number INTEGER NOT NULL,
      official_contest TEXT NOT NULL,
      vote_for INTEGER,
      official_option TEXT,
      party TEXT,
      cvr_contest TEXT,
      cvr_option TEXT,
      ballot_contest TEXT,
      ballot_option TEXT,
      extra_json TEXT
    );

    -- Published results summary; suppressed = ballots withheld from the CVR export for privacy.
    CREATE TABLE results_rows (
      source_id INTEGER NOT NULL REFERENCES import_sources (id),
      row_number INTEGER NOT NULL,
      contest TEXT NOT NULL,
      option TEXT,
      votes INTEGER,
      ballots_cast INTEGER,
      suppressed INTEGER
    );
    `,
    `
    -- Link from catalog image files to CVR records: the image's join key (see imageKeys.ts),
    -- computed once per captured image version. cvr_records.image_key = image_keys.image_key.
    CREATE TABLE image_keys (
      file_version_id INTEGER PRIMARY KEY REFERENCES file_versions (id),
      image_key TEXT
    );
    CREATE INDEX image_keys_key ON image_keys (image_key);
    `,
    `
    -- What the vendor said per mark and per contest besides the vote itself: Dominion outstack
    -- conditions (ids resolved through import_lookups kind 'outstack-condition') and the
    -- per-contest Undervotes/Overvotes counts; ES&S "undervote"/"overvote" cells.
    ALTER TABLE cvr_votes ADD COLUMN conditions TEXT;
    CREATE TABLE cvr_contest_status (
      cvr_id INTEGER NOT NULL REFERENCES cvr_records (id),
      contest_key TEXT NOT NULL,
      undervotes INTEGER,
      overvotes INTEGER,
      conditions TEXT
    );
    CREATE INDEX cvr_contest_status_cvr ON cvr_contest_status (cvr_id);
    -- Finds the same ballot in two exports (a Dominion zip and its CSV, an older export).
    CREATE INDEX cvr_records_identity ON cvr_records (record_id, batch, tabulator);
    `,
    `
    -- Which process is loading a source ("<boot id>:<pid>"), so the cleanup of imports cut off by
    -- a crash or kill never removes an import another live process is still writing.
    ALTER TABLE import_sources ADD COLUMN owner TEXT;
    `,
    `
    -- The ballot images inside a captured ballot-image zip (ES&S Electionware), listed from its
    -- central directory once per captured version (zipImages.ts), so phase 1 counts and links them
    -- like image files. problem: why the zip could not be listed (damaged, a possible bomb).
    CREATE TABLE zip_image_listings (
      file_version_id INTEGER PRIMARY KEY REFERENCES file_versions (id),
      problem TEXT
    );
    CREATE TABLE zip_images (
      file_version_id INTEGER NOT NULL REFERENCES zip_image_listings (file_version_id),
      member TEXT NOT NULL,
      image_key TEXT,
      PRIMARY KEY (file_version_id, member)
    );
    `,
    `
    -- What the zip's directory says of each image's bytes (no SHA-256 without unpacking): the same
    -- CRC-32 and size twice is the same image twice. NULL for images listed before this was kept.
    ALTER TABLE zip_images ADD COLUMN crc32 INTEGER;
    ALTER TABLE zip_images ADD COLUMN size INTEGER;
    `,
  ],
};
