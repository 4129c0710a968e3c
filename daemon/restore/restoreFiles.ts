import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { link, lstat, mkdir, open, rename, rmdir, unlink, utimes, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { forEachConcurrently, openRegular } from '../snapshot/bagReader.ts';
import type { RestoreDrive } from './restoreDrive.ts';
import type { PlannedFile } from './restorePlan.ts';

/**
 * Writes the planned files under `dest`: each is copied from a drive to a temporary name while its
 * SHA-256 is computed, compared with the signed manifest, and only then linked to its real name
 * (never over an existing file). A copy that does not match is deleted and the next drive tried.
 */

export interface FileOutcome {
  readonly file: PlannedFile;
  /** The drive the restored copy came from; null when no drive had a good copy or it could not be placed. */
  readonly from: string | null;
  /** Why each drive tried before (or instead of) the good one was not used, e.g. "drive A: SHA-256 differs ...". */
  readonly rejected: readonly string[];
}

export interface RestoreProgress {
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
}

/** A write to the destination failed (disk full, read-only, pulled): the whole restore stops. */
class DestinationWriteError extends Error {
  constructor(readonly code: string) {
    super(`destination write failed (${code})`);
  }
}

export const partialFolderName = '.ballotsafe-restore-partial';

const mismatch = 'its SHA-256 differs from the signed manifest (the copy on this drive is damaged or was altered)';

async function writeAll(out: FileHandle, data: Buffer): Promise<void> {
  let at = 0;
  while (at < data.length) {
    const { bytesWritten } = await out.write(data, at, data.length - at).catch((e: NodeJS.ErrnoException) => {
      throw new DestinationWriteError(e.code ?? 'error');
    });
    at += bytesWritten;
  }
}

/** Copies `src` to `tmp`, hashing as it goes; undefined when it matched, else why not. */
async function copyVerified(src: string, tmp: string, file: PlannedFile, buffer: Buffer): Promise<string | undefined> {
  const opened = await openRegular(src);
  if (!opened.ok) return opened.unsafe.detail;
  const { fh, size } = opened.value;
  let out: FileHandle | undefined;
  try {
    if (size !== file.record.size) return `is ${size} bytes, the signed manifest says ${file.record.size}`;
    out = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644).catch((e: NodeJS.ErrnoException) => {
      throw new DestinationWriteError(e.code ?? 'error');
    });
    const hash = createHash('sha256');
    let done = 0;
    while (done < size) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await fh.read(buffer, 0, Math.min(buffer.length, size - done), done));
      } catch (e) {
        return `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`;
      }
      if (bytesRead === 0) return `ends after ${done} bytes, the signed manifest says ${size}`;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      await writeAll(out, chunk);
      done += bytesRead;
    }
    return hash.digest('hex') === file.record.sha256 ? undefined : mismatch;
  } finally {
    await fh.close().catch(() => undefined);
    await out?.close().catch(() => undefined);
  }
}

/** Original modification time from the bag (nanoseconds since 1970), when it is one. */
function mtimeOf(file: PlannedFile): number | undefined {
  return /^\d{1,20}$/.test(file.record.mtimeNs) ? Number(BigInt(file.record.mtimeNs) / 1000n) / 1e6 : undefined;
}

/** Gives the verified temporary file its real name; never replaces anything. Undefined when placed. */
async function place(tmp: string, dest: string, file: PlannedFile, made: Set<string>): Promise<string | undefined> {
  const final = Buffer.concat([Buffer.from(`${dest}/`), file.target]);
  const folder = final.subarray(0, final.lastIndexOf(0x2f));
  try {
    // Folders made once per restore (a batch folder holds hundreds of files).
    const key = folder.toString('latin1');
    if (!made.has(key)) {
      await mkdir(folder, { recursive: true });
      made.add(key);
    }
  } catch (e) {
    return `its folder could not be made (${(e as NodeJS.ErrnoException).code ?? 'error'}: a file of that name is in the way, e.g. on a disk that ignores upper/lower case)`;
  }
  try {
    await link(tmp, final);
    await unlink(tmp);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return 'a file of that name already exists there (not overwritten; on a disk that ignores upper/lower case, two names can clash)';
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw new DestinationWriteError(code ?? 'error');
  }
  // exFAT and FAT have no hard links: check, then rename (this restore is the folder's only writer).
  const there = await lstat(final).then(
    () => true,
    () => false,
  );
  if (there) return 'a file of that name already exists there (not overwritten; on a disk that ignores upper/lower case, two names can clash)';
  await rename(tmp, final).catch((e: NodeJS.ErrnoException) => {
    throw new DestinationWriteError(e.code ?? 'error');
  });
  return undefined;
}

export async function restoreFiles(
  files: readonly PlannedFile[],
  drives: readonly RestoreDrive[],
  dest: string,
  onProgress: (p: RestoreProgress) => void,
): Promise<Result<FileOutcome[]>> {
  const partial = join(dest, partialFolderName);
  try {
    await mkdir(partial);
  } catch (e) {
    return err(operatorError('restore-dest-write', `Nothing can be written in ${dest} (${(e as NodeJS.ErrnoException).code ?? 'error'}).`, 'Choose a folder on a disk you can write to.'));
  }
  const outcomes: FileOutcome[] = new Array<FileOutcome>(files.length);
  const bytesTotal = files.reduce((n, f) => n + f.record.size, 0);
  let filesDone = 0;
  let bytesDone = 0;
  const indexed = files.map((file, i) => ({ file, i }));
  let failed: DestinationWriteError | undefined;
  const made = new Set<string>();
  const work = forEachConcurrently(indexed, 4, async ({ file, i }, buffer) => {
    if (failed !== undefined) return;
    const rejected: string[] = [];
    let from: string | null = null;
    const tmp = join(partial, String(i));
    for (const d of drives) {
      // Only a drive holding the very same signed snapshot can stand in.
      if (!d.snapshots.some((s) => s.bagName === file.bagName && s.rootHash === file.rootHash)) continue;
      const src = join(d.electionDir, 'snapshots', file.bagName, file.record.payloadPath);
      const known = d.badPayload.get(src);
      const why = known ?? (await copyVerified(src, tmp, file, buffer));
      if (why !== undefined) {
        await unlink(tmp).catch(() => undefined);
        rejected.push(`drive ${d.label}: ${why}`);
        continue;
      }
      const mtime = mtimeOf(file);
      if (mtime !== undefined) await utimes(tmp, mtime, mtime).catch(() => undefined);
      const notPlaced = await place(tmp, dest, file, made);
      if (notPlaced !== undefined) {
        await unlink(tmp).catch(() => undefined);
        rejected.push(`not written: ${notPlaced}`);
      } else from = d.label;
      break;
    }
    if (from === null && rejected.length === 0) rejected.push('no usable drive holds this snapshot');
    outcomes[i] = { file, from, rejected };
    filesDone++;
    bytesDone += file.record.size;
    onProgress({ filesDone, filesTotal: files.length, bytesDone, bytesTotal });
  }).catch((e: unknown) => {
    if (!(e instanceof DestinationWriteError)) throw e;
    failed = e;
  });
  await work;
  // Empty unless a write failed: the temporary copies of bad files are deleted as they fail.
  await rmdir(partial).catch(() => undefined);
  if (failed !== undefined) {
    return err(operatorError('restore-dest-write', `Writing into ${dest} failed (${failed.code}${failed.code === 'ENOSPC' ? ': the disk is full' : ''}); the restore stopped. Files already in place were checked and are complete.`, `Free space or choose another disk, then restore again into a new empty folder (unfinished copies are in ${partial}; delete it).`));
  }
  return ok(outcomes);
}
