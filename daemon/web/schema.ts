import type { MigrationSet } from '../core/db/database.ts';

/**
 * Local web accounts and their sessions. Sessions store only a SHA-256 of the cookie token,
 * so a copy of the database does not hand out live logins.
 */
export const webMigrations: MigrationSet = {
  area: 'web',
  steps: [
    `
    CREATE TABLE users (
      id INTEGER PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      role TEXT NOT NULL CHECK (role IN ('operator', 'observer')),
      password_hash TEXT NOT NULL,   -- "scrypt$N$r$p$<salt b64>$<key b64>"
      created_at TEXT NOT NULL,
      password_changed_at TEXT NOT NULL
    );

    CREATE TABLE sessions (
      token_sha256 TEXT PRIMARY KEY,
      user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      csrf_token TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL,
      last_seen_at TEXT NOT NULL
    );
    CREATE INDEX sessions_expiry ON sessions (expires_at);
    `,
    // A user switched off by `ballotsafe user disable` (NULL: may log in).
    `ALTER TABLE users ADD COLUMN disabled_at TEXT;`,
  ],
};
