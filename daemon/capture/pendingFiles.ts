/**
 * Files seen new or changed, waiting to settle: a file is copied once it has stopped changing,
 * and a file that could not be copied waits here for its retry. `inflight` holds the keys on
 * the copy queue or in an uncommitted batch (the scan must not report those as vanished).
 */
import { lstatSync } from 'node:fs';
import type { CatalogWriter } from './catalogWriter.ts';
import { childPath } from './dirAccess.ts';
import type { DirHandleCache } from './dirHandleCache.ts';
import type { FileStat } from './copyProtocol.ts';
import { pendingKey, rowMatches, sameStat, splitRel, toStat, type CaptureRoot, type CaptureSettings, type Pending } from './captureTypes.ts';

/** Where settled files go: the copy queue. */
export interface SettledSink {
  enqueue(key: string, p: Pending): void;
  waitForRoom(): Promise<void>;
}

export class PendingFiles {
  private readonly pending = new Map<string, Pending>();
  readonly inflight = new Set<string>();

  constructor(
    private readonly settings: CaptureSettings,
    private readonly writer: CatalogWriter,
    private readonly dirs: DirHandleCache,
    private readonly sink: SettledSink,
  ) {}

  count(): number {
    return this.pending.size;
  }

  countFor(rootLabel: string): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.root.label === rootLabel) n++;
    return n;
  }

  get(key: string): Pending | undefined {
    return this.pending.get(key);
  }

  delete(key: string): void {
    this.pending.delete(key);
  }

  /** Drops what is still pending for a root gone for good (an export stick that was removed). */
  forget(rootLabel: string): void {
    for (const [key, p] of [...this.pending]) if (p.root.label === rootLabel && !this.inflight.has(key)) this.pending.delete(key);
  }

  /** Earliest time a pending file should be looked at again (undefined: nothing pending). */
  nextAt(): number | undefined {
    let next: number | undefined;
    for (const p of this.pending.values()) {
      const at = Math.max(p.nextTryAt, p.observedAt + this.settings.settleMs);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  retryLater(p: Pending, delayMs: number): void {
    p.attempts++;
    p.nextTryAt = Date.now() + delayMs;
    this.pending.set(pendingKey(p.root.label, p.relPath), p);
  }

  /** A file that is new or differs from its catalog row: capture once settled. */
  consider(root: CaptureRoot, key: string, relRaw: Buffer, relPath: string, st: FileStat, now: number, capturedSize: number | undefined): void {
    if (this.inflight.has(key)) return;
    let p = this.pending.get(key);
    if (p === undefined) {
      p = { root, relRaw, relPath, stat: st, observedAt: now, firstSeenAt: new Date(now).toISOString(), capturedSize, attempts: 0, nextTryAt: 0 };
      this.pending.set(key, p);
    } else if (!sameStat(p.stat, st)) {
      p.stat = st;
      p.observedAt = now;
      p.capturedSize = capturedSize;
    }
    if (now < p.nextTryAt) return;
    if (this.isSettled(p, now)) this.sink.enqueue(key, p);
  }

  /**
   * Settled when size and mtime have been seen unchanged for settleMs, or when the kernel's
   * ctime (bumped by every write and every utimes) is already older than settleMs.
   */
  private isSettled(p: Pending, now: number): boolean {
    const settle = this.settings.settleMs;
    if (settle === 0) return true;
    const changedMs = Number((p.stat.ctimeNs > p.stat.mtimeNs ? p.stat.ctimeNs : p.stat.mtimeNs) / 1_000_000n);
    return now - p.observedAt >= settle || now - changedMs >= settle;
  }

  /** Looks again at pending files (called by a timer): capture those now settled. */
  async processPending(): Promise<void> {
    const now = Date.now();
    for (const [key, p] of [...this.pending]) {
      if (this.inflight.has(key) || now < p.nextTryAt) continue;
      if (now - p.observedAt < this.settings.settleMs && !this.isSettled(p, now)) continue;
      const st = this.statPending(p);
      if (st === undefined) {
        this.pending.delete(key);
        continue;
      }
      if (!sameStat(st, p.stat)) {
        p.stat = st;
        p.observedAt = now;
        continue;
      }
      const row = this.writer.current(p.root.label, p.relPath);
      if (row !== undefined && rowMatches(row, st)) {
        this.pending.delete(key);
        continue;
      }
      if (this.isSettled(p, now)) this.sink.enqueue(key, p);
      await this.sink.waitForRoom();
    }
  }

  /** lstat of a pending file through its folder's descriptor; undefined when it is no longer a regular file there. */
  private statPending(p: Pending): FileStat | undefined {
    const { dir, name } = splitRel(p.relRaw);
    const opened = this.dirs.acquire(p.root.path, dir);
    if (!opened.ok) return undefined; // its folder is gone or became a link: the folder scan reports it
    try {
      const s = lstatSync(childPath(opened.value.access, name), { bigint: true });
      return s.isFile() ? toStat(s) : undefined;
    } catch {
      return undefined; // gone before it settled (e.g. a temp name renamed away)
    } finally {
      opened.value.release();
    }
  }
}
