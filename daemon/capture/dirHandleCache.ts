import { ok, type Result } from '../core/result.ts';
import type { DirHandle, DirOpenFailure } from './dirAccess.ts';

interface Entry {
  readonly handle: DirHandle;
  readonly openedAt: number;
  refs: number;
  retired: boolean;
}

/**
 * Folder descriptors shared by the copies and settle checks of files in the same folder, so the
 * symlink-free walk from / runs once per folder, not once per file. Safe to reuse: a descriptor
 * always refers to the real folder that was reached without symlinks, whatever its name points
 * at later. Entries are fresh for `maxAgeMs` (a renamed folder is read under its old name for at
 * most that long); at most `maxEntries` stay open, and clear() closes the idle ones (the engine
 * calls it when idle, so no descriptor keeps a share busy).
 */
export class DirHandleCache {
  private readonly entries = new Map<string, Entry>(); // oldest first

  constructor(
    private readonly open: (rootPath: string, relDir: Buffer) => Result<DirHandle, DirOpenFailure>,
    private readonly maxAgeMs = 1000,
    private readonly maxEntries = 128,
  ) {}

  /** A handle to the folder; `fresh` walks again (scans must see a swap at once). release() it after use. */
  acquire(rootPath: string, relDir: Buffer, options: { fresh?: boolean } = {}): Result<DirHandle, DirOpenFailure> {
    const now = Date.now();
    this.sweep(now);
    const key = `${rootPath}\0${relDir.toString('latin1')}`;
    let entry = this.entries.get(key);
    if (entry === undefined || options.fresh === true) {
      const opened = this.open(rootPath, relDir);
      if (entry !== undefined) this.retire(key, entry);
      if (!opened.ok) return opened;
      entry = { handle: opened.value, openedAt: now, refs: 0, retired: false };
      this.entries.set(key, entry);
    }
    entry.refs++;
    const held = entry;
    let released = false;
    return ok({
      access: held.handle.access,
      statBase: () => held.handle.statBase(),
      release: () => {
        if (released) return;
        released = true;
        held.refs--;
        if (held.retired && held.refs === 0) held.handle.release();
      },
    });
  }

  /** Closes every descriptor not in use (the others close on their last release). */
  clear(): void {
    for (const [key, entry] of this.entries) this.retire(key, entry);
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now - entry.openedAt <= this.maxAgeMs && this.entries.size <= this.maxEntries) break;
      this.retire(key, entry);
    }
  }

  private retire(key: string, entry: Entry): void {
    if (this.entries.get(key) === entry) this.entries.delete(key);
    entry.retired = true;
    if (entry.refs === 0) entry.handle.release();
  }
}
