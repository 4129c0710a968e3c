import type { MigrationSet } from './database.ts';

export const coreMigrations: MigrationSet = {
  area: 'core',
  steps: [
    `
    -- Operator-visible alerts: tamper signals, failures, low space. Acknowledged, never deleted.
    CREATE TABLE alerts (
      id INTEGER PRIMARY KEY,
      raised_at TEXT NOT NULL,
      severity TEXT NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
      code TEXT NOT NULL,
      message TEXT NOT NULL,
      action TEXT,
      subject TEXT,            -- e.g. "central-scan:Tabulator00001/Batch001/x.tif" or a drive serial
      details_json TEXT,
      acknowledged_by TEXT,
      acknowledged_at TEXT
    );
    CREATE INDEX alerts_open ON alerts (acknowledged_at, raised_at);

    -- Append-only audit log of operator and system actions.
    CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,     -- user name, or "system"
      action TEXT NOT NULL,    -- e.g. "snapshot.requested", "alert.acknowledged"
      details_json TEXT
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

    -- Small key/value facts about this appliance (appliance id, ...).
    CREATE TABLE appliance_facts (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL
    );
    `,
  ],
};
