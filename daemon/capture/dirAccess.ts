import { closeSync, constants, lstatSync, openSync, readlinkSync } from 'node:fs';
import { err, ok, type Result } from '../result.ts';

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
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW;
const SLASH = 0x2f;

export interface DirHandle {
  /** /proc/self/fd/<fd>: reaches the folder that was opened, whatever happens to its name later. */
  readonly access: Buffer;
  /** Closes the folder's descriptor. */
  release(): void;
}

export interface DirOpenFailure {
  /** errno code; 'ELOOP' when a component is a symlink (the kernel says ENOTDIR for that). */
  readonly code: string;
  /** The path (relative to the root) of the component that could not be opened. */
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

/**
 * Opens a folder under a root (relDir empty: the root itself). The configured root path is
 * followed as the operator wrote it; below it, no symlink is ever followed, and '.' or '..'
 * components are refused. One open per level; the descriptors of the levels above are closed.
 */
export function openDirBeneath(rootPath: string, relDir: Buffer): Result<DirHandle, DirOpenFailure> {
  let fd: number;
  try {
    fd = openSync(rootPath, constants.O_RDONLY | constants.O_DIRECTORY);
  } catch (e) {
    return err({ code: errCode(e), at: Buffer.alloc(0) });
  }
  let consumed = 0;
  for (const part of splitRel(relDir)) {
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
  const held = fd;
  let open = true;
  return ok({
    access: fdPath(held),
    release: () => {
      if (open) closeSync(held);
      open = false;
    },
  });
}
