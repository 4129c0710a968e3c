/**
 * The copy queue: settled files are copied into the vault's temp folder by the copy workers
 * (hash and copy in one read), re-checked after reading, and handed to the batch committer.
 * The queue has a high-water mark: scans wait for room instead of queueing a whole tree.
 */
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import type { BatchCommitter } from './batchCommitter.ts';
import { childPath } from './dirAccess.ts';
import type { DirHandleCache } from './dirHandleCache.ts';
import type { CopyPool } from './copyPool.ts';
import type { PendingFiles } from './pendingFiles.ts';
import type { Vault, TempObject } from './vault.ts';
import type { VaultSpace } from './vaultSpace.ts';
import { splitRel, type CaptureAlerts, type CaptureCounters, type CaptureTimings, type CaptureHooks, type CaptureJob, type CaptureSettings, type Pending } from './captureTypes.ts';

const UNREADABLE_CODES = new Set(['EACCES', 'EPERM', 'EIO', 'ENXIO', 'EAGAIN', 'EWOULDBLOCK']);
const QUEUE_HIGH_WATER = 2000;

export interface CopyQueueParts {
  readonly concurrency: number;
  readonly settings: CaptureSettings;
  readonly hooks: CaptureHooks;
  readonly counters: CaptureCounters;
  readonly timings: CaptureTimings;
  readonly logger: Logger;
  readonly alerts: CaptureAlerts;
  readonly vault: Vault;
  readonly space: VaultSpace;
  readonly dirs: DirHandleCache;
  readonly copyPool: CopyPool;
  readonly pending: PendingFiles;
  readonly commits: BatchCommitter;
}

export class CopyQueue {
  private readonly queue: CaptureJob[] = [];
  private active = 0;
  private roomWaiters: (() => void)[] = [];

  constructor(private readonly c: CopyQueueParts) {}

  /** No copy running or waiting. */
  isEmpty(): boolean {
    return this.active === 0 && this.queue.length === 0;
  }

  enqueue(key: string, p: Pending): void {
    const inflight = this.c.pending.inflight;
    if (inflight.has(key)) return;
    inflight.add(key);
    this.queue.push({ key, pending: p });
    this.pump();
  }

  async waitForRoom(): Promise<void> {
    if (this.queue.length < QUEUE_HIGH_WATER) return;
    await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  private pump(): void {
    while (this.active < this.c.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.active++;
      this.captureOne(job)
        .catch((e: unknown) => {
          // A bug or an unexpected I/O error: keep the file pending and say so.
          this.c.counters.failed++;
          this.c.pending.inflight.delete(job.key);
          this.c.pending.retryLater(job.pending, this.c.settings.retryMs);
          logEvent(this.c.logger, LogEvent.CaptureError, { root: job.pending.root.label, relPath: job.pending.relPath, error: String(e) }, 'error');
        })
        .finally(() => {
          this.active--;
          if (this.queue.length < QUEUE_HIGH_WATER / 2) for (const w of this.roomWaiters.splice(0)) w();
          this.pump();
          if (this.isEmpty()) this.c.commits.flush();
        });
    }
  }

  private async captureOne(job: CaptureJob): Promise<void> {
    const { pending, space, settings } = this.c;
    const p = job.pending;
    const subject = `${p.root.label}:${p.relPath}`;
    if (!(await space.reserve(p.stat.size, subject))) {
      pending.inflight.delete(job.key);
      pending.retryLater(p, settings.retryMs);
      return;
    }
    let reserved = p.stat.size;
    const release = () => {
      space.release(reserved);
      reserved = 0;
    };
    const { dir, name } = splitRel(p.relRaw);
    // The copy worker opens the file through this descriptor (O_NOFOLLOW): a folder swapped for a
    // symlink after the scan is never followed.
    const opened = this.c.dirs.acquire(p.root.path, dir);
    if (!opened.ok) {
      release();
      this.dropOrRetry(job, opened.error.code, `cannot open its folder (${opened.error.code})`, subject);
      return;
    }
    const handle = opened.value;
    try {
      const path = childPath(handle.access, name);
      const hook = this.c.hooks.afterFirstChunk;
      const tempPath = this.c.vault.newTempPath();
      // A file longer than its captured version: also hash that many first bytes (an append keeps them).
      const prefixBytes = p.capturedSize !== undefined && p.capturedSize < p.stat.size ? p.capturedSize : undefined;
      const copied = await this.c.copyPool.copy(path, tempPath, hook === undefined ? undefined : () => hook(p.root.label, p.relPath), prefixBytes);
      if (copied.kind === 'not-a-file') {
        release();
        pending.inflight.delete(job.key);
        pending.delete(job.key);
        return;
      }
      if (copied.kind === 'open-failed') {
        release();
        this.dropOrRetry(job, copied.code, copied.message, subject);
        return;
      }
      if (copied.kind === 'copy-failed') {
        release();
        if (copied.side === 'vault' && copied.code !== 'ENOSPC') {
          pending.inflight.delete(job.key);
          pending.retryLater(p, settings.retryMs);
          space.writeFailed(copied.code, copied.message);
          return;
        }
        if (copied.code === 'ENOSPC') {
          pending.inflight.delete(job.key);
          pending.retryLater(p, settings.retryMs);
          await space.refusedFull(subject);
          return;
        }
        this.dropOrRetry(job, copied.code, copied.message, subject);
        return;
      }
      const t = this.c.timings;
      t.workerOpenMs += copied.timing.openMs;
      t.workerReadMs += copied.timing.readMs;
      t.workerHashMs += copied.timing.hashMs;
      t.workerWriteMs += copied.timing.writeMs;
      t.workerCloseMs += copied.timing.closeMs;
      t.workerSyncMs += copied.timing.syncMs;
      const temp: TempObject = { tempPath, sha256: copied.sha256, bytes: copied.bytes };
      const before = copied.before;
      this.c.counters.bytesRead += temp.bytes;
      // Re-checked after reading: a file still being written is discarded and tried again later.
      const after = copied.after;
      if (after === undefined || after.size !== before.size || after.mtimeNs !== before.mtimeNs || after.ino !== before.ino || temp.bytes !== before.size) {
        release();
        this.c.vault.discard(temp);
        pending.inflight.delete(job.key);
        this.c.counters.unstable++;
        if (after === undefined) {
          pending.delete(job.key); // vanished while read; the folder scan reports it if it was captured
          logEvent(this.c.logger, LogEvent.CaptureFileUnstable, { root: p.root.label, relPath: p.relPath, reason: 'vanished-while-read' }, 'warn');
          return;
        }
        p.stat = after;
        p.observedAt = Date.now();
        pending.retryLater(p, Math.max(200, settings.settleMs));
        logEvent(this.c.logger, LogEvent.CaptureFileUnstable, { root: p.root.label, relPath: p.relPath, reason: 'changed-while-read', attempts: p.attempts }, 'warn');
        if (p.attempts >= 3) {
          this.c.alerts.raiseOnce({
            severity: 'warning',
            code: 'file-unstable',
            subject,
            message: `"${p.relPath}" in "${p.root.label}" keeps changing while it is copied (${p.attempts} tries); it is not captured yet.`,
            action: 'If the EMS is still exporting, wait. If not, check what keeps writing to this file.',
          });
        }
        return;
      }
      const prefix = prefixBytes !== undefined && copied.prefixSha256 !== undefined ? { bytes: prefixBytes, sha256: copied.prefixSha256 } : undefined;
      // The reservation moves to the ready batch; released when the batch is committed.
      reserved = 0;
      this.c.commits.add({ job, temp, stat: before, prefix });
    } finally {
      handle.release();
    }
  }

  private dropOrRetry(job: CaptureJob, code: string, error: string, subject: string): void {
    const p = job.pending;
    const pending = this.c.pending;
    pending.inflight.delete(job.key);
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'EISDIR' || code === 'ENOTDIR') {
      // Gone or no longer a regular file: the folder scan decides what that means.
      pending.delete(job.key);
      logEvent(this.c.logger, LogEvent.CaptureFileUnstable, { root: p.root.label, relPath: p.relPath, reason: code }, 'warn');
      return;
    }
    this.c.counters.failed++;
    pending.retryLater(p, this.c.settings.retryMs);
    logEvent(this.c.logger, LogEvent.CaptureFileUnreadable, { root: p.root.label, relPath: p.relPath, code }, 'warn');
    this.c.alerts.raiseOnce({
      severity: 'warning',
      code: 'file-unreadable',
      subject,
      message: `Cannot read "${p.relPath}" in "${p.root.label}" (${code}${UNREADABLE_CODES.has(code) ? '' : ': unexpected error'}); it is not captured yet.`,
      action: 'Give the ballotsafe service read permission on this file; capture retries by itself.',
      details: { code, error },
    });
  }
}
