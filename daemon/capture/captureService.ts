import { watch, type FSWatcher } from 'chokidar';
import { relative, sep } from 'node:path';
import { dataPaths, type Config } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { AuditLog } from '../core/state/auditLog.ts';
import { CaptureEngine, type CaptureCounters, type CaptureHooks, type CaptureRoot } from './captureEngine.ts';
import { CatalogStore } from './catalogStore.ts';
import { ok, type OperatorError, type Result } from '../core/result.ts';

export interface CaptureServiceOptions {
  readonly config: Config;
  readonly db: Db;
  readonly logger: Logger;
  /** Watch roots with chokidar (daemon). Off for one-shot scans. */
  readonly watch?: boolean;
  readonly hooks?: CaptureHooks;
  readonly concurrency?: number;
  /**
   * Raise capture's own critical alert when the vault cannot be used at start (default). The
   * daemon turns it off: its start-with-retry raises one alert that counts the tries instead.
   */
  readonly startFailureAlert?: boolean;
}

interface Hint {
  recursive: boolean;
}

/**
 * Capture as a service: chokidar events are only hints that say which folder to look at again;
 * the folder scan decides. A periodic full reconcile catches whatever the watcher missed, and
 * missing roots are retried until they come back.
 */
export class CaptureService {
  readonly engine: CaptureEngine;
  readonly catalog: CatalogStore;
  private readonly roots: readonly CaptureRoot[];
  private readonly watchers = new Map<string, FSWatcher>();
  private readonly hints = new Map<string, Map<string, Hint>>();
  private readonly fullScanWanted = new Set<string>();
  private hintTimer: NodeJS.Timeout | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private pendingTimer: NodeJS.Timeout | undefined;
  private work: Promise<void> = Promise.resolve();
  private running = false;
  private readonly audit: AuditLog;

  constructor(private readonly options: CaptureServiceOptions) {
    const { config, db, logger } = options;
    this.roots = config.roots.map((r) => (r.defaultKind === undefined ? { label: r.label, path: r.path } : { label: r.label, path: r.path, defaultKind: r.defaultKind }));
    this.engine = new CaptureEngine(
      db,
      logger,
      new AlertLog(db, logger),
      dataPaths(config).vault,
      {
        settleMs: config.capture.settleMs,
        lowSpaceWarnBytes: config.capture.lowSpaceWarnBytes,
        minFreeBytes: config.capture.minFreeBytes,
        retryMs: config.capture.rootRetryMs,
      },
      options.hooks,
      { ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }), startFailureAlert: options.startFailureAlert ?? true },
    );
    this.catalog = new CatalogStore(db);
    this.audit = new AuditLog(db, logger);
  }

  get counters(): CaptureCounters {
    return this.engine.counters;
  }

  /**
   * Clears the vault's temp folder, starts the watchers and the first full reconcile. A vault that
   * cannot be used fails here (err 'capture-cannot-start', after a critical alert); the caller must
   * not carry on as if capture ran: the daemon exits non-zero so systemd restarts it.
   */
  async start(): Promise<Result<void, OperatorError>> {
    if (this.running) return ok(undefined);
    const ready = await this.engine.init();
    if (!ready.ok) return ready;
    this.running = true;
    this.audit.record('system', 'capture.started', { roots: this.roots.map((r) => r.label) });
    const c = this.options.config.capture;
    this.enqueueWork(() => this.scanAllOnce());
    // Events from before a watcher is ready could be missed; the initial scan covers that window.
    if (this.options.watch !== false) await Promise.all(this.roots.map((root) => this.startWatcher(root)));
    this.timers.push(setInterval(() => this.enqueueWork(() => this.scanAllOnce()), c.reconcileIntervalMs));
    this.timers.push(setInterval(() => this.retryMissingRoots(), c.rootRetryMs));
    this.armPendingTimer();
    return ok(undefined);
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    for (const t of this.timers.splice(0)) clearInterval(t);
    if (this.hintTimer !== undefined) clearTimeout(this.hintTimer);
    if (this.pendingTimer !== undefined) clearTimeout(this.pendingTimer);
    await Promise.all([...this.watchers.values()].map((w) => w.close()));
    this.watchers.clear();
    this.engine.requestStop();
    await this.work;
    await this.engine.drain();
    await this.engine.close();
    this.audit.record('system', 'capture.stopped', { ...this.engine.counters });
  }

  /** One reconcile of every root, then every capture committed (used by `scan` and tests). */
  async scanAll(): Promise<Result<void, OperatorError>> {
    const ready = await this.engine.init();
    if (!ready.ok) return ready;
    await this.scanAllOnce();
    return ok(undefined);
  }

  /**
   * Waits until nothing is left to capture: files still settling are looked at again until they
   * settle or `timeoutMs` passes. Returns the number still pending.
   */
  async settle(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    await this.work;
    await this.engine.drain();
    while (this.engine.pendingCount() > 0 && Date.now() < deadline) {
      const next = this.engine.nextPendingAt() ?? Date.now();
      await new Promise((r) => setTimeout(r, Math.min(Math.max(next - Date.now(), 20), Math.max(0, deadline - Date.now()))));
      await this.engine.processPending();
      await this.engine.drain();
    }
    return this.engine.pendingCount();
  }

  /**
   * One pass over a root that is not watched (an export stick): a scan in the work queue, then its
   * pending files are looked at until captured, `timeoutMs` passes or `stillThere` says the root
   * went away. Returns how many of its files were left uncaptured (then forgotten: the caller's
   * record says what is missing).
   */
  async captureOnce(root: CaptureRoot, options: { timeoutMs: number; stillThere: () => boolean }): Promise<Result<number, OperatorError>> {
    if (!this.running) {
      const ready = await this.engine.init();
      if (!ready.ok) return ready;
    }
    const deadline = Date.now() + options.timeoutMs;
    const inQueue = (task: () => Promise<void>) => {
      this.enqueueWork(task);
      return this.work;
    };
    await inQueue(async () => {
      await this.engine.scanRoot(root);
      await this.engine.drain();
    });
    while (this.engine.pendingFor(root.label) > 0 && Date.now() < deadline && options.stillThere()) {
      const next = this.engine.nextPendingAt() ?? Date.now();
      await new Promise((r) => setTimeout(r, Math.min(Math.max(next - Date.now(), 20), 250)));
      await inQueue(async () => {
        await this.engine.processPending();
        await this.engine.drain();
      });
    }
    const left = this.engine.pendingFor(root.label);
    this.engine.forgetPending(root.label);
    return ok(left);
  }

  /** Resolves when queued scans and captures are done (tests). */
  async idle(): Promise<void> {
    await this.work;
    await this.engine.drain();
  }

  private async scanAllOnce(): Promise<void> {
    for (const root of this.roots) {
      await this.engine.scanRoot(root);
      if (this.running && this.options.watch !== false && !this.watchers.has(root.label) && !this.engine.isMarkedMissing(root)) void this.startWatcher(root);
    }
    await this.engine.drain();
  }

  private enqueueWork(task: () => Promise<void>): void {
    this.work = this.work.then(task).catch((e: unknown) => {
      logEvent(this.options.logger, LogEvent.CaptureError, { error: e instanceof Error ? (e.stack ?? e.message) : String(e) }, 'error');
    });
  }

  private armPendingTimer(): void {
    if (!this.running) return;
    const tick = Math.min(1000, Math.max(50, Math.floor(this.options.config.capture.settleMs / 2)));
    this.pendingTimer = setTimeout(() => {
      this.enqueueWork(() => this.engine.processPending());
      this.armPendingTimer();
    }, tick);
  }

  private retryMissingRoots(): void {
    for (const root of this.roots) {
      if (!this.engine.isMarkedMissing(root)) continue;
      this.enqueueWork(async () => {
        if (!this.engine.checkRoot(root)) return;
        if (this.options.watch !== false) void this.startWatcher(root);
        await this.engine.scanRoot(root);
      });
    }
  }

  private startWatcher(root: CaptureRoot): Promise<void> {
    const old = this.watchers.get(root.label);
    if (old !== undefined) void old.close();
    const c = this.options.config.capture;
    const w = watch(root.path, {
      ignoreInitial: true,
      followSymlinks: false,
      usePolling: c.usePolling,
      interval: c.pollIntervalMs,
      binaryInterval: c.pollIntervalMs,
      ignorePermissionErrors: true,
      atomic: false,
      persistent: true,
    });
    w.on('all', (event, path) => this.onWatchEvent(root, event, path));
    w.on('error', (e) => {
      logEvent(this.options.logger, LogEvent.CaptureError, { root: root.label, watcher: true, error: String(e) }, 'warn');
      this.wantFullScan(root);
    });
    this.watchers.set(root.label, w);
    return new Promise<void>((resolve) => {
      w.once('ready', () => {
        logEvent(this.options.logger, LogEvent.CaptureRootWatching, { root: root.label, path: root.path, polling: c.usePolling });
        // A file written after the last scan but before the watcher was ready sends no event:
        // one more scan (cheap: unchanged files are not read) closes that window.
        this.wantFullScan(root);
        resolve();
      });
      w.once('error', () => resolve());
    });
  }

  private onWatchEvent(root: CaptureRoot, event: string, path: string): void {
    const rel = relative(root.path, path);
    if (rel.startsWith('..')) return;
    if (rel === '' && event === 'unlinkDir') {
      // The root itself went away: stop watching, the retry timer brings it back.
      const w = this.watchers.get(root.label);
      this.watchers.delete(root.label);
      void w?.close();
      this.enqueueWork(async () => void this.engine.checkRoot(root));
      return;
    }
    // chokidar names paths as strings; a name that is not valid UTF-8 cannot be mapped back to
    // its bytes, so that folder is left to a full scan of the root.
    if (rel.includes('\uFFFD')) return this.wantFullScan(root);
    const parts = rel.split(sep);
    const dir = event === 'addDir' ? parts.join('/') : parts.slice(0, -1).join('/');
    const perRoot = this.hints.get(root.label) ?? new Map<string, Hint>();
    this.hints.set(root.label, perRoot);
    const prev = perRoot.get(dir);
    perRoot.set(dir, { recursive: (prev?.recursive ?? false) || event === 'addDir' });
    this.armHintTimer();
  }

  private wantFullScan(root: CaptureRoot): void {
    this.fullScanWanted.add(root.label);
    this.armHintTimer();
  }

  private armHintTimer(): void {
    if (this.hintTimer !== undefined || !this.running) return;
    // Debounce: a burst of events for one folder becomes one folder scan.
    this.hintTimer = setTimeout(() => {
      this.hintTimer = undefined;
      const hints = new Map(this.hints);
      this.hints.clear();
      const full = new Set(this.fullScanWanted);
      this.fullScanWanted.clear();
      this.enqueueWork(async () => {
        for (const root of this.roots) {
          if (full.has(root.label)) {
            await this.engine.scanRoot(root);
            continue;
          }
          for (const [dir, hint] of hints.get(root.label) ?? []) {
            await this.engine.scanRoot(root, { relDir: Buffer.from(dir, 'utf8'), recursive: hint.recursive });
          }
        }
      });
    }, 150);
  }
}
