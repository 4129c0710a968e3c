import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * One snapshot at a time across processes (daemon and CLI). The lock itself is an exclusive
 * SQLite transaction on `snapshot.lock.db` in dataDir: SQLite holds it with a POSIX record lock,
 * which the kernel drops when the holder dies (kill -9, crash), so a dead holder never leaves a
 * stale lock to break, and there is no takeover race. `snapshot.lock` beside it only says who
 * holds it (pid, process start time, since, purpose), for the operator's message. The holder must
 * keep its SnapshotLock reachable: a garbage-collected connection lets go of the lock.
 */
const holderSchema = z.object({ pid: z.number().int(), startTime: z.string(), since: z.string(), purpose: z.string() });
export type LockHolder = z.infer<typeof holderSchema>;

function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime) counts from after the parenthesised command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

const UNKNOWN_HOLDER: LockHolder = { pid: -1, startTime: '', since: '', purpose: 'unknown' };

export class SnapshotLock {
  private readonly infoPath: string;
  private readonly lockPath: string;
  private held: Database.Database | undefined;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.infoPath = join(dataDir, 'snapshot.lock');
    this.lockPath = join(dataDir, 'snapshot.lock.db');
  }

  /** Returns undefined when acquired, or who holds it (as far as its note says). */
  tryAcquire(purpose: string): LockHolder | undefined {
    if (this.held !== undefined) return this.readHolder() ?? UNKNOWN_HOLDER;
    // timeout 0: a held lock answers SQLITE_BUSY at once instead of waiting.
    const db = new Database(this.lockPath, { timeout: 0 });
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (e) {
      db.close();
      if ((e as { code?: string }).code === 'SQLITE_BUSY') return this.readHolder() ?? UNKNOWN_HOLDER;
      throw e;
    }
    this.held = db;
    const me: LockHolder = { pid: process.pid, startTime: processStartTime(process.pid) ?? '', since: new Date().toISOString(), purpose };
    const tmp = `${this.infoPath}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(me));
    renameSync(tmp, this.infoPath);
    return undefined;
  }

  release(): void {
    const db = this.held;
    if (db === undefined) return;
    this.held = undefined;
    try {
      unlinkSync(this.infoPath);
    } catch {
      /* already gone */
    }
    db.exec('ROLLBACK');
    db.close();
  }

  private readHolder(): LockHolder | undefined {
    try {
      return holderSchema.parse(JSON.parse(readFileSync(this.infoPath, 'utf8')));
    } catch {
      return undefined;
    }
  }
}
