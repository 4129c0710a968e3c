import type { MigrationSet } from '../core/db/database.ts';

/**
 * Custody guards in the database, so they hold across web requests, the CLI and a crash:
 * a snapshot gets at most one custody record, and a hand-off in progress holds a claim on its
 * snapshot (the drives are ejected before the record is written, so the record alone is too late).
 */
export const custodyMigrations: MigrationSet = {
  area: 'custody',
  steps: [
    `
    CREATE TABLE handoff_claims (
      snapshot_sequence INTEGER PRIMARY KEY,
      claimed_at TEXT NOT NULL,
      claimed_by TEXT NOT NULL
    );
    -- Records written before this guard may hold duplicates; from now on one per snapshot.
    CREATE TRIGGER custody_records_one_per_snapshot BEFORE INSERT ON custody_records
      WHEN EXISTS (SELECT 1 FROM custody_records WHERE snapshot_sequence = NEW.snapshot_sequence)
      BEGIN SELECT RAISE(ABORT, 'snapshot already handed off'); END;
    `,
    // Issue #15 hand-off form: the signing key id goes on the printed sheet; seals live in drives_json (zod-checked).
    `
    ALTER TABLE custody_records ADD COLUMN signing_key_id TEXT;
    `,
  ],
};
