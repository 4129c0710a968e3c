import { availableParallelism } from 'node:os';
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import type { AlertLog, NewAlert } from '../core/state/alerts.ts';
import { ok, err, type OperatorError, type Result } from '../core/result.ts';
import { BatchCommitter } from './batchCommitter.ts';
import { CatalogBusyAlerts } from './catalogBusy.ts';
import { CatalogWriter } from './catalogWriter.ts';
import { CopyPool } from './copyPool.ts';
import { CopyQueue } from './copyQueue.ts';
import { PinnedRoots } from './dirAccess.ts';
import { DirHandleCache } from './dirHandleCache.ts';
import { FolderScan } from './folderScan.ts';
import { PendingFiles } from './pendingFiles.ts';
import { RootPresence } from './rootPresence.ts';
import { SpecialFiles, SpecialFilesPass } from './specialFiles.ts';
import { VanishedFiles } from './vanishedFiles.ts';
import { Vault } from './vault.ts';
import { cannotStart } from './vaultProblems.ts';
import { VaultSpace } from './vaultSpace.ts';
import { errCode, newCounters, newTimings, type CaptureTimings, type CaptureAlerts, type CaptureCounters, type CaptureHooks, type CaptureRoot, type CaptureSettings } from './captureTypes.ts';

export type { CaptureCounters, CaptureTimings, CaptureHooks, CaptureRoot, CaptureSettings } from './captureTypes.ts';

/**
 * The capture core: walks roots, reconciles disk with the catalog, decides when a file is
 * settled, copies it into the vault (hash and copy in one read) and records it. Stateless about
 * the watcher: hints and full scans both come in through scanRoot().
 *
 * Its parts, one job each: RootPresence (is the root there), FolderScan (walk and reconcile),
 * PendingFiles (settle and retry), CopyQueue (copy workers), VaultSpace (room and write
 * failures), BatchCommitter (vault, then catalog), VanishedFiles (deletions and renames).
 */
export class CaptureEngine {
  readonly vault: Vault;
  readonly counters: CaptureCounters = newCounters();
  /** Where the time went (the capture benchmark prints it). */
  readonly timings: CaptureTimings = newTimings();
  private readonly writer: CatalogWriter;
  private readonly presence: RootPresence;
  private readonly scan: FolderScan;
  private readonly pending: PendingFiles;
  private readonly copies: CopyQueue;
  private readonly commits: BatchCommitter;
  /** Copies and settle checks share one walk per folder; scans always walk afresh. */
  private readonly dirs: DirHandleCache;
  private readonly copyPool: CopyPool;
  /** How many copy workers the pool runs at most (the capture benchmark's breakdown divides by it). */
  readonly copyWorkers: number;
  private readonly startFailureAlert: boolean;
  private idleWaiters: (() => void)[] = [];

  constructor(
    db: Db,
    private readonly logger: Logger,
    private readonly alertLog: AlertLog,
    vaultDir: string,
    settings: CaptureSettings,
    hooks: CaptureHooks = {},
    options: { concurrency?: number; startFailureAlert?: boolean } = {},
  ) {
    this.startFailureAlert = options.startFailureAlert ?? true;
    this.vault = new Vault(vaultDir);
    const writer = (this.writer = new CatalogWriter(db));
    const alerts: CaptureAlerts = { raise: (a) => this.raise(a), raiseOnce: (a) => this.raiseOnce(a) };
    // Files in flight: each copy is answered only once its data sync is done, and up to this many
    // syncs at once let the file system fold them into few journal commits.
    const concurrency = options.concurrency ?? 32;
    // One copy worker per core, at most 4: on 2 cores, 4 workers cost ~10% more CPU than 2 and
    // were no faster (bench/capture.ts, issue 17).
    this.copyWorkers = Math.max(1, Math.min(4, availableParallelism(), concurrency));
    this.copyPool = new CopyPool(this.copyWorkers);
    /** Every folder under a root is opened through this: no symlink is followed at any level. */
    const rootDirs = new PinnedRoots();
    this.dirs = new DirHandleCache((rootPath, relDir) => rootDirs.openDir(rootPath, relDir));
    const counters = this.counters;
    const timings = this.timings;
    const space = new VaultSpace(this.vault, settings, logger, alerts);
    const queue = { enqueue: (...a: Parameters<CopyQueue['enqueue']>) => this.copies.enqueue(...a), waitForRoom: () => this.copies.waitForRoom() };
    this.pending = new PendingFiles(settings, writer, this.dirs, queue);
    const catalogBusy = new CatalogBusyAlerts(db, (a) => this.raiseOnce(a));
    this.commits = new BatchCommitter({ db, writer, settings, counters, timings, logger, alerts, catalogBusy, vault: this.vault, space, copyPool: this.copyPool, pending: this.pending, onMaybeIdle: () => this.notifyIdleIfIdle() });
    this.copies = new CopyQueue({ concurrency, settings, hooks, counters, timings, logger, alerts, vault: this.vault, space, dirs: this.dirs, copyPool: this.copyPool, pending: this.pending, commits: this.commits });
    this.presence = new RootPresence(rootDirs, writer, logger, alerts);
    const vanished = new VanishedFiles(db, writer, counters, logger, alerts);
    this.scan = new FolderScan({ writer, counters, timings, logger, alerts, presence: this.presence, rootDirs, dirs: this.dirs, specials: new SpecialFiles(db), specialsPass: new SpecialFilesPass(), pending: this.pending, vanished, queue });
  }

  /**
   * Prepares the vault (and checks it takes writes). A vault that cannot be used is a critical
   * alert and a failure the caller must act on (the daemon exits so systemd restarts it).
   */
  async init(): Promise<Result<void, OperatorError>> {
    this.scan.stopping = false;
    try {
      await this.vault.init();
    } catch (e) {
      const code = errCode(e);
      logEvent(this.logger, LogEvent.CaptureCannotStart, { vault: this.vault.dir, code, error: String(e) }, 'error');
      const { failure, alert } = cannotStart(this.vault.dir, code);
      if (this.startFailureAlert) this.raiseOnce(alert);
      return err(failure);
    }
    return ok(undefined);
  }

  /** Makes running scans return early (captures already queued still finish and commit). */
  requestStop(): void {
    this.scan.stopping = true;
  }

  pendingCount(): number {
    return this.pending.count();
  }

  /** Files of one root still waiting or being copied (an export stick's intake waits on these). */
  pendingFor(rootLabel: string): number {
    return this.pending.countFor(rootLabel);
  }

  /** Drops what is still pending for a root gone for good (an export stick that was removed). */
  forgetPending(rootLabel: string): void {
    this.pending.forget(rootLabel);
  }

  /** Earliest time a pending file should be looked at again (undefined: nothing pending). */
  nextPendingAt(): number | undefined {
    return this.pending.nextAt();
  }

  isMarkedMissing(root: CaptureRoot): boolean {
    return this.presence.isMarkedMissing(root);
  }

  /** Is the root there? While missing, nothing under it is reported deleted (rootPresence.ts). */
  checkRoot(root: CaptureRoot): boolean {
    return this.presence.checkRoot(root);
  }

  /** Reconciles a root (or one folder of it) with the catalog (folderScan.ts). */
  scanRoot(root: CaptureRoot, options: { relDir?: Buffer; recursive?: boolean } = {}): Promise<void> {
    return this.scan.scanRoot(root, options);
  }

  /** Looks again at pending files (called by a timer): capture those now settled. */
  processPending(): Promise<void> {
    return this.pending.processPending();
  }

  private notifyIdleIfIdle(): void {
    if (!this.isIdle()) return;
    this.dirs.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private isIdle(): boolean {
    return this.copies.isEmpty() && this.commits.waiting() === 0 && this.pending.inflight.size === 0;
  }

  /** Resolves once every queued capture is committed (or given back to pending). */
  async drain(): Promise<void> {
    // Only flush a partial batch once the workers are done; otherwise the batch keeps filling.
    if (this.copies.isEmpty()) this.commits.flush();
    while (!this.isIdle()) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        setTimeout(resolve, 200).unref();
      });
      if (this.copies.isEmpty()) this.commits.flush();
    }
    await this.commits.committed();
  }

  /** Stops the copy workers; call after drain(). */
  async close(): Promise<void> {
    this.dirs.clear();
    await this.copyPool.close();
  }

  private raise(alert: NewAlert): void {
    this.alertLog.raise(alert);
  }

  /** Conditions that persist (unreadable file, full disk) get one open alert, not one per scan. */
  private raiseOnce(alert: NewAlert & { subject: string }): void {
    if (this.writer.hasOpenAlert(alert.code, alert.subject)) return;
    this.alertLog.raise(alert);
  }
}
