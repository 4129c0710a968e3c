import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { oneWriterAtATime } from './writeDiscipline.ts';

export type Db = Database.Database;

/** One ordered list of steps per area. Never edit a shipped step; append a new one. */
export interface MigrationSet {
  readonly area: string;
  readonly steps: readonly string[];
}

/**
 * Opens a SQLite database with the given areas' migrations (the full list is runtime/migrations.ts): WAL so readers (web UI) never block the writer,
 * FULL sync because a catalog row is a promise that the vault holds the object.
 */
export function openDatabase(path: string, migrations: readonly MigrationSet[]): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  oneWriterAtATime(db); // the daemon and CLI commands write this file from separate processes
  migrate(db, migrations);
  return db;
}

/**
 * Versioned migrations, one ordered list per area (capture, snapshot, import, ...).
 * Each step runs once, in a transaction, and is recorded in `schema_migrations`.
 */
export function migrate(db: Db, sets: readonly MigrationSet[]): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    area TEXT NOT NULL,
    version INTEGER NOT NULL,
    applied_at TEXT NOT NULL,
    PRIMARY KEY (area, version)
  )`);
  const applied = db.prepare<[string], { v: number | null }>('SELECT max(version) AS v FROM schema_migrations WHERE area = ?');
  const record = db.prepare('INSERT INTO schema_migrations (area, version, applied_at) VALUES (?, ?, ?)');
  for (const set of sets) {
    const current = applied.get(set.area)?.v ?? 0;
    set.steps.forEach((sql, index) => {
      const version = index + 1;
      if (version <= current) return;
      db.transaction(() => {
        db.exec(sql);
        record.run(set.area, version, new Date().toISOString());
      })();
    });
  }
}
