import type { MigrationSet } from '../core/db/database.ts';

export const preauditMigrations: MigrationSet = {
  area: 'preaudit',
  steps: [
    `
    -- One row per sheet read (or failed): the run is resumable by skipping keys already here.
    CREATE TABLE preaudit_sheets (
      sheet_key TEXT PRIMARY KEY,      -- image key (importer's join key, e.g. d:10102_1_1) or file path
      files_json TEXT NOT NULL,        -- the image files of the sheet
      status TEXT NOT NULL CHECK (status IN ('read', 'error')),
      style_id TEXT,
      error_code TEXT,
      error_message TEXT,
      targets_not_found INTEGER,
      gray_contests INTEGER,
      reading_json TEXT,               -- per contest: selected, marginal, overvote, undervotes, write-ins
      read_at TEXT NOT NULL
    );
    CREATE INDEX preaudit_sheets_status ON preaudit_sheets (status);
    `,
    `
    -- Step 2 (PreauditService): target boxes per page, the catalog files of each sheet, and the
    -- per ballot/contest comparison with the CVR. Comparison rows are upserted so their ids (used
    -- by the web UI's links) stay stable when a pass recomputes them.
    ALTER TABLE preaudit_sheets ADD COLUMN pages_json TEXT;  -- SheetPage[]: file/page, size, target boxes
    CREATE TABLE preaudit_sheet_files (
      sheet_key TEXT PRIMARY KEY,
      image_key TEXT,                 -- importer's join key (cvr_records.image_key), null if the name has none
      file_version_ids_json TEXT NOT NULL  -- file_versions.id of the sheet's files, in the job's file order
    );
    CREATE TABLE preaudit_comparisons (
      id INTEGER PRIMARY KEY,
      sheet_key TEXT NOT NULL,
      ballot_key TEXT NOT NULL,
      contest_id TEXT NOT NULL,
      contest_title TEXT NOT NULL,
      verdict TEXT NOT NULL CHECK (verdict IN ('agree', 'disagree', 'gray', 'no-cvr')),
      image_votes_json TEXT NOT NULL,
      cvr_votes_json TEXT NOT NULL,
      marginal_json TEXT NOT NULL,
      image_overvote INTEGER NOT NULL,
      cvr_overvote INTEGER NOT NULL,
      undervotes INTEGER NOT NULL,
      write_ins INTEGER NOT NULL,
      compared_at TEXT NOT NULL,
      UNIQUE (sheet_key, contest_id)
    );
    CREATE INDEX preaudit_comparisons_verdict ON preaudit_comparisons (verdict, id);
    `,
    `
    -- Step 3 (learnLayouts): ballot styles learned from the images and mapped by OCR, cached so the
    -- OCR is not repeated after a restart. Keyed by the contest definitions they were mapped with:
    -- new contest names (a new import) mean learning again.
    CREATE TABLE preaudit_learned_styles (
      definitions_sha256 TEXT NOT NULL,
      style_id TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('mapped', 'needs-person')),
      layout_json TEXT NOT NULL,       -- StyleLayout; for needs-person the style's codes without targets
      printed TEXT NOT NULL,           -- what the pages print (style/card, bottom-row codes)
      reason TEXT,                     -- why a person must map it
      unresolved_json TEXT,            -- targets OCR could not place: side, column, row, text read, reason
      pages INTEGER NOT NULL,
      ocr_ms INTEGER,
      learned_at TEXT NOT NULL,
      PRIMARY KEY (definitions_sha256, style_id)
    );
    `,
    `
    -- Step 4 (mapping a style by hand): for a style waiting for a person, what the OCR matcher did
    -- place and the sample page of each side with every target's box, so a person can map the rest
    -- on the Pre-audit page. mapped_by: who mapped a style by hand (null: learned by OCR).
    ALTER TABLE preaudit_learned_styles ADD COLUMN mapping_json TEXT;  -- { placed, samples } (StyleSample with fileVersionId)
    ALTER TABLE preaudit_learned_styles ADD COLUMN mapped_by TEXT;
    `,
    `
    -- Step 5 (#19, style from the CVR; AuditMark page kept): how a read sheet's style was known, and
    -- the pages the reader set aside as the scanner's own record (Dominion's AuditMark page), so the
    -- reports need not read the TIFF headers again. Null: read before these were kept.
    ALTER TABLE preaudit_sheets ADD COLUMN style_from TEXT;        -- 'printed-code' | 'only-style' | 'cvr-ballot-type'
    ALTER TABLE preaudit_sheets ADD COLUMN audit_mark_json TEXT;   -- [{ file, page }]: file index in the sheet's files, page from 0
    `,
    `
    -- Step 6: the options the EMS flagged as ambiguous marks in a compared contest, so a gray contest
    -- can say why it is gray when the image shows no doubtful mark (a faint mark gone from a 1-bit image).
    ALTER TABLE preaudit_comparisons ADD COLUMN ems_ambiguous_json TEXT;  -- option ids; null: compared before this was kept
    `,
  ],
};
