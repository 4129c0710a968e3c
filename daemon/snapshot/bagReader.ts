import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Reading a drive that may have been forged: only regular files beneath the folder being checked,
 * never through a symbolic link, never a FIFO or device (those can hang a read or never end), and
 * never more bytes than the caller allows. Used by verify and by the snapshot's evidence check.
 */

export type UnsafeKind = 'missing' | 'not-regular' | 'too-large' | 'unsafe-path' | 'unreadable';

export interface Unsafe {
  readonly kind: UnsafeKind;
  /** Plain words for a report line, e.g. "is a symbolic link, not a file". */
  readonly detail: string;
}

export type Safe<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly unsafe: Unsafe };

const fail = (kind: UnsafeKind, detail: string): { ok: false; unsafe: Unsafe } => ({ ok: false, unsafe: { kind, detail } });

/** A path relative to its folder that cannot leave it: no absolute path, no "..", ".", empty part, NUL or backslash. */
export function isSafeRelativePath(rel: string): boolean {
  if (rel.length === 0 || rel.length > 4096 || rel.startsWith('/') || /[\0\\]/.test(rel)) return false;
  return rel.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

interface StatLike {
  isFile(): boolean;
  isDirectory(): boolean;
  isSymbolicLink(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
}

/** What a directory entry is, in words, when it is not what we need. */
export function describeType(s: StatLike): string {
  if (s.isSymbolicLink()) return 'a symbolic link';
  if (s.isFIFO()) return 'a FIFO (named pipe)';
  if (s.isSocket()) return 'a socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'a device';
  if (s.isDirectory()) return 'a folder';
  return 'not a regular file';
}

/** True when `path` is a real directory (not a symbolic link to one). */
export async function isRealDirectory(path: string): Promise<boolean> {
  try {
    return (await lstat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Opens a regular file without following a symbolic link at the last component and without
 * blocking on a FIFO; the caller has established (by an lstat walk) that the parents are real folders.
 */
export async function openRegular(path: string): Promise<Safe<{ fh: FileHandle; size: number }>> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return fail('missing', 'is not on the drive');
    if (code === 'ELOOP') return fail('not-regular', 'is a symbolic link, not a file');
    return fail('unreadable', `cannot be read (${code ?? 'error'})`);
  }
  const st = await fh.stat().catch(() => undefined);
  if (st === undefined || !st.isFile()) {
    await fh.close().catch(() => undefined);
    return fail('not-regular', st === undefined ? 'cannot be read' : `is ${describeType(st)}, not a file`);
  }
  return { ok: true, value: { fh, size: st.size } };
}

/** Reads a whole regular file of at most `maxBytes` (checked before reading). */
export async function readBounded(path: string, maxBytes: number): Promise<Safe<Buffer>> {
  const opened = await openRegular(path);
  if (!opened.ok) return opened;
  const { fh, size } = opened.value;
  try {
    if (size > maxBytes) return fail('too-large', `is ${size} bytes, more than the ${maxBytes} such a file can be`);
    const buf = Buffer.allocUnsafe(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await fh.read(buf, at, size - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return { ok: true, value: buf.subarray(0, at) };
  } catch (e) {
    return fail('unreadable', `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** SHA-256 of a regular file, reading no more than its size when opened (and `maxBytes`). */
export async function hashRegular(path: string, buffer: Buffer, maxBytes = Number.MAX_SAFE_INTEGER): Promise<Safe<{ sha256: string; size: number }>> {
  const opened = await openRegular(path);
  if (!opened.ok) return opened;
  const { fh, size: limit } = opened.value;
  try {
    if (limit > maxBytes) return fail('too-large', `is ${limit} bytes, more than the ${maxBytes} expected`);
    const hash = createHash('sha256');
    let size = 0;
    while (size < limit) {
      const { bytesRead } = await fh.read(buffer, 0, Math.min(buffer.length, limit - size), size);
      if (bytesRead === 0) break;
      hash.update(buffer.subarray(0, bytesRead));
      size += bytesRead;
    }
    return { ok: true, value: { sha256: hash.digest('hex'), size } };
  } catch (e) {
    return fail('unreadable', `cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

export interface TreeEntry {
  readonly size: number;
}

/**
 * Every regular file under `dir` (relative paths prefixed with `rel`), found without following
 * symbolic links; anything else (link, FIFO, socket, device) is returned in `strange`.
 */
export async function walkTree(dir: string, rel: string): Promise<{ files: Map<string, TreeEntry>; strange: Array<{ rel: string; what: string }> }> {
  const files = new Map<string, TreeEntry>();
  const strange: Array<{ rel: string; what: string }> = [];
  const visit = async (abs: string, relHere: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const childAbs = join(abs, e.name);
      const childRel = `${relHere}/${e.name}`;
      if (e.isDirectory()) await visit(childAbs, childRel);
      else if (e.isFile()) {
        const st = await lstat(childAbs).catch(() => undefined);
        if (st?.isFile() === true) files.set(childRel, { size: st.size });
        else strange.push({ rel: childRel, what: st === undefined ? 'unreadable' : describeType(st) });
      } else strange.push({ rel: childRel, what: describeType(e) });
    }
  };
  await visit(dir, rel);
  return { files, strange };
}

/** Runs `fn` over `items` with `workers` in flight, each with its own 1 MiB buffer. */
export async function forEachConcurrently<T>(items: readonly T[], workers: number, fn: (item: T, buffer: Buffer) => Promise<void>): Promise<void> {
  let i = 0;
  await Promise.all(
    Array.from({ length: Math.max(1, workers) }, async () => {
      const buffer = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const item = items[i++];
        if (item === undefined) return;
        await fn(item, buffer);
      }
    }),
  );
}
