/**
 * Folder scans: reconcile a root (or one folder of it) with the catalog. Unchanged files are
 * told by their stat; new or changed ones go to the pending files; captured files, symlinks and
 * folders no longer there are reported. No symlink is followed at any level; a folder that
 * became a link is recorded and its captured files reported gone.
 */
import { lstatSync, readdirSync, readlinkSync, type Dirent } from 'node:fs';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { warmFileCache } from './cacheWarmer.ts';
import { statKey, statKeySize, type CatalogWriter } from './catalogWriter.ts';
import type { DirOpenFailure, PinnedRoots } from './dirAccess.ts';
import type { DirHandleCache } from './dirHandleCache.ts';
import { folderBecameLinkAlert } from './folderLinks.ts';
import { decodePathText, dirKeyForDir, encodePathBytes, joinRel } from './pathCodec.ts';
import type { PendingFiles, SettledSink } from './pendingFiles.ts';
import type { RootPresence } from './rootPresence.ts';
import { specialTypeOf, type SpecialFiles, type SpecialFilesPass, type SpecialFileType } from './specialFiles.ts';
import type { VanishedFiles } from './vanishedFiles.ts';
import { errCode, pendingKey, toStat, type CaptureAlerts, type CaptureCounters, type CaptureTimings, type CaptureRoot } from './captureTypes.ts';

const SLASH = Buffer.from('/');

export interface FolderScanParts {
  readonly writer: CatalogWriter;
  readonly counters: CaptureCounters;
  readonly timings: CaptureTimings;
  readonly logger: Logger;
  readonly alerts: CaptureAlerts;
  readonly presence: RootPresence;
  readonly rootDirs: PinnedRoots;
  readonly dirs: DirHandleCache;
  readonly specials: SpecialFiles;
  readonly specialsPass: SpecialFilesPass;
  readonly pending: PendingFiles;
  readonly vanished: VanishedFiles;
  readonly queue: SettledSink;
}

export class FolderScan {
  /** Set by requestStop(): running scans return early (the next start reconciles again). */
  stopping = false;

  constructor(private readonly c: FolderScanParts) {}

  /**
   * Reconciles a root (or one folder of it) with the catalog. Recursive scans walk depth-first
   * with a stack of folders only, so memory does not grow with the number of files.
   */
  async scanRoot(root: CaptureRoot, options: { relDir?: Buffer; recursive?: boolean } = {}): Promise<void> {
    const recursive = options.recursive ?? true;
    const start = options.relDir ?? Buffer.alloc(0);
    if (!this.c.presence.checkRoot(root)) return;
    const full = recursive && start.length === 0;
    if (full) logEvent(this.c.logger, LogEvent.CaptureScanStarted, { root: root.label });
    // A full scan asks the catalog about every folder: read it ahead once, in order (cacheWarmer.ts).
    const database = full ? this.c.writer.databaseFile() : '';
    const stopWarming = database === '' ? undefined : warmFileCache(database);
    try {
      await this.walk(root, start, recursive, full);
    } finally {
      stopWarming?.();
      const specials = this.c.specialsPass.takeAlert(root.label);
      if (specials !== undefined) this.c.alerts.raiseOnce(specials);
      this.c.dirs.clear(); // no idle descriptor keeps the share busy after a pass
    }
  }

  /** scanRoot's depth-first walk, then (full scans) the folders the walk did not find. */
  private async walk(root: CaptureRoot, start: Buffer, recursive: boolean, full: boolean): Promise<void> {
    const visited = new Set<string>();
    const stack: Buffer[] = [start];
    while (stack.length > 0) {
      if (this.stopping) return; // shutting down: the next start reconciles again
      const relDir = stack.pop()!;
      const t0 = performance.now();
      const subdirs = this.scanDirectory(root, relDir, !full);
      this.c.timings.scanMs += performance.now() - t0;
      if (subdirs === 'root-gone') return;
      visited.add(dirKeyForDir(encodePathBytes(relDir)));
      if (subdirs === 'unreadable' || subdirs === 'vanished') continue;
      if (recursive) for (const s of subdirs) stack.push(joinRel(relDir, s));
      await this.c.queue.waitForRoom();
      await yieldToLoop();
    }
    if (full) {
      // Folders the catalog knows that the walk did not find: gone, unless they exist after all
      // (created after the walk passed their parent).
      for (const dirKey of this.c.writer.dirKeys(root.label)) {
        if (visited.has(dirKey)) continue;
        if (this.dirExists(root, dirKey)) continue;
        if (!this.c.presence.checkRoot(root)) return;
        this.c.vanished.reportDir(root, dirKey);
      }
      logEvent(this.c.logger, LogEvent.CaptureScanFinished, { root: root.label, ...this.c.counters });
    }
  }

  /** A real folder (reached without any symlink) at this dir key? */
  private dirExists(root: CaptureRoot, dirKey: string): boolean {
    // Dir keys are the escaped text form; decode back to the exact bytes.
    const opened = this.c.rootDirs.openDir(root.path, decodePathText(dirKey.slice(0, -1)));
    if (!opened.ok) return false;
    opened.value.release();
    return true;
  }

  /** One folder: returns its subfolders, or why it could not be read. */
  private scanDirectory(root: CaptureRoot, relDir: Buffer, checkChildDirs: boolean): Buffer[] | 'vanished' | 'unreadable' | 'root-gone' {
    const { writer, counters, pending } = this.c;
    const relDirText = encodePathBytes(relDir);
    const dirKey = dirKeyForDir(relDirText);
    let entries: Dirent[];
    const opened = this.c.dirs.acquire(root.path, relDir, { fresh: true });
    if (!opened.ok) return this.dirProblem(root, relDirText, opened.error);
    const handle = opened.value;
    try {
      try {
        entries = readdirSync(handle.access, { withFileTypes: true, encoding: 'buffer' }) as unknown as Dirent[];
      } catch (e) {
        return this.dirProblem(root, relDirText, { code: errCode(e), at: relDir });
      }
      counters.dirs++;
      // relPath → stat key of the catalog's current rows; each file found is taken out, so what
      // is left at the end is what vanished. Rescans spend their time in this loop: an unchanged
      // file costs one lstat, one name encoding and one string comparison (bench/capture.ts).
      const unseen = writer.statKeysInDir(root.label, dirKey);
      const links = writer.symlinksInDir(root.label, dirKey);
      const seenLinks = new Set<string>();
      const seenSpecials = new Set<string>();
      const found: { relPath: string; ino: bigint }[] = []; // to tell renames from deletions, if any
      const subdirs: Buffer[] = [];
      const now = Date.now();
      // lstat and readlink only through this prefix: nothing is opened through it.
      const statPrefix = Buffer.concat([handle.statBase(), SLASH]);
      const relPrefix = relDirText === '' ? '' : `${relDirText}/`; // the text form composes per name (pathCodec.ts)
      const noPending = pending.count() === 0;
      for (const d of entries) {
        const name = d.name as unknown as Buffer;
        if (d.isDirectory()) {
          subdirs.push(name);
          continue;
        }
        const p = Buffer.concat([statPrefix, name]);
        if (d.isSymbolicLink()) {
          const relRaw = joinRel(relDir, name);
          const relPath = encodePathBytes(relRaw);
          seenLinks.add(relPath);
          if (writer.hasRowsUnder(root.label, `${relPath}/`)) this.folderBecameLink(root, relRaw, p);
          else this.recordSymlink(root, relPath, p);
          continue;
        }
        if (!d.isFile()) {
          // FIFOs, sockets, devices: not export files; listed, never opened.
          const relPath = relPrefix + encodePathBytes(name);
          seenSpecials.add(relPath);
          this.listSpecial(root, relPath, specialTypeOf(d));
          continue;
        }
        let s;
        try {
          s = lstatSync(p, { bigint: true, throwIfNoEntry: false });
        } catch {
          continue; // unreadable since readdir: the next scan settles it
        }
        if (s === undefined || !s.isFile()) continue; // vanished since readdir, or no longer a file
        const relPath = relPrefix + encodePathBytes(name);
        const rowKey = unseen.get(relPath);
        unseen.delete(relPath);
        found.push({ relPath, ino: s.ino });
        counters.files++;
        if (rowKey !== undefined && rowKey === statKey(s)) {
          counters.unchanged++;
          if (!noPending) pending.delete(pendingKey(root.label, relPath));
          continue;
        }
        const capturedSize = rowKey === undefined ? undefined : statKeySize(rowKey);
        pending.consider(root, pendingKey(root.label, relPath), joinRel(relDir, name), relPath, toStat(s), now, capturedSize);
      }
      this.c.specials.markGoneInDir(root.label, dirKey, seenSpecials);
      const vanished = [...unseen.keys()].filter((relPath) => !pending.inflight.has(pendingKey(root.label, relPath)));
      const vanishedLinks = [...links.values()].filter((l) => !seenLinks.has(l.rel_path));
      let goneDirs: string[] = [];
      if (checkChildDirs) {
        const present = new Set(subdirs.map((s) => dirKeyForDir(encodePathBytes(joinRel(relDir, s)))));
        goneDirs = writer.dirKeys(root.label, dirKey).filter((k) => ![...present].some((p) => k.startsWith(p)));
      }
      if (vanished.length + vanishedLinks.length + goneDirs.length > 0) {
        // Never report deletions for a root that is itself gone (dropped share).
        if (!this.c.presence.checkRoot(root)) return 'root-gone';
        // The hashes, for the alerts, only now: the scan itself reads the index alone.
        const full = vanished.length === 0 ? undefined : writer.rowsInDir(root.label, dirKey);
        const inodes = new Map(found.map((f) => [f.ino.toString(), f.relPath])); // inode → relPath
        this.c.vanished.report(root, vanished.flatMap((relPath) => full?.get(relPath) ?? []), dirKey, inodes);
        for (const l of vanishedLinks) writer.markSymlinkDeleted(l.id);
        for (const k of goneDirs) {
          if (this.dirExists(root, k)) continue;
          this.c.vanished.reportDir(root, k);
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
      if (!this.c.presence.checkRoot(root)) return 'root-gone';
      if (failure.at.length > 0) this.folderBecameLink(root, failure.at, undefined, failure.linkTarget);
      return 'vanished';
    }
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EINVAL') return this.c.presence.checkRoot(root) ? 'vanished' : 'root-gone';
    const subject = `${root.label}:${relDirText}/`;
    logEvent(this.c.logger, LogEvent.CaptureFileUnreadable, { root: root.label, dir: relDirText, code }, 'warn');
    this.c.alerts.raiseOnce({
      severity: 'warning',
      code: 'folder-unreadable',
      subject,
      message: `Cannot read the folder "${relDirText || '.'}" in "${root.label}" (${code}); files in it are not being captured.`,
      action: 'Give the ballotsafe service read access to this folder; capture retries by itself.',
    });
    return 'unreadable';
  }

  private listSpecial(root: CaptureRoot, relPath: string, type: SpecialFileType): void {
    if (!this.c.specials.record(root.label, relPath, type, new Date().toISOString())) return;
    logEvent(this.c.logger, LogEvent.CaptureSpecialFileListed, { root: root.label, relPath, type }, 'warn');
    this.c.specialsPass.note(root.label, relPath, type);
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
    if (this.c.writer.recordSymlink(root.label, relPath, target, new Date().toISOString())) {
      this.c.counters.symlinks++;
      logEvent(this.c.logger, LogEvent.CaptureSymlinkRecorded, { root: root.label, relPath, target });
    }
    return target;
  }

  /** A folder that held captured files is now a symlink: recorded, never followed, its files reported gone (folderLinks.ts). */
  private folderBecameLink(root: CaptureRoot, relRaw: Buffer, p: Buffer | undefined, knownTarget?: Buffer): void {
    const { writer } = this.c;
    const relPath = encodePathBytes(relRaw);
    const dirKey = `${relPath}/`;
    const target = this.recordSymlink(root, relPath, p, knownTarget);
    if (!writer.hasRowsUnder(root.label, dirKey)) return;
    logEvent(this.c.logger, LogEvent.CaptureFolderBecameLink, { root: root.label, relPath, target }, 'error');
    this.c.alerts.raiseOnce(folderBecameLinkAlert(root.label, relPath, target));
    for (const k of [dirKey, ...writer.dirKeys(root.label, dirKey)]) {
      this.c.vanished.report(root, [...writer.rowsInDir(root.label, k).values()], k, new Map());
    }
    for (const l of writer.symlinksUnder(root.label, dirKey)) writer.markSymlinkDeleted(l.id);
  }
}
