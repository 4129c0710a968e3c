import { closeSync, constants, openSync } from 'node:fs';

/**
 * Linux refuses paths longer than PATH_MAX (4096 bytes), but export trees can be deeper. Like
 * openat(2), we hold an open descriptor of an ancestor directory and address the rest relative
 * to it through /proc/self/fd/<fd>/..., so every path handed to the kernel stays short. Paths
 * are Buffers so names that are not valid UTF-8 reach the kernel byte for byte.
 */
const ANCHOR_AT = 2048;
const SLASH = 0x2f;

export interface DirHandle {
  /** A short path (Buffer) that reaches the directory. */
  readonly access: Buffer;
  /** Closes the anchor descriptors opened to reach it (no-op for short paths). */
  release(): void;
}

export function childPath(dirAccess: Buffer, name: Buffer): Buffer {
  return Buffer.concat([dirAccess, Buffer.from('/'), name]);
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

/** Resolves a directory under a root (relDir empty: the root). Walkers only descend into real directories (never symlinks). */
export function openDirHandle(rootPath: string, relDir: Buffer): DirHandle {
  const root = Buffer.from(rootPath);
  if (relDir.length === 0) return { access: root, release: () => {} };
  if (root.length + 1 + relDir.length < ANCHOR_AT) return { access: childPath(root, relDir), release: () => {} };
  const fds: number[] = [];
  let access: Buffer = root;
  try {
    for (const part of splitRel(relDir)) {
      if (access.length + 1 + part.length >= ANCHOR_AT) {
        const fd = openSync(access, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
        fds.push(fd);
        access = Buffer.from(`/proc/self/fd/${fd}`);
      }
      access = childPath(access, part);
    }
  } catch (e) {
    for (const fd of fds) closeSync(fd);
    throw e;
  }
  return {
    access,
    release: () => {
      for (const fd of fds.splice(0)) closeSync(fd);
    },
  };
}
