import type { MigrationSet } from '../db/migrations.ts';

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
  ],
};
