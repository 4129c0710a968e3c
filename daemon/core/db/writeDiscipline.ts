import type Database from 'better-sqlite3';

/** How long a write waits for another process's write to finish before it fails as busy. */
export const WRITE_WAIT_MS = 5000;

/**
 * Several processes write the one state database (the daemon; a CLI snapshot, import or scan), and
 * SQLite lets one write at a time. So, on every connection:
 * - busy_timeout: a write waits up to `waitMs` for the other writer instead of failing at once;
 * - every `db.transaction(...)` starts with BEGIN IMMEDIATE (takes the write lock first, waiting
 *   like any write). A deferred transaction that reads and then writes cannot wait: SQLite fails
 *   its upgrade to a writer at once when another process writes, whatever busy_timeout says. That
 *   was the "database is locked" of a capture batch while a CLI snapshot ran (issue #17).
 *   `.deferred(...)` stays available for a transaction that only reads.
 */
export function oneWriterAtATime(db: Database.Database, waitMs = WRITE_WAIT_MS): void {
  db.pragma(`busy_timeout = ${Math.max(0, Math.floor(waitMs))}`);
  const deferredFirst = db.transaction.bind(db);
  const immediateFirst = <F extends (...args: never[]) => unknown>(fn: F): Database.Transaction<F> => {
    const t = deferredFirst(fn);
    // Calling the transaction itself now runs its .immediate variant; the others are kept as they were.
    return Object.assign(t.immediate.bind(t), { default: t.immediate, deferred: t.deferred, immediate: t.immediate, exclusive: t.exclusive }) as Database.Transaction<F>;
  };
  db.transaction = immediateFirst as Database.Database['transaction'];
}

/** SQLite refused a write because another connection held the write lock past the wait. */
export function isDatabaseBusy(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}
