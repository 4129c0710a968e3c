/**
 * Writing one bag onto the live drives: data (each vault object read once, written to every drive),
 * sync, read-back from the media, tag files, completion marker last. A failing drive drops out; a
 * vault that cannot supply an object stops the run (VaultError).
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { operatorError, technicalText, type OperatorError } from '../core/result.ts';
import { completeMarkerName } from './bagFormat.ts';
import { crashPoint } from './crashPoints.ts';
import { driveError, evictFromCache, fsyncPath, hashFile, mkdirOnDrive, syncFilesystem, writeFileAtomic, writeFileDurable } from './driveIo.ts';
import type { DriveRun } from './driveRun.ts';
import { markerText, tagWriteOrder, type PlannedBag, type PlannedItem } from './plan.ts';
import type { ProgressTracker } from './progress.ts';
import { finishDriveWrite, startDriveWrite } from './store.ts';

export interface BagWriterContext {
  readonly db: Db;
  readonly logger: Logger;
  readonly vaultDir: string;
  /** Files copied at the same time (each with one read buffer). */
  readonly concurrency: number;
  /** Drop the drives' cached pages before the read-back so it reads the media. */
  readonly readBackFromMedia: boolean;
  readonly now: () => Date;
}

/** Raised when the appliance's own vault cannot supply an object: not a drive problem. */
export class VaultError extends Error {
  constructor(readonly operatorError: OperatorError) {
    super(operatorError.message);
  }
}

class DriveFailure extends Error {
  constructor(readonly error: OperatorError) {
    super(error.message);
  }
}

/** Writes one bag to the given drives: data (one read, n writers), sync, read-back, tag files, marker. */
export async function writeBag(ctx: BagWriterContext, bag: PlannedBag, targets: readonly DriveRun[], purpose: 'snapshot' | 'catch-up' | 'recovery', progress: ProgressTracker): Promise<void> {
  const startedAt = ctx.now().toISOString();
  const rowIds = new Map<DriveRun, number>();
  for (const d of targets) rowIds.set(d, startDriveWrite(ctx.db, bag.snapshotId, d.target, purpose, startedAt));
  const bagDir = (d: DriveRun) => join(d.electionDir, 'snapshots', bag.bagName);
  const fail = (d: DriveRun, e: unknown) => {
    if (d.error !== undefined) return;
    d.error = e instanceof DriveFailure ? e.error : driveError(d.target.role, d.target.root, e);
    logEvent(ctx.logger, LogEvent.SnapshotDriveDegraded, { role: d.target.role, bagName: bag.bagName, code: d.error.code, error: technicalText(d.error) }, 'warn');
  };
  const live = () => targets.filter((d) => d.error === undefined);
  const forEachLive = async (fn: (d: DriveRun) => Promise<void>) => {
    await Promise.all(live().map((d) => fn(d).catch((e: unknown) => fail(d, e))));
  };

  // Directories. A leftover marker from an earlier, different attempt cannot exist (the marker
  // is only written once everything matches), so existing files are simply overwritten.
  const dirs = [...new Set(bag.items.map((it) => dirname(it.payloadPath)))].sort();
  await forEachLive(async (d) => {
    await mkdirOnDrive(d.target.root, join(bagDir(d), 'data'));
    for (const rel of dirs) await mkdirOnDrive(d.target.root, join(bagDir(d), rel));
  });
  crashPoint('dirs');

  // Data: each vault object read once, each chunk written to every live drive before the next read.
  progress.phase('writing');
  let next = 0;
  const worker = async () => {
    const buffer = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const i = next++;
      const item = bag.items[i];
      if (item === undefined || live().length === 0) return;
      await copyItem(ctx.vaultDir, bag, item, live(), bagDir, fail, buffer, progress);
      crashPoint('file');
    }
  };
  await Promise.all(Array.from({ length: ctx.concurrency }, worker));

  // Per drive, without waiting for the other: fsync everything, then read every copy back from
  // the drive (page cache dropped first) and compare with the catalog hash.
  progress.phase('syncing');
  await forEachLive(async (d) => {
    await syncFilesystem(bagDir(d));
    // Every file, then directories deepest first (FUSE drives get each fsync; syncfs may not reach them).
    let i = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let item = bag.items[i++]; item !== undefined; item = bag.items[i++]) await fsyncPath(join(bagDir(d), item.payloadPath));
      }),
    );
    const all = new Set<string>(['data', '.']);
    for (const rel of dirs) for (let p = rel; p !== '.' && p !== ''; p = dirname(p)) all.add(p);
    const ordered = [...all].sort((a, b) => b.split('/').length - a.split('/').length);
    for (const rel of ordered) await fsyncPath(join(bagDir(d), rel));
    await syncFilesystem(bagDir(d));
    crashPoint('synced');
    if (progress.currentPhase() === 'syncing') progress.phase('verifying');
    if (ctx.readBackFromMedia) await evictFromCache(bagDir(d));
    let idx = 0;
    const buffer = Array.from({ length: ctx.concurrency }, () => Buffer.allocUnsafe(1 << 20));
    await Promise.all(
      buffer.map(async (buf) => {
        for (;;) {
          const item = bag.items[idx++];
          if (item === undefined || d.error !== undefined) return;
          const got = await hashFile(join(bagDir(d), item.payloadPath), buf);
          if (got.sha256 !== item.sha256 || got.size !== item.size) {
            throw new DriveFailure(operatorError('drive-readback-mismatch', `Drive ${d.target.role}: ${item.payloadPath} in ${bag.bagName} read back different from what was written (${got.size} bytes, sha256 ${got.sha256}; expected ${item.size} bytes, ${item.sha256}).`, `Replace drive ${d.target.role}; it does not keep what is written to it.`));
          }
          progress.verified(d, 1, item.size);
        }
      }),
    );
    crashPoint('readback');
    // Tag files (manifests, signature) after the data, then the completion marker last.
    if (progress.currentPhase() === 'verifying') progress.phase('manifests');
    for (const name of tagWriteOrder) {
      await writeFileDurable(join(bagDir(d), name), bag.tagFiles[name] ?? '');
      crashPoint('tag');
    }
    await fsyncPath(bagDir(d));
    await syncFilesystem(bagDir(d));
    // Atomic: a crash while the other drive's chain runs must not leave a half marker (read as tampering).
    await writeFileAtomic(join(bagDir(d), completeMarkerName), markerText(bag));
    await fsyncPath(bagDir(d));
    await syncFilesystem(bagDir(d));
    crashPoint('marker');
  });

  const finishedAt = ctx.now().toISOString();
  for (const d of targets) finishDriveWrite(ctx.db, rowIds.get(d) ?? -1, d.error, finishedAt);
}

async function copyItem(
  vaultDir: string,
  bag: PlannedBag,
  item: PlannedItem,
  drives: readonly DriveRun[],
  bagDir: (d: DriveRun) => string,
  fail: (d: DriveRun, e: unknown) => void,
  buffer: Buffer,
  progress: ProgressTracker,
): Promise<void> {
  let src: FileHandle;
  try {
    src = await open(vaultObjectPath(vaultDir, item.sha256), 'r');
  } catch (e) {
    throw new VaultError(operatorError('vault-object-missing', `The appliance's vault has lost the captured file ${item.payloadPath}, so the snapshot stopped.`, 'Call technical support: the appliance disk may be failing. The drives already written stay valid.', `sha256 ${item.sha256}: ${(e as Error).message}`));
  }
  const dests = new Map<DriveRun, FileHandle>();
  try {
    await Promise.all(
      drives.map(async (d) => {
        try {
          // O_NOFOLLOW: a link planted on a drive must not redirect the write (the evidence check refuses links too).
          dests.set(d, await open(join(bagDir(d), item.payloadPath), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o666));
        } catch (e) {
          fail(d, e);
        }
      }),
    );
    let pos = 0;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await src.read(buffer, 0, buffer.length, pos));
      } catch (e) {
        throw new VaultError(operatorError('vault-read-error', 'A captured file could not be read back from the appliance\'s own disk, so the snapshot stopped.', 'Call technical support: the appliance disk may be failing.', `${item.payloadPath}: ${(e as Error).message}`));
      }
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      const at = pos;
      await Promise.all(
        [...dests].map(async ([d, fh]) => {
          if (d.error !== undefined) return;
          try {
            let off = 0;
            while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off, at + off)).bytesWritten;
          } catch (e) {
            fail(d, e);
          }
        }),
      );
      pos += bytesRead;
      crashPoint('chunk');
      progress.wrote(0, bytesRead);
      if ([...dests.keys()].every((d) => d.error !== undefined)) break;
    }
    // fsync comes in the syncing phase: one syncfs first writes everything back in one sweep,
    // so the per-file fsyncs after it do not each force a journal commit.
    progress.wrote(1, 0);
  } finally {
    await src.close().catch(() => undefined);
    await Promise.all([...dests.values()].map((fh) => fh.close().catch(() => undefined)));
  }
  void bag;
}
