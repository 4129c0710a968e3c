/**
 * The words the capture engine's parts share: roots and settings, the pending file, the job on
 * the copy queue, the copied file waiting for its batch, and stat comparisons.
 */
import type { BigIntStats } from 'node:fs';
import type { FileKind } from '../core/config.ts';
import type { NewAlert } from '../core/state/alerts.ts';
import type { CatalogRowStat } from './catalogWriter.ts';
import type { FileStat } from './copyProtocol.ts';
import type { CapturedPrefix } from './growingFiles.ts';
import type { TempObject } from './vault.ts';

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

export function newCounters(): CaptureCounters {
  return { dirs: 0, files: 0, unchanged: 0, captured: 0, deduplicated: 0, sameContent: 0, changed: 0, deleted: 0, bytesRead: 0, unstable: 0, failed: 0, symlinks: 0 };
}

/**
 * Where capture's time went (milliseconds, summed over files; worker figures summed over all
 * copy workers). Read by the capture benchmark's breakdown; not persisted.
 */
export interface CaptureTimings {
  /** Main thread: readdir, lstat and catalog lookups of folder scans. */
  scanMs: number;
  workerOpenMs: number;
  workerReadMs: number;
  workerHashMs: number;
  workerWriteMs: number;
  workerCloseMs: number;
  /** Copy workers: waiting for each temp copy's fdatasync (in libuv's pool, while the worker copies on). */
  workerSyncMs: number;
  /** Commit worker: folder syncs; renames. */
  commitSyncMs: number;
  commitRenameMs: number;
  /** Main thread: the catalog transaction of each batch. */
  catalogMs: number;
  batches: number;
}

export function newTimings(): CaptureTimings {
  return { scanMs: 0, workerOpenMs: 0, workerReadMs: 0, workerHashMs: 0, workerWriteMs: 0, workerCloseMs: 0, workerSyncMs: 0, commitSyncMs: 0, commitRenameMs: 0, catalogMs: 0, batches: 0 };
}

/** How the engine's parts raise alerts: `raiseOnce` keeps one open alert per code and subject. */
export interface CaptureAlerts {
  raise(alert: NewAlert): void;
  raiseOnce(alert: NewAlert & { subject: string }): void;
}

/** A file seen new or changed, waiting to settle (or to be retried). */
export interface Pending {
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

export interface CaptureJob {
  readonly key: string;
  readonly pending: Pending;
}

/** A file copied into the vault's temp folder, waiting for its batch to be committed. */
export interface ReadyToCommit {
  readonly job: CaptureJob;
  readonly temp: TempObject;
  readonly stat: FileStat;
  /** Hash of the first bytes, as long as the version captured before (was it only appended to?). */
  readonly prefix: CapturedPrefix | undefined;
}

export function pendingKey(rootLabel: string, relPath: string): string {
  return `${rootLabel}\0${relPath}`;
}

export function toStat(s: BigIntStats): FileStat {
  return { size: Number(s.size), mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, ino: s.ino };
}

export function sameStat(a: FileStat, b: FileStat): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

export function rowMatches(row: CatalogRowStat, s: FileStat): boolean {
  return row.size === s.size && row.mtime_ns === s.mtimeNs.toString() && row.ctime_ns === s.ctimeNs.toString() && row.inode === s.ino.toString();
}

export function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
}

export function splitRel(relRaw: Buffer): { dir: Buffer; name: Buffer } {
  const slash = relRaw.lastIndexOf(0x2f);
  return slash < 0 ? { dir: Buffer.alloc(0), name: relRaw } : { dir: relRaw.subarray(0, slash), name: relRaw.subarray(slash + 1) };
}
