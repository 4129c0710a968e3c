import { lstatSync, readdirSync, readlinkSync, type BigIntStats, type Dirent } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { FileKind } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { formatBytes } from '../core/format.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import type { AlertLog, NewAlert } from '../core/state/alerts.ts';
import { CatalogWriter, type CatalogRowBrief } from './catalogWriter.ts';
import { childPath, PinnedRoots, type DirOpenFailure } from './dirAccess.ts';
import { DirHandleCache } from './dirHandleCache.ts';
import { classifyFile } from './fileKind.ts';
import { decodePathText, dirKeyForDir, encodePathBytes, joinRel } from './pathCodec.ts';
import { CopyPool } from './copyPool.ts';
import type { FileStat } from './copyProtocol.ts';
import { Vault, type TempObject } from './vault.ts';
import { cannotStart, cannotWrite } from './vaultProblems.ts';
import { SpecialFiles, SpecialFilesPass, specialTypeOf, type SpecialFileType } from './specialFiles.ts';
import { folderBecameLinkAlert } from './folderLinks.ts';
import { CatalogBusyAlerts } from './catalogBusy.ts';
import { changedAlert, grewAlert, isStillBeingWritten, type CapturedPrefix } from './growingFiles.ts';
import { ok, err, type OperatorError, type Result } from '../core/result.ts';
import { plainReason } from './plainReason.ts';

export interface CaptureRoot {
  readonly label: string;
  readonly path: string;
  readonly defaultKind?: FileKind;
}

export interface CaptureSettings {
  readonly settleMs: number;
  readonly lowSpaceWarnBytes: number;
  readonly minFreeBytes: number;
  /** How long to wait before retrying a file that could not be read. */
  readonly retryMs: number;
}

/** Test-only timing hooks: they let a test change a real file at an exact moment. */
export interface CaptureHooks {
  afterFirstChunk?(rootLabel: string, relPath: string): Promise<void> | void;
}

export interface CaptureCounters {
  dirs: number;
  files: number;
  unchanged: number;
  captured: number;
  deduplicated: number;
  sameContent: number;
  changed: number;
  deleted: number;
  bytesRead: number;
  unstable: number;
  failed: number;
  symlinks: number;
}

interface Pending {
  readonly root: CaptureRoot;
  readonly relRaw: Buffer;
  readonly relPath: string;
  stat: FileStat;
  observedAt: number;
  readonly firstSeenAt: string;
  /** Size of the captured version when it was seen to differ (undefined: new file). */
  capturedSize: number | undefined;
  attempts: number;
  nextTryAt: number;
}

interface CaptureJob {
  readonly key: string;
  readonly pending: Pending;
}

interface ReadyToCommit {
  readonly job: CaptureJob;
  readonly temp: TempObject;
  readonly stat: FileStat;
  /** Hash of the first bytes, as long as the version captured before (was it only appended to?). */
  readonly prefix: CapturedPrefix | undefined;
}

const UNREADABLE_CODES = new Set(['EACCES', 'EPERM', 'EIO', 'ENXIO', 'EAGAIN', 'EWOULDBLOCK']);
const MANY = 20; // more vanished files than this in one directory: one summary alert
const BATCH_FILES = 512;
const BATCH_BYTES = 64 * 1024 * 1024;
const QUEUE_HIGH_WATER = 2000;

function toStat(s: BigIntStats): FileStat {
  return { size: Number(s.size), mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, ino: s.ino };
}

function sameStat(a: FileStat, b: FileStat): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

function rowMatches(row: CatalogRowBrief, s: FileStat): boolean {
  return row.size === s.size && row.mtime_ns === s.mtimeNs.toString() && row.ctime_ns === s.ctimeNs.toString() && row.inode === s.ino.toString();
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
}

function splitRel(relRaw: Buffer): { dir: Buffer; name: Buffer } {
  const slash = relRaw.lastIndexOf(0x2f);
  return slash < 0 ? { dir: Buffer.alloc(0), name: relRaw } : { dir: relRaw.subarray(0, slash), name: relRaw.subarray(slash + 1) };
}

/**
 * The capture core: walks roots, reconciles disk with the catalog, decides when a file is
 * settled, copies it into the vault (hash and copy in one read) and records it. Stateless about
 * the watcher: hints and full scans both come in through scanRoot().
 */
export class CaptureEngine {
  readonly vault: Vault;
  readonly counters: CaptureCounters = { dirs: 0, files: 0, unchanged: 0, captured: 0, deduplicated: 0, sameContent: 0, changed: 0, deleted: 0, bytesRead: 0, unstable: 0, failed: 0, symlinks: 0 };
  private readonly writer: CatalogWriter;
  private readonly specials: SpecialFiles;
  /** Every folder under a root is opened through this: no symlink is followed at any level. */
  private readonly rootDirs = new PinnedRoots();
  /** Copies and settle checks share one walk per folder; scans always walk afresh. */
  private readonly dirs = new DirHandleCache((rootPath, relDir) => this.rootDirs.openDir(rootPath, relDir));
  private readonly specialsPass = new SpecialFilesPass();
  private readonly pending = new Map<string, Pending>();
  private readonly inflight = new Set<string>();
  private readonly queue: CaptureJob[] = [];
  private active = 0;
  private readonly ready: ReadyToCommit[] = [];
  private readyBytes = 0;
  private flushChain: Promise<void> = Promise.resolve();
  private idleWaiters: (() => void)[] = [];
  private roomWaiters: (() => void)[] = [];
  private reservedBytes = 0;
  private freeCache: { at: number; bytes: number } | undefined;
  private readonly concurrency: number;
  private readonly copyPool: CopyPool;
  private syncMode: 'syncfs' | 'fsync' | undefined;

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly alerts: AlertLog,
    vaultDir: string,
    private readonly settings: CaptureSettings,
    private readonly hooks: CaptureHooks = {},
    options: { concurrency?: number; startFailureAlert?: boolean } = {},
  ) {
    this.startFailureAlert = options.startFailureAlert ?? true;
    this.vault = new Vault(vaultDir);
    this.writer = new CatalogWriter(db);
    this.specials = new SpecialFiles(db);
    this.catalogBusy = new CatalogBusyAlerts(db, (a) => this.raiseOnce(a));
    this.concurrency = options.concurrency ?? 8;
    // Two files in flight per copy worker: a worker never waits for its next file.
    this.copyPool = new CopyPool(Math.max(1, Math.ceil(this.concurrency / 2)));
  }

  private stopping = false;
  private readonly startFailureAlert: boolean;
  private readonly catalogBusy: CatalogBusyAlerts;

  /**
   * Prepares the vault (and checks it takes writes). A vault that cannot be used is a critical
   * alert and a failure the caller must act on (the daemon exits so systemd restarts it).
   */
  async init(): Promise<Result<void, OperatorError>> {
    this.stopping = false;
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
    this.stopping = true;
  }

  pendingCount(): number {
    return this.pending.size;
  }

  /** Files of one root still waiting or being copied (an export stick's intake waits on these). */
  pendingFor(rootLabel: string): number {
    let n = 0;
    for (const p of this.pending.values()) if (p.root.label === rootLabel) n++;
    return n;
  }

  /** Drops what is still pending for a root gone for good (an export stick that was removed). */
  forgetPending(rootLabel: string): void {
    for (const [key, p] of [...this.pending]) if (p.root.label === rootLabel && !this.inflight.has(key)) this.pending.delete(key);
  }

  /** Earliest time a pending file should be looked at again (undefined: nothing pending). */
  nextPendingAt(): number | undefined {
    let next: number | undefined;
    for (const p of this.pending.values()) {
      const at = Math.max(p.nextTryAt, p.observedAt + this.settings.settleMs);
      if (next === undefined || at < next) next = at;
    }
    return next;
  }

  // ---------------------------------------------------------------- roots

  private missingKey(root: CaptureRoot): string {
    return `capture.root-missing:${root.label}`;
  }

  isMarkedMissing(root: CaptureRoot): boolean {
    return this.writer.getFact(this.missingKey(root)) !== undefined;
  }

  /**
   * Is the root there? A dropped network share shows up as a missing folder, an error, or an
   * empty mount point; the last is told from "everything deleted" by the catalog holding files
   * for it. While missing, nothing under it is reported deleted.
   */
  checkRoot(root: CaptureRoot): boolean {
    let problem: string | undefined;
    let becameLink = false;
    const opened = this.rootDirs.openDir(root.path, Buffer.alloc(0));
    if (!opened.ok) {
      becameLink = opened.error.code === 'ELOOP';
      problem = becameLink
        ? `was replaced by a link${opened.error.linkTarget === undefined ? '' : ` to "${encodePathBytes(opened.error.linkTarget)}"`}, which ballotsafe does not follow (a possible attack)`
        : `cannot be reached: ${plainReason(opened.error.code)}`;
    } else {
      try {
        if (readdirSync(opened.value.access).length === 0 && this.writer.hasCurrentRows(root.label)) problem = 'is empty although files were captured from it (a disconnected share?)';
      } catch (e) {
        problem = `cannot be reached: ${plainReason(errCode(e))}`;
      } finally {
        opened.value.release();
      }
    }
    const wasMissing = this.isMarkedMissing(root);
    if (problem !== undefined) {
      if (!wasMissing) {
        this.writer.setFact(this.missingKey(root), new Date().toISOString());
        logEvent(this.logger, LogEvent.CaptureRootMissing, { root: root.label, path: root.path, error: problem }, 'warn');
        this.raise({
          severity: becameLink ? 'critical' : 'warning',
          code: 'root-missing',
          subject: root.label,
          message: `The export folder "${root.label}" ${problem}. Capturing from it is paused; nothing captured is lost.`,
          action: 'Reconnect the share or drive. Capture resumes by itself when the folder is back.',
        });
      }
      return false;
    }
    if (wasMissing) {
      this.writer.setFact(this.missingKey(root), undefined);
      logEvent(this.logger, LogEvent.CaptureRootBack, { root: root.label, path: root.path });
      this.raise({ severity: 'info', code: 'root-back', subject: root.label, message: `The export folder "${root.label}" is back; capture resumed.` });
    }
    return true;
  }

  // ---------------------------------------------------------------- scanning

  /**
   * Reconciles a root (or one folder of it) with the catalog. Recursive scans walk depth-first
   * with a stack of folders only, so memory does not grow with the number of files.
   */
  async scanRoot(root: CaptureRoot, options: { relDir?: Buffer; recursive?: boolean } = {}): Promise<void> {
    const recursive = options.recursive ?? true;
    const start = options.relDir ?? Buffer.alloc(0);
    if (!this.checkRoot(root)) return;
    const full = recursive && start.length === 0;
    if (full) logEvent(this.logger, LogEvent.CaptureScanStarted, { root: root.label });
    try {
      await this.walk(root, start, recursive, full);
    } finally {
      const specials = this.specialsPass.takeAlert(root.label);
      if (specials !== undefined) this.raiseOnce(specials);
      this.dirs.clear(); // no idle descriptor keeps the share busy after a pass
    }
  }

  /** scanRoot's depth-first walk, then (full scans) the folders the walk did not find. */
  private async walk(root: CaptureRoot, start: Buffer, recursive: boolean, full: boolean): Promise<void> {
    const visited = new Set<string>();
    const stack: Buffer[] = [start];
    while (stack.length > 0) {
      if (this.stopping) return; // shutting down: the next start reconciles again
      const relDir = stack.pop()!;
      const subdirs = await this.scanDirectory(root, relDir, !full);
      if (subdirs === 'root-gone') return;
      visited.add(dirKeyForDir(encodePathBytes(relDir)));
      if (subdirs === 'unreadable' || subdirs === 'vanished') continue;
      if (recursive) for (const s of subdirs) stack.push(joinRel(relDir, s));
      await this.waitForRoom();
      await yieldToLoop();
    }
    if (full) {
      // Folders the catalog knows that the walk did not find: gone, unless they exist after all
      // (created after the walk passed their parent).
      for (const dirKey of this.writer.dirKeys(root.label)) {
        if (visited.has(dirKey)) continue;
        if (this.dirExists(root, dirKey)) continue;
        if (!this.checkRoot(root)) return;
        this.reportVanished(root, [...this.writer.rowsInDir(root.label, dirKey).values()], dirKey, new Map());
        for (const l of this.writer.symlinksInDir(root.label, dirKey).values()) this.writer.markSymlinkDeleted(l.id);
      }
      logEvent(this.logger, LogEvent.CaptureScanFinished, { root: root.label, ...this.counters });
    }
  }

  /** A real folder (reached without any symlink) at this dir key? */
  private dirExists(root: CaptureRoot, dirKey: string): boolean {
    // Dir keys are the escaped text form; decode back to the exact bytes.
    const opened = this.rootDirs.openDir(root.path, decodePathText(dirKey.slice(0, -1)));
    if (!opened.ok) return false;
    opened.value.release();
    return true;
  }

  /** One folder: returns its subfolders, or why it could not be read. */
  private async scanDirectory(root: CaptureRoot, relDir: Buffer, checkChildDirs: boolean): Promise<Buffer[] | 'vanished' | 'unreadable' | 'root-gone'> {
    const relDirText = encodePathBytes(relDir);
    const dirKey = dirKeyForDir(relDirText);
    let entries: Dirent[];
    const opened = this.dirs.acquire(root.path, relDir, { fresh: true });
    if (!opened.ok) return this.dirProblem(root, relDirText, opened.error);
    const handle = opened.value;
    try {
      try {
        entries = readdirSync(handle.access, { withFileTypes: true, encoding: 'buffer' }) as unknown as Dirent[];
      } catch (e) {
        return this.dirProblem(root, relDirText, { code: errCode(e), at: relDir });
      }
      this.counters.dirs++;
      const rows = this.writer.rowsInDir(root.label, dirKey);
      const links = this.writer.symlinksInDir(root.label, dirKey);
      const seen = new Set<string>();
      const seenLinks = new Set<string>();
      const seenSpecials = new Set<string>();
      const inodes = new Map<string, string>(); // inode → relPath, to tell renames from deletions
      const subdirs: Buffer[] = [];
      const now = Date.now();
      const statBase = handle.statBase();
      for (const d of entries) {
        const name = d.name as unknown as Buffer;
        const p = childPath(statBase, name); // lstat and readlink only: nothing is opened through it
        const relRaw = joinRel(relDir, name);
        if (d.isDirectory()) {
          subdirs.push(name);
          continue;
        }
        if (d.isSymbolicLink()) {
          const relPath = encodePathBytes(relRaw);
          seenLinks.add(relPath);
          if (this.writer.hasRowsUnder(root.label, `${relPath}/`)) this.folderBecameLink(root, relRaw, p);
          else this.recordSymlink(root, relPath, p);
          continue;
        }
        if (!d.isFile()) {
          // FIFOs, sockets, devices: not export files; listed, never opened.
          const relPath = encodePathBytes(relRaw);
          seenSpecials.add(relPath);
          this.listSpecial(root, relPath, specialTypeOf(d));
          continue;
        }
        let st: FileStat;
        try {
          const s = lstatSync(p, { bigint: true });
          if (!s.isFile()) continue;
          st = toStat(s);
        } catch {
          continue; // vanished between readdir and lstat: the next scan settles it
        }
        const relPath = encodePathBytes(relRaw);
        seen.add(relPath);
        inodes.set(st.ino.toString(), relPath);
        this.counters.files++;
        const row = rows.get(relPath);
        const key = `${root.label}\0${relPath}`;
        if (row !== undefined && rowMatches(row, st)) {
          this.counters.unchanged++;
          this.pending.delete(key);
          continue;
        }
        this.consider(root, key, relRaw, relPath, st, now, row?.size);
      }
      this.specials.markGoneInDir(root.label, dirKey, seenSpecials);
      const vanished = [...rows.values()].filter((r) => !seen.has(r.rel_path) && !this.inflight.has(`${root.label}\0${r.rel_path}`));
      const vanishedLinks = [...links.values()].filter((l) => !seenLinks.has(l.rel_path));
      let goneDirs: string[] = [];
      if (checkChildDirs) {
        const present = new Set(subdirs.map((s) => dirKeyForDir(encodePathBytes(joinRel(relDir, s)))));
        goneDirs = this.writer.dirKeys(root.label, dirKey).filter((k) => ![...present].some((p) => k.startsWith(p)));
      }
      if (vanished.length + vanishedLinks.length + goneDirs.length > 0) {
        // Never report deletions for a root that is itself gone (dropped share).
        if (!this.checkRoot(root)) return 'root-gone';
        this.reportVanished(root, vanished, dirKey, inodes);
        for (const l of vanishedLinks) this.writer.markSymlinkDeleted(l.id);
        for (const k of goneDirs) {
          if (this.dirExists(root, k)) continue;
          this.reportVanished(root, [...this.writer.rowsInDir(root.label, k).values()], k, new Map());
          for (const l of this.writer.symlinksInDir(root.label, k).values()) this.writer.markSymlinkDeleted(l.id);
        }
      }
      return subdirs;
    } finally {
      handle.release();
    }
  }

  private dirProblem(root: CaptureRoot, relDirText: string, failure: DirOpenFailure): 'vanished' | 'unreadable' | 'root-gone' {
    const code = failure.code;
    if (code === 'ELOOP') {
      // A folder on the way is a symlink: never followed; recorded, and its captured files are gone.
      if (!this.checkRoot(root)) return 'root-gone';
      if (failure.at.length > 0) this.folderBecameLink(root, failure.at, undefined, failure.linkTarget);
      return 'vanished';
    }
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EINVAL') return this.checkRoot(root) ? 'vanished' : 'root-gone';
    const subject = `${root.label}:${relDirText}/`;
    logEvent(this.logger, LogEvent.CaptureFileUnreadable, { root: root.label, dir: relDirText, code }, 'warn');
    this.raiseOnce({
      severity: 'warning',
      code: 'folder-unreadable',
      subject,
      message: `Cannot read the folder "${relDirText || '.'}" in "${root.label}" (${code}); files in it are not being captured.`,
      action: 'Give the ballotsafe service read access to this folder; capture retries by itself.',
    });
    return 'unreadable';
  }

  private listSpecial(root: CaptureRoot, relPath: string, type: SpecialFileType): void {
    if (!this.specials.record(root.label, relPath, type, new Date().toISOString())) return;
    logEvent(this.logger, LogEvent.CaptureSpecialFileListed, { root: root.label, relPath, type }, 'warn');
    this.specialsPass.note(root.label, relPath, type);
  }

  /** Records a symlink (never followed); returns its target as text, or undefined when it is gone. */
  private recordSymlink(root: CaptureRoot, relPath: string, p: Buffer | undefined, knownTarget?: Buffer): string | undefined {
    let target: string;
    try {
      if (knownTarget !== undefined) target = encodePathBytes(knownTarget);
      else if (p !== undefined) target = encodePathBytes(readlinkSync(p, { encoding: 'buffer' }));
      else return undefined;
    } catch {
      return undefined;
    }
    if (this.writer.recordSymlink(root.label, relPath, target, new Date().toISOString())) {
      this.counters.symlinks++;
      logEvent(this.logger, LogEvent.CaptureSymlinkRecorded, { root: root.label, relPath, target });
    }
    return target;
  }

  /** A folder that held captured files is now a symlink: recorded, never followed, its files reported gone (folderLinks.ts). */
  private folderBecameLink(root: CaptureRoot, relRaw: Buffer, p: Buffer | undefined, knownTarget?: Buffer): void {
    const relPath = encodePathBytes(relRaw);
    const dirKey = `${relPath}/`;
    const target = this.recordSymlink(root, relPath, p, knownTarget);
    if (!this.writer.hasRowsUnder(root.label, dirKey)) return;
    logEvent(this.logger, LogEvent.CaptureFolderBecameLink, { root: root.label, relPath, target }, 'error');
    this.raiseOnce(folderBecameLinkAlert(root.label, relPath, target));
    for (const k of [dirKey, ...this.writer.dirKeys(root.label, dirKey)]) {
      this.reportVanished(root, [...this.writer.rowsInDir(root.label, k).values()], k, new Map());
    }
    for (const l of this.writer.symlinksUnder(root.label, dirKey)) this.writer.markSymlinkDeleted(l.id);
  }

  private reportVanished(root: CaptureRoot, rows: readonly CatalogRowBrief[], dirKey: string, inodesNow: Map<string, string>): void {
    if (rows.length === 0) return;
    const at = new Date().toISOString();
    const deleted: CatalogRowBrief[] = [];
    this.db.transaction(() => {
      for (const r of rows) {
        if (!this.writer.markDeleted(r.id, at)) continue;
        this.counters.deleted++;
        const renamedTo = inodesNow.get(r.inode);
        logEvent(this.logger, LogEvent.CaptureFileDeleted, { root: root.label, relPath: r.rel_path, sha256: r.sha256, renamedTo }, 'warn');
        if (renamedTo !== undefined) {
          // Same inode under a new name in the same folder: a writer's temp-name-then-rename.
          this.raise({
            severity: 'info',
            code: 'captured-file-renamed',
            subject: `${root.label}:${r.rel_path}`,
            message: `"${r.rel_path}" in "${root.label}" was renamed to "${renamedTo}"; both names are kept in the vault.`,
          });
        } else deleted.push(r);
      }
      if (deleted.length > MANY) {
        this.raise({
          severity: 'critical',
          code: 'captured-file-deleted',
          subject: `${root.label}:${dirKey}`,
          message: `${deleted.length} captured files disappeared from "${dirKey || '.'}" in "${root.label}". The captured copies are safe in the vault.`,
          action: 'Find out who removed them. Exported files should not disappear before the canvass is certified.',
          details: { files: deleted.slice(0, 200).map((r) => r.rel_path), total: deleted.length },
        });
      } else {
        for (const r of deleted) {
          this.raise({
            severity: 'critical',
            code: 'captured-file-deleted',
            subject: `${root.label}:${r.rel_path}`,
            message: `The captured file "${r.rel_path}" disappeared from "${root.label}". The captured copy (SHA-256 ${r.sha256}) is safe in the vault.`,
            action: 'Find out who removed it. Exported files should not disappear before the canvass is certified.',
            details: { sha256: r.sha256, versionId: r.id },
          });
        }
      }
    })();
  }

  /** A file that is new or differs from its catalog row: capture once settled. */
  private consider(root: CaptureRoot, key: string, relRaw: Buffer, relPath: string, st: FileStat, now: number, capturedSize: number | undefined): void {
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
    if (this.isSettled(p, now)) this.enqueue(key, p);
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
      if (this.isSettled(p, now)) this.enqueue(key, p);
      await this.waitForRoom();
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

  // ---------------------------------------------------------------- capturing

  private enqueue(key: string, p: Pending): void {
    if (this.inflight.has(key)) return;
    this.inflight.add(key);
    this.queue.push({ key, pending: p });
    this.pump();
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      const job = this.queue.shift()!;
      this.active++;
      this.captureOne(job)
        .catch((e: unknown) => {
          // A bug or an unexpected I/O error: keep the file pending and say so.
          this.counters.failed++;
          this.inflight.delete(job.key);
          this.retryLater(job.pending, this.settings.retryMs);
          logEvent(this.logger, LogEvent.CaptureError, { root: job.pending.root.label, relPath: job.pending.relPath, error: String(e) }, 'error');
        })
        .finally(() => {
          this.active--;
          if (this.queue.length < QUEUE_HIGH_WATER / 2) for (const w of this.roomWaiters.splice(0)) w();
          this.pump();
          if (this.active === 0 && this.queue.length === 0) this.scheduleFlush();
        });
    }
  }

  private async waitForRoom(): Promise<void> {
    if (this.queue.length < QUEUE_HIGH_WATER) return;
    await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }

  private retryLater(p: Pending, delayMs: number): void {
    p.attempts++;
    p.nextTryAt = Date.now() + delayMs;
    this.pending.set(`${p.root.label}\0${p.relPath}`, p);
  }

  /** Is there room in the vault for `size` more bytes? Warns and refuses with alerts. */
  private async reserveSpace(size: number, subject: string): Promise<boolean> {
    const now = Date.now();
    if (this.freeCache === undefined || now - this.freeCache.at > 250) this.freeCache = { at: now, bytes: await this.vault.freeBytes() };
    const after = this.freeCache.bytes - this.reservedBytes - size;
    if (after < this.settings.minFreeBytes) {
      logEvent(this.logger, LogEvent.CaptureVaultFull, { free: this.freeCache.bytes, needed: size, file: subject }, 'error');
      this.raiseOnce({
        severity: 'critical',
        code: 'vault-full',
        subject: 'vault',
        message: `Capturing has stopped: the appliance's disk has ${formatBytes(this.freeCache.bytes)} free and ballotsafe keeps at least ${formatBytes(this.settings.minFreeBytes)} free. New export files are waiting, not lost.`,
        action: 'Free space on the appliance disk (or replace it with a larger one); capture resumes by itself.',
      });
      return false;
    }
    if (after < this.settings.lowSpaceWarnBytes) {
      logEvent(this.logger, LogEvent.CaptureVaultLowSpace, { free: this.freeCache.bytes }, 'warn');
      this.raiseOnce({
        severity: 'warning',
        code: 'vault-low-space',
        subject: 'vault',
        message: `The appliance's disk is running low: ${formatBytes(this.freeCache.bytes)} free. Capture stops at ${formatBytes(this.settings.minFreeBytes)}.`,
        action: 'Plan to free space or replace the disk soon.',
      });
    }
    this.reservedBytes += size;
    return true;
  }

  private async captureOne(job: CaptureJob): Promise<void> {
    const p = job.pending;
    const subject = `${p.root.label}:${p.relPath}`;
    if (!(await this.reserveSpace(p.stat.size, subject))) {
      this.inflight.delete(job.key);
      this.retryLater(p, this.settings.retryMs);
      return;
    }
    let reserved = p.stat.size;
    const release = () => {
      this.reservedBytes -= reserved;
      reserved = 0;
    };
    const { dir, name } = splitRel(p.relRaw);
    // The copy worker opens the file through this descriptor (O_NOFOLLOW): a folder swapped for a
    // symlink after the scan is never followed.
    const opened = this.dirs.acquire(p.root.path, dir);
    if (!opened.ok) {
      release();
      this.dropOrRetry(job, opened.error.code, `cannot open its folder (${opened.error.code})`, subject);
      return;
    }
    const handle = opened.value;
    try {
      const path = childPath(handle.access, name);
      const hook = this.hooks.afterFirstChunk;
      const tempPath = this.vault.newTempPath();
      // A file longer than its captured version: also hash that many first bytes (an append keeps them).
      const prefixBytes = p.capturedSize !== undefined && p.capturedSize < p.stat.size ? p.capturedSize : undefined;
      const copied = await this.copyPool.copy(path, tempPath, hook === undefined ? undefined : () => hook(p.root.label, p.relPath), prefixBytes);
      if (copied.kind === 'not-a-file') {
        release();
        this.inflight.delete(job.key);
        this.pending.delete(job.key);
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
          this.inflight.delete(job.key);
          this.retryLater(p, this.settings.retryMs);
          this.vaultWriteFailed(copied.code, copied.message);
          return;
        }
        if (copied.code === 'ENOSPC') {
          this.freeCache = undefined;
          this.inflight.delete(job.key);
          this.retryLater(p, this.settings.retryMs);
          await this.reserveSpace(Number.MAX_SAFE_INTEGER / 4, subject); // raises vault-full
          return;
        }
        this.dropOrRetry(job, copied.code, copied.message, subject);
        return;
      }
      const temp: TempObject = { tempPath, sha256: copied.sha256, bytes: copied.bytes };
      const before = copied.before;
      this.counters.bytesRead += temp.bytes;
      // Re-checked after reading: a file still being written is discarded and tried again later.
      const after = copied.after;
      if (after === undefined || after.size !== before.size || after.mtimeNs !== before.mtimeNs || after.ino !== before.ino || temp.bytes !== before.size) {
        release();
        this.vault.discard(temp);
        this.inflight.delete(job.key);
        this.counters.unstable++;
        if (after === undefined) {
          this.pending.delete(job.key); // vanished while read; the folder scan reports it if it was captured
          logEvent(this.logger, LogEvent.CaptureFileUnstable, { root: p.root.label, relPath: p.relPath, reason: 'vanished-while-read' }, 'warn');
          return;
        }
        p.stat = after;
        p.observedAt = Date.now();
        this.retryLater(p, Math.max(200, this.settings.settleMs));
        logEvent(this.logger, LogEvent.CaptureFileUnstable, { root: p.root.label, relPath: p.relPath, reason: 'changed-while-read', attempts: p.attempts }, 'warn');
        if (p.attempts >= 3) {
          this.raiseOnce({
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
      this.ready.push({ job, temp, stat: before, prefix });
      this.readyBytes += temp.bytes;
      // The reservation moves to the ready batch; released when the batch is committed.
      reserved = 0;
      if (this.ready.length >= BATCH_FILES || this.readyBytes >= BATCH_BYTES) this.scheduleFlush();
    } finally {
      handle.release();
    }
  }

  private dropOrRetry(job: CaptureJob, code: string, error: string, subject: string): void {
    const p = job.pending;
    this.inflight.delete(job.key);
    if (code === 'ENOENT' || code === 'ELOOP' || code === 'EISDIR' || code === 'ENOTDIR') {
      // Gone or no longer a regular file: the folder scan decides what that means.
      this.pending.delete(job.key);
      logEvent(this.logger, LogEvent.CaptureFileUnstable, { root: p.root.label, relPath: p.relPath, reason: code }, 'warn');
      return;
    }
    this.counters.failed++;
    this.retryLater(p, this.settings.retryMs);
    logEvent(this.logger, LogEvent.CaptureFileUnreadable, { root: p.root.label, relPath: p.relPath, code }, 'warn');
    this.raiseOnce({
      severity: 'warning',
      code: 'file-unreadable',
      subject,
      message: `Cannot read "${p.relPath}" in "${p.root.label}" (${code}${UNREADABLE_CODES.has(code) ? '' : ': unexpected error'}); it is not captured yet.`,
      action: 'Give the ballotsafe service read permission on this file; capture retries by itself.',
      details: { code, error },
    });
  }

  private scheduleFlush(): void {
    if (this.ready.length === 0) {
      this.notifyIdleIfIdle();
      return;
    }
    const batch = this.ready.splice(0);
    const bytes = this.readyBytes;
    this.readyBytes = 0;
    const giveBack = () => {
      for (const r of batch) {
        this.inflight.delete(r.job.key);
        this.retryLater(r.job.pending, this.settings.retryMs);
        this.vault.discard(r.temp);
      }
    };
    this.flushChain = this.flushChain
      .then(() => this.commitBatch(batch))
      .then((committed) => {
        if (committed.ok) return;
        // The vault did not take the batch (read-only, permissions, failing disk): say so, retry.
        giveBack();
        this.vaultWriteFailed(committed.error.code, committed.error.message);
      })
      .catch((e: unknown) => {
        giveBack();
        // Another process held the catalog's write lock past the wait: retried, and the clerk told.
        if (this.catalogBusy.batchFailed(e, batch.length)) logEvent(this.logger, LogEvent.CaptureCatalogBusy, { error: String(e), files: batch.length }, 'warn');
        else logEvent(this.logger, LogEvent.CaptureError, { error: String(e), files: batch.length }, 'error');
      })
      .finally(() => {
        this.reservedBytes -= bytes;
        this.notifyIdleIfIdle();
      });
  }

  /** Vault first (data, rename, sync), then the catalog rows and alerts in one transaction. */
  private async commitBatch(batch: readonly ReadyToCommit[]): Promise<Result<void, { code: string; message: string }>> {
    const committed = await this.copyPool.commit(
      batch.map((b) => ({ tempPath: b.temp.tempPath, objectPath: this.vault.objectPath(b.temp.sha256) })),
      this.vault.tempDir,
      this.vault.objectsDir,
    );
    if (committed.kind === 'commit-failed') return err({ code: committed.code, message: committed.message });
    if (committed.syncMode !== this.syncMode) {
      this.syncMode = committed.syncMode;
      logEvent(this.logger, LogEvent.CaptureVaultSyncMode, { mode: committed.syncMode }, committed.syncMode === 'syncfs' ? 'info' : 'warn');
    }
    const objects = committed.deduplicated.map((deduplicated) => ({ deduplicated }));
    const capturedAt = new Date().toISOString();
    this.db.transaction(() => {
      batch.forEach((b, i) => {
        const p = b.job.pending;
        const kind = classifyFile(p.relPath, p.root.defaultKind);
        const outcome = this.writer.record(
          { rootLabel: p.root.label, relPath: p.relPath, relPathRaw: p.relRaw, size: b.stat.size, mtimeNs: b.stat.mtimeNs, ctimeNs: b.stat.ctimeNs, inode: b.stat.ino, sha256: b.temp.sha256, kind, firstSeenAt: p.firstSeenAt },
          capturedAt,
        );
        if (objects[i]?.deduplicated === true) this.counters.deduplicated++;
        const subject = `${p.root.label}:${p.relPath}`;
        if (outcome.kind === 'same-content') {
          this.counters.sameContent++;
          logEvent(this.logger, LogEvent.CaptureFileUnchanged, { root: p.root.label, relPath: p.relPath, sha256: b.temp.sha256 }, 'debug');
          return;
        }
        this.counters.captured++;
        logEvent(this.logger, LogEvent.CaptureFileCaptured, { root: p.root.label, relPath: p.relPath, sha256: b.temp.sha256, size: b.stat.size, kind, versionId: outcome.id }, 'debug');
        if (outcome.kind === 'changed') {
          this.counters.changed++;
          const previous = outcome.previous;
          if (isStillBeingWritten(previous, b.prefix, this.writer.capturedAt(previous.id), p.firstSeenAt, this.settings.settleMs)) {
            // Appended to shortly after its capture: an export still being written, not tampering.
            logEvent(this.logger, LogEvent.CaptureFileGrew, { root: p.root.label, relPath: p.relPath, before: previous.sha256, after: b.temp.sha256 }, 'info');
            this.raiseOnce(grewAlert(p.root.label, p.relPath, previous, b.temp.sha256, outcome.id));
          } else {
            logEvent(this.logger, LogEvent.CaptureFileChanged, { root: p.root.label, relPath: p.relPath, before: previous.sha256, after: b.temp.sha256 }, 'warn');
            this.raise(changedAlert(p.root.label, p.relPath, previous, b.temp.sha256, outcome.id));
          }
        }
        if (b.stat.size === 0 && kind !== 'log' && kind !== 'other') {
          this.raise({
            severity: 'info',
            code: 'zero-byte-file',
            subject,
            message: `"${p.relPath}" in "${p.root.label}" is empty (0 bytes). It was captured as it is.`,
            action: 'Check the EMS export; an empty ballot image or CVR usually means a failed export.',
          });
        }
      });
    })();
    this.catalogBusy.raisePending();
    for (const b of batch) {
      this.inflight.delete(b.job.key);
      const cur = this.pending.get(b.job.key);
      if (cur === undefined) continue;
      if (sameStat(cur.stat, b.stat)) this.pending.delete(b.job.key);
      else cur.capturedSize = b.stat.size; // changed again meanwhile: compare the next copy with this version
    }
    return ok(undefined);
  }

  /** The vault would not take a write: a critical alert once per cause (not per file or try). */
  private vaultWriteFailed(code: string, message: string): void {
    this.freeCache = undefined;
    logEvent(this.logger, LogEvent.CaptureVaultWriteFailed, { vault: this.vault.dir, code, error: message }, 'error');
    if (code === 'ENOSPC' || code === 'EDQUOT') return void this.reserveSpace(Number.MAX_SAFE_INTEGER / 4, 'vault'); // raises vault-full
    this.raiseOnce(cannotWrite(this.vault.dir, code, message));
  }

  private notifyIdleIfIdle(): void {
    if (!this.isIdle()) return;
    this.dirs.clear();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private isIdle(): boolean {
    return this.active === 0 && this.queue.length === 0 && this.ready.length === 0 && this.inflight.size === 0;
  }

  /** Resolves once every queued capture is committed (or given back to pending). */
  async drain(): Promise<void> {
    // Only flush a partial batch once the workers are done; otherwise the batch keeps filling.
    if (this.active === 0 && this.queue.length === 0) this.scheduleFlush();
    while (!this.isIdle()) {
      await new Promise<void>((resolve) => {
        this.idleWaiters.push(resolve);
        setTimeout(resolve, 200).unref();
      });
      if (this.active === 0 && this.queue.length === 0) this.scheduleFlush();
    }
    await this.flushChain;
  }

  /** Stops the copy workers; call after drain(). */
  async close(): Promise<void> {
    this.dirs.clear();
    await this.copyPool.close();
  }

  // ---------------------------------------------------------------- alerts

  private raise(alert: NewAlert): void {
    this.alerts.raise(alert);
  }

  /** Conditions that persist (unreadable file, full disk) get one open alert, not one per scan. */
  private raiseOnce(alert: NewAlert & { subject: string }): void {
    if (this.writer.hasOpenAlert(alert.code, alert.subject)) return;
    this.alerts.raise(alert);
  }
}
