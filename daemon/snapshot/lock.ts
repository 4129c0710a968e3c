import { closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * One snapshot at a time across processes (daemon and CLI): a lock file in dataDir created with
 * link(2), which is atomic. It names the owner's pid and process start time, so a lock left by a
 * dead process (kill -9, power loss) is recognised as stale and taken over.
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

function alive(holder: LockHolder): boolean {
  try {
    process.kill(holder.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  const start = processStartTime(holder.pid);
  return start === undefined || start === holder.startTime;
}

export class SnapshotLock {
  private readonly path: string;
  private held = false;

  constructor(dataDir: string) {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, 'snapshot.lock');
  }

  /** Returns undefined when acquired, or the live holder. */
  tryAcquire(purpose: string): LockHolder | undefined {
    const me: LockHolder = { pid: process.pid, startTime: processStartTime(process.pid) ?? '', since: new Date().toISOString(), purpose };
    const tmp = `${this.path}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(tmp, JSON.stringify(me));
    const fd = openSync(tmp, 'r');
    fsyncSync(fd);
    closeSync(fd);
    try {
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          linkSync(tmp, this.path);
          this.held = true;
          return undefined;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        }
        const text = this.readText();
        const holder = this.readHolder();
        if (holder !== undefined && alive(holder)) return holder;
        // Stale (or half-written) lock: move it aside (atomic), and only drop it if what we moved is
        // the stale one we judged; a fresh lock another process took meanwhile is put back.
        const aside = `${this.path}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`;
        try {
          renameSync(this.path, aside);
        } catch {
          continue; // someone else moved it
        }
        if (readFileSync(aside, 'utf8') !== text) {
          try {
            linkSync(aside, this.path);
          } catch {
            /* a third process holds it now */
          }
          unlinkSync(aside);
          return this.readHolder() ?? { pid: -1, startTime: '', since: '', purpose: 'unknown' };
        }
        unlinkSync(aside);
      }
      return this.readHolder() ?? { pid: -1, startTime: '', since: '', purpose: 'unknown' };
    } finally {
      unlinkSync(tmp);
    }
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      unlinkSync(this.path);
    } catch {
      /* already gone */
    }
  }

  private readText(): string | undefined {
    try {
      return readFileSync(this.path, 'utf8');
    } catch {
      return undefined;
    }
  }

  private readHolder(): LockHolder | undefined {
    try {
      return holderSchema.parse(JSON.parse(readFileSync(this.path, 'utf8')));
    } catch {
      return undefined;
    }
  }
}
