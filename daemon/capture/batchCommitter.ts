/**
 * Commits copied files in batches, restic's order: the vault first (data synced, renamed into
 * place, folders synced), then the catalog rows and their alerts in one transaction. Each copy's
 * data is synced by its copy worker before the copy is answered (copyWorker.mjs), so a batch
 * commit only renames and syncs folders. A batch the vault or the catalog refused goes back to
 * pending, with an alert. Batches commit one after another.
 */
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { CatalogBusyAlerts } from './catalogBusy.ts';
import type { CatalogWriter } from './catalogWriter.ts';
import type { CopyPool } from './copyPool.ts';
import { classifyFile } from './fileKind.ts';
import { changedAlert, grewAlert, isStillBeingWritten } from './growingFiles.ts';
import type { PendingFiles } from './pendingFiles.ts';
import type { Vault } from './vault.ts';
import type { VaultSpace } from './vaultSpace.ts';
import { sameStat, type CaptureAlerts, type CaptureCounters, type CaptureTimings, type CaptureSettings, type ReadyToCommit } from './captureTypes.ts';

const BATCH_FILES = 512;
const BATCH_BYTES = 64 * 1024 * 1024;

export interface BatchCommitterParts {
  readonly db: Db;
  readonly writer: CatalogWriter;
  readonly settings: CaptureSettings;
  readonly counters: CaptureCounters;
  readonly timings: CaptureTimings;
  readonly logger: Logger;
  readonly alerts: CaptureAlerts;
  readonly catalogBusy: CatalogBusyAlerts;
  readonly vault: Vault;
  readonly space: VaultSpace;
  readonly copyPool: CopyPool;
  readonly pending: PendingFiles;
  /** Called whenever the committer has nothing left: the engine checks whether capture is idle. */
  readonly onMaybeIdle: () => void;
}

export class BatchCommitter {
  private readonly ready: ReadyToCommit[] = [];
  private readyBytes = 0;
  private flushChain: Promise<void> = Promise.resolve();

  constructor(private readonly c: BatchCommitterParts) {}

  /** Files copied and not yet handed to a commit. */
  waiting(): number {
    return this.ready.length;
  }

  /** Resolves when every batch handed over so far is committed (or given back). */
  committed(): Promise<void> {
    return this.flushChain;
  }

  add(r: ReadyToCommit): void {
    this.ready.push(r);
    this.readyBytes += r.temp.bytes;
    if (this.ready.length >= BATCH_FILES || this.readyBytes >= BATCH_BYTES) this.flush();
  }

  /** Hands what is ready to the commit chain (a partial batch too). */
  flush(): void {
    if (this.ready.length === 0) {
      this.c.onMaybeIdle();
      return;
    }
    const batch = this.ready.splice(0);
    const bytes = this.readyBytes;
    this.readyBytes = 0;
    const giveBack = () => {
      for (const r of batch) {
        this.c.pending.inflight.delete(r.job.key);
        this.c.pending.retryLater(r.job.pending, this.c.settings.retryMs);
        this.c.vault.discard(r.temp);
      }
    };
    this.flushChain = this.flushChain
      .then(() => this.commitBatch(batch))
      .then((committed) => {
        if (committed.ok) return;
        // The vault did not take the batch (read-only, permissions, failing disk): say so, retry.
        giveBack();
        this.c.space.writeFailed(committed.error.code, committed.error.message);
      })
      .catch((e: unknown) => {
        giveBack();
        // Another process held the catalog's write lock past the wait: retried, and the clerk told.
        if (this.c.catalogBusy.batchFailed(e, batch.length)) logEvent(this.c.logger, LogEvent.CaptureCatalogBusy, { error: String(e), files: batch.length }, 'warn');
        else logEvent(this.c.logger, LogEvent.CaptureError, { error: String(e), files: batch.length }, 'error');
      })
      .finally(() => {
        this.c.space.release(bytes);
        this.c.onMaybeIdle();
      });
  }

  /** Vault first (rename of the synced copies, folder sync), then the catalog rows and alerts in one transaction. */
  private async commitBatch(batch: readonly ReadyToCommit[]): Promise<Result<void, { code: string; message: string }>> {
    const { db, writer, counters, logger, alerts, vault } = this.c;
    const committed = await this.c.copyPool.commit(
      batch.map((b) => ({ tempPath: b.temp.tempPath, objectPath: vault.objectPath(b.temp.sha256) })),
      vault.objectsDir,
    );
    if (committed.kind === 'commit-failed') return err({ code: committed.code, message: committed.message });
    const timings = this.c.timings;
    timings.batches++;
    timings.commitSyncMs += committed.timing.syncMs;
    timings.commitRenameMs += committed.timing.renameMs;
    const objects = committed.deduplicated.map((deduplicated) => ({ deduplicated }));
    const capturedAt = new Date().toISOString();
    const t0 = performance.now();
    db.transaction(() => {
      batch.forEach((b, i) => {
        const p = b.job.pending;
        const kind = classifyFile(p.relPath, p.root.defaultKind);
        const outcome = writer.record(
          { rootLabel: p.root.label, relPath: p.relPath, relPathRaw: p.relRaw, size: b.stat.size, mtimeNs: b.stat.mtimeNs, ctimeNs: b.stat.ctimeNs, inode: b.stat.ino, sha256: b.temp.sha256, kind, firstSeenAt: p.firstSeenAt },
          capturedAt,
        );
        if (objects[i]?.deduplicated === true) counters.deduplicated++;
        const subject = `${p.root.label}:${p.relPath}`;
        if (outcome.kind === 'same-content') {
          counters.sameContent++;
          logEvent(logger, LogEvent.CaptureFileUnchanged, { root: p.root.label, relPath: p.relPath, sha256: b.temp.sha256 }, 'debug');
          return;
        }
        counters.captured++;
        logEvent(logger, LogEvent.CaptureFileCaptured, { root: p.root.label, relPath: p.relPath, sha256: b.temp.sha256, size: b.stat.size, kind, versionId: outcome.id }, 'debug');
        if (outcome.kind === 'changed') {
          counters.changed++;
          const previous = outcome.previous;
          if (isStillBeingWritten(previous, b.prefix, writer.capturedAt(previous.id), p.firstSeenAt, this.c.settings.settleMs)) {
            // Appended to shortly after its capture: an export still being written, not tampering.
            logEvent(logger, LogEvent.CaptureFileGrew, { root: p.root.label, relPath: p.relPath, before: previous.sha256, after: b.temp.sha256 }, 'info');
            alerts.raiseOnce(grewAlert(p.root.label, p.relPath, previous, b.temp.sha256, outcome.id));
          } else {
            logEvent(logger, LogEvent.CaptureFileChanged, { root: p.root.label, relPath: p.relPath, before: previous.sha256, after: b.temp.sha256 }, 'warn');
            alerts.raise(changedAlert(p.root.label, p.relPath, previous, b.temp.sha256, outcome.id));
          }
        }
        if (b.stat.size === 0 && kind !== 'log' && kind !== 'other') {
          alerts.raise({
            severity: 'info',
            code: 'zero-byte-file',
            subject,
            message: `"${p.relPath}" in "${p.root.label}" is empty (0 bytes). It was captured as it is.`,
            action: 'Check the EMS export; an empty ballot image or CVR usually means a failed export.',
          });
        }
      });
    })();
    timings.catalogMs += performance.now() - t0;
    this.c.catalogBusy.raisePending();
    for (const b of batch) {
      this.c.pending.inflight.delete(b.job.key);
      const cur = this.c.pending.get(b.job.key);
      if (cur === undefined) continue;
      if (sameStat(cur.stat, b.stat)) this.c.pending.delete(b.job.key);
      else cur.capturedSize = b.stat.size; // changed again meanwhile: compare the next copy with this version
    }
    return ok(undefined);
  }
}
