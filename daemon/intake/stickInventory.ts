import { lstatSync, readdirSync, realpathSync, type Dirent } from 'node:fs';
import { childPath, openDirBeneath } from '../capture/dirAccess.ts';
import { joinRel } from '../capture/pathCodec.ts';
import { err, ok, type Result } from '../core/result.ts';

/** What is on a mounted stick, listed without opening a file or following a link. */
export interface StickInventory {
  /** Regular files: raw path bytes (relative, '/'-separated) and size. */
  readonly files: ReadonlyArray<{ readonly relPathRaw: Buffer; readonly size: number }>;
  readonly totalBytes: number;
  readonly links: number;
  /** FIFOs, sockets, devices: listed, never read. */
  readonly specials: number;
  readonly folders: number;
}

export interface InventoryFailure {
  /** errno code, e.g. ENOTCONN when the stick was pulled (its FUSE server gone), EIO for a bad stick. */
  readonly code: string;
  readonly at: string;
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
}

/**
 * Walks a mounted stick folder by folder through descriptors (the capture engine's rule: no
 * symlink followed at any level), lstat-ing every entry. Used before the capture, to know what
 * the capture must account for, and after it, to tell a stick that went away.
 */
export function listStick(mountPoint: string): Result<StickInventory, InventoryFailure> {
  let real: string;
  try {
    real = realpathSync(mountPoint);
  } catch (e) {
    return err({ code: errCode(e), at: '' });
  }
  const files: { relPathRaw: Buffer; size: number }[] = [];
  let totalBytes = 0;
  let links = 0;
  let specials = 0;
  let folders = 0;
  const stack: Buffer[] = [Buffer.alloc(0)];
  while (stack.length > 0) {
    const relDir = stack.pop()!;
    const opened = openDirBeneath(real, relDir);
    if (!opened.ok) return err({ code: opened.error.code, at: relDir.toString('utf8') });
    try {
      let entries: Dirent<Buffer>[];
      try {
        entries = readdirSync(opened.value.access, { withFileTypes: true, encoding: 'buffer' });
      } catch (e) {
        return err({ code: errCode(e), at: relDir.toString('utf8') });
      }
      for (const d of entries) {
        const rel = joinRel(relDir, d.name);
        let st;
        try {
          st = lstatSync(childPath(opened.value.statBase(), d.name));
        } catch (e) {
          return err({ code: errCode(e), at: rel.toString('utf8') });
        }
        if (st.isSymbolicLink()) links++;
        else if (st.isDirectory()) {
          folders++;
          stack.push(rel);
        } else if (st.isFile()) {
          files.push({ relPathRaw: rel, size: st.size });
          totalBytes += st.size;
        } else specials++;
      }
    } finally {
      opened.value.release();
    }
  }
  return ok({ files, totalBytes, links, specials, folders });
}
