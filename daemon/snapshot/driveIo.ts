import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, open, rename, stat, statfs, unlink } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import type { DriveRole } from './api.ts';
import { operatorError, type OperatorError } from '../core/result.ts';

const run = promisify(execFile);

/** fsync a file or directory by path. */
export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes a small file and fsyncs it (not atomic: used inside bags, where the marker decides). */
export async function writeFileDurable(path: string, content: string | Buffer): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(content);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Makes `dir` (inside the drive at `root`) one folder at a time below the root, never the root
 * itself: `mkdir -p` would quietly recreate a drive folder that vanished, or a mount point's path
 * after the drive went away, and the snapshot would land on the appliance's own disk.
 */
export async function mkdirOnDrive(root: string, dir: string): Promise<void> {
  const rel = relative(root, dir);
  if (rel.startsWith('..') || resolve(root, rel) !== resolve(dir)) throw new Error(`${dir} is not inside the drive at ${root}`);
  const top = await stat(root);
  if (!top.isDirectory()) throw Object.assign(new Error(`${root} is not a folder`), { code: 'ENOENT' });
  let at = root;
  for (const part of rel.split(sep).filter((p) => p !== '')) {
    at = resolve(at, part);
    try {
      await mkdir(at);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** Temp file, fsync, rename, fsync the directory: readers see the old or the new file, never half. */
export async function writeFileAtomic(path: string, content: string | Buffer): Promise<void> {
  const tmp = `${path}.tmp-ballotsafe`;
  await writeFileDurable(tmp, content);
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fsyncPath(dirname(path));
}

/**
 * syncfs(2) of the file system holding `path` (coreutils `sync -f`): flushes what per-file fsync
 * does not reach, e.g. the FAT and directory entries of a FUSE-mounted drive.
 */
export async function syncFilesystem(path: string): Promise<void> {
  await run('sync', ['-f', path], { timeout: 10 * 60_000 });
}

let vmtouchAvailable: boolean | undefined;
/**
 * Drops the page cache of what was just written (vmtouch -e, i.e. posix_fadvise DONTNEED) so the
 * read-back comes from the drive, not from memory. Without vmtouch the read-back reads what the
 * kernel returns (may be cached); reported by the return value.
 */
export async function evictFromCache(dir: string): Promise<boolean> {
  if (vmtouchAvailable === false) return false;
  try {
    await run('vmtouch', ['-q', '-e', dir], { timeout: 10 * 60_000 });
    vmtouchAvailable = true;
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') vmtouchAvailable = false;
    return false;
  }
}

/** Free space; null when the file system does not say (fusefat reports zero blocks in total). */
export async function freeSpace(path: string): Promise<{ freeBytes: number | null; blockSize: number }> {
  const s = await statfs(path);
  return { freeBytes: s.blocks === 0 ? null : s.bavail * s.bsize, blockSize: s.bsize };
}

/** File system type of the mount holding `path`, from /proc/self/mountinfo (e.g. "vfat", "fuse.fusefat", "fuseblk"). */
export function fileSystemOf(path: string): { fsType: string; source: string; mountPoint: string } | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return undefined;
  }
  const abs = resolve(path);
  let best: { fsType: string; source: string; mountPoint: string } | undefined;
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (left === undefined || right === undefined) continue;
    const mountPoint = (left.split(' ')[4] ?? '').replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    const [fsType = '', source = ''] = right.split(' ');
    const inside = abs === mountPoint || abs.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
    if (inside && (best === undefined || mountPoint.length >= best.mountPoint.length)) best = { fsType, source, mountPoint };
  }
  return best;
}

/** FAT12/16/32 (kernel vfat/msdos or fusefat) cannot hold files of 4 GiB or more. */
export function isFatFileSystem(fsType: string): boolean {
  return /^(vfat|msdos|fat|fuse\.fusefat|fusefat)$/.test(fsType);
}

export const fat32MaxFileSize = 4 * 1024 ** 3 - 1;

export async function hashFile(path: string, buffer: Buffer = Buffer.allocUnsafe(1 << 20)): Promise<{ sha256: string; size: number }> {
  const fh = await open(path, 'r');
  try {
    const hash = createHash('sha256');
    let size = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buffer, 0, buffer.length, size);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { sha256: hash.digest('hex'), size };
  } finally {
    await fh.close();
  }
}

/** Turns a drive-side failure into the operator's words; the folder and the system's own error go to `technician`. */
export function driveError(role: DriveRole, root: string, e: unknown): OperatorError {
  const code = (e as NodeJS.ErrnoException).code ?? '';
  const technician = `${root}: ${e instanceof Error ? e.message : String(e)}`;
  if (code === 'ENOSPC' || code === 'EFBIG' || code === 'EDQUOT') {
    return operatorError('drive-full', `Drive ${role} is full or cannot hold a file this big.`, `Use a larger drive for ${role}, or an empty one, and start the snapshot again; the missing copy is then written by catch-up.`, technician);
  }
  if (code === 'ENOTCONN' || code === 'ECONNABORTED' || code === 'ENXIO' || code === 'ENODEV' || code === 'ESHUTDOWN' || code === 'ENOENT') {
    return operatorError('drive-removed', `Drive ${role} disappeared while it was being written.`, `Plug drive ${role} back in (or a replacement) and start a snapshot; catch-up brings it level.`, technician);
  }
  if (code === 'EIO' || code === 'EROFS') {
    return operatorError('drive-io-error', `Drive ${role} reported an error while it was being written: it may be failing.`, `Replace drive ${role}; catch-up writes the full set onto the replacement.`, technician);
  }
  return operatorError('drive-write-failed', `Writing to drive ${role} failed.`, `Check drive ${role} and start the snapshot again.`, technician);
}
