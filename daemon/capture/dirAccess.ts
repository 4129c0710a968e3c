import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, realpathSync } from 'node:fs';
import { err, ok, type Result } from '../core/result.ts';

/**
 * Opens folders beneath a capture root without following a symlink at ANY level. The share's
 * owner controls its symlinks: a captured folder swapped for a link to the appliance's own data
 * (its signing key) must never be read through. Node has no openat(2), so each component is opened
 * as /proc/self/fd/<parent fd>/<name> with O_NOFOLLOW | O_DIRECTORY: the kernel follows only the
 * magic link to the folder already held open, never a link named by the share. Files are then
 * opened the same way (O_NOFOLLOW on the last name) by the scanner and the copy workers, which
 * share this process's descriptors. Paths are Buffers, so names that are not valid UTF-8 reach the
 * kernel byte for byte, and every path handed to the kernel stays short whatever the tree's depth.
 */
/**
 * O_PATH (Linux; Node does not export it; the same value on x86-64 and arm64): a folder on the way
 * is opened for walking only, so, as in a plain path lookup, the service needs search permission
 * on it, not read permission. Reading a folder reopens it through /proc/self/fd.
 */
const O_PATH = 0o10000000;
const DIR_FLAGS = O_PATH | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const SLASH = 0x2f;
/** Longer plain paths risk PATH_MAX (4096 bytes): their entries are looked up through the descriptor. */
const PLAIN_PATH_MAX = 3072;

export interface DirHandle {
  /** /proc/self/fd/<fd>: reaches the folder that was opened, whatever happens to its name later. */
  readonly access: Buffer;
  /**
   * A path for lstat() of the folder's entries (never for opening them): the folder's plain path
   * when it still reaches this very folder (same device and inode; the kernel's fast path lookup),
   * else `access`. A swap right after the check can at worst show an entry's metadata; every
   * open still goes through `access`.
   */
  statBase(): Buffer;
  /** Closes the folder's descriptor. */
  release(): void;
}

export interface DirOpenFailure {
  /** errno code; 'ELOOP' when a component is a symlink (the kernel says ENOTDIR for that). */
  readonly code: string;
  /** The path (relative to the root) of the component that could not be opened (empty: the root itself). */
  readonly at: Buffer;
  /** Where that symlink points (only for 'ELOOP'). */
  readonly linkTarget?: Buffer;
}

export function childPath(dirAccess: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dirAccess, Buffer.from('/'), name]);
}

function fdPath(fd: number): Buffer {
  return Buffer.from(`/proc/self/fd/${fd}`);
}

function splitRel(rel: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= rel.length; i++) {
    if (i === rel.length || rel[i] === SLASH) {
      if (i > start) parts.push(rel.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
}

function isDotName(part: Buffer): boolean {
  return (part.length === 1 && part[0] === 0x2e) || (part.length === 2 && part[0] === 0x2e && part[1] === 0x2e);
}

/** Tells a component that is a symlink (ELOOP) from one that is a file or gone. */
function whyNotADir(parentFd: number, part: Buffer, code: string, at: Buffer): DirOpenFailure {
  if (code !== 'ENOTDIR' && code !== 'ELOOP') return { code, at };
  try {
    const p = childPath(fdPath(parentFd), part);
    if (lstatSync(p).isSymbolicLink()) return { code: 'ELOOP', at, linkTarget: readlinkSync(p, { encoding: 'buffer' }) };
  } catch {
    // gone meanwhile: report the first answer
  }
  return { code, at };
}

/** Opens `parts` one by one below the folder `fd` (which it takes over), with no symlink followed. */
function walk(fd: number, relDir: Buffer, parts: readonly Buffer[]): Result<number, DirOpenFailure> {
  let consumed = 0;
  for (const part of parts) {
    consumed = part.byteOffset - relDir.byteOffset + part.length;
    const at = relDir.subarray(0, consumed);
    if (isDotName(part)) {
      closeSync(fd);
      return err({ code: 'EINVAL', at });
    }
    let next: number;
    try {
      next = openSync(childPath(fdPath(fd), part), DIR_FLAGS);
    } catch (e) {
      const failure = whyNotADir(fd, part, errCode(e), at);
      closeSync(fd);
      return err(failure);
    }
    closeSync(fd);
    fd = next;
  }
  return ok(fd);
}

/**
 * Opens a folder under a root (relDir empty: the root itself) given the root's real path (no
 * symlink in it): every component from '/' down is opened without following a symlink, and '.'
 * or '..' components are refused. One open per level; the levels above are closed.
 */
export function openDirBeneath(rootRealPath: string, relDir: Buffer): Result<DirHandle, DirOpenFailure> {
  let top: number;
  try {
    top = openSync('/', O_PATH | constants.O_DIRECTORY);
  } catch (e) {
    return err({ code: errCode(e), at: Buffer.alloc(0) });
  }
  const rootBytes = Buffer.from(rootRealPath);
  const inRoot = walk(top, rootBytes, splitRel(rootBytes));
  // A failure on the way to the root is the root's own problem (gone, or swapped for a link).
  if (!inRoot.ok) return err({ ...inRoot.error, at: Buffer.alloc(0) });
  const below = walk(inRoot.value, relDir, splitRel(relDir));
  if (!below.ok) return below;
  const held = below.value;
  let open = true;
  let base: Buffer | undefined;
  const access = fdPath(held);
  return ok({
    access,
    statBase: () => {
      if (!open) return access; // released: nothing to compare with (a bug in the caller; the lookup then fails)
      return (base ??= plainIfSameFolder(held, relDir.length === 0 ? rootBytes : Buffer.concat([rootBytes, Buffer.from('/'), relDir]), access));
    },
    release: () => {
      if (open) closeSync(held);
      open = false;
    },
  });
}

function plainIfSameFolder(fd: number, plain: Buffer, access: Buffer): Buffer {
  if (plain.length > PLAIN_PATH_MAX) return access;
  try {
    const held = fstatSync(fd, { bigint: true });
    const named = lstatSync(plain, { bigint: true });
    return named.isDirectory() && named.dev === held.dev && named.ino === held.ino ? plain : access;
  } catch {
    return access;
  }
}

/**
 * Each root's real path, resolved once when the root is first seen (so symlinks the operator put
 * in the configured path are honoured), then always walked with no symlink at any level: a root
 * later swapped for a link (the share's owner controls its folders) is not followed either.
 */
export class PinnedRoots {
  private readonly pinned = new Map<string, string>();

  openDir(rootPath: string, relDir: Buffer): Result<DirHandle, DirOpenFailure> {
    let real = this.pinned.get(rootPath);
    if (real === undefined) {
      try {
        real = realpathSync(rootPath);
      } catch (e) {
        return err({ code: errCode(e), at: Buffer.alloc(0) });
      }
      this.pinned.set(rootPath, real);
    }
    return openDirBeneath(real, relDir);
  }
}
