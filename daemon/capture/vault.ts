import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { constants, promises as fsp, type BigIntStats } from 'node:fs';
import { dirname, join } from 'node:path';
import { vaultObjectPath, vaultTempDir } from './vaultLayout.ts';

/** A copy of a source file in <vault>/tmp, hashed while it was read. Not yet an object. */
export interface TempObject {
  readonly tempPath: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface CommittedObject {
  readonly sha256: string;
  readonly path: string;
  /** The vault already held this content; the temp copy was dropped. */
  readonly deduplicated: boolean;
}

const CHUNK = 1024 * 1024;

/**
 * The content-addressed local vault. Write order (restic's): copy to a temp file, make it durable,
 * rename to its object name, make the rename durable; only then may a catalog row name it.
 */
export class Vault {
  readonly objectsDir: string;
  readonly tempDir: string;
  private tempCounter = 0;
  private readonly tempPrefix = `${process.pid}-${randomBytes(4).toString('hex')}`;

  constructor(readonly dir: string) {
    this.objectsDir = join(dir, 'objects');
    this.tempDir = vaultTempDir(dir);
  }

  /** Creates the layout and clears temp files left by a crash (they never had a catalog row). */
  async init(): Promise<void> {
    await fsp.rm(this.tempDir, { recursive: true, force: true });
    await fsp.mkdir(this.tempDir, { recursive: true });
    await fsp.mkdir(this.objectsDir, { recursive: true });
  }

  objectPath(sha256: string): string {
    return vaultObjectPath(this.dir, sha256);
  }

  async has(sha256: string): Promise<boolean> {
    try {
      await fsp.access(this.objectPath(sha256));
      return true;
    } catch {
      return false;
    }
  }

  /** Free bytes for an unprivileged writer on the vault's file system. */
  async freeBytes(): Promise<number> {
    const s = await fsp.statfs(this.dir);
    return s.bavail * s.bsize;
  }

  /**
   * Streams the open source once: every chunk read is hashed and written to a temp file.
   * Reads at most `expectedSize` bytes plus one probe, so a file still growing is noticed by the
   * caller's size check instead of being chased forever.
   */
  async copyToTemp(source: fsp.FileHandle, expectedSize: number, afterFirstChunk?: () => Promise<void> | void): Promise<TempObject> {
    const tempPath = join(this.tempDir, `${this.tempPrefix}-${++this.tempCounter}`);
    const out = await fsp.open(tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o444);
    const hash = createHash('sha256');
    let bytes = 0;
    try {
      const buf = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, expectedSize + 1)));
      let first = true;
      for (;;) {
        const { bytesRead } = await source.read(buf, 0, buf.length, bytes);
        if (bytesRead === 0) break;
        const chunk = buf.subarray(0, bytesRead);
        hash.update(chunk);
        let written = 0;
        while (written < bytesRead) written += (await out.write(chunk, written, bytesRead - written)).bytesWritten;
        bytes += bytesRead;
        if (first && afterFirstChunk !== undefined) await afterFirstChunk();
        first = false;
        if (bytes > expectedSize) break; // grew while reading: the caller discards and retries later
      }
    } catch (e) {
      await out.close().catch(() => {});
      await fsp.rm(tempPath, { force: true });
      throw e;
    }
    await out.close();
    return { tempPath, sha256: hash.digest('hex'), bytes };
  }

  async discard(temp: TempObject): Promise<void> {
    await fsp.rm(temp.tempPath, { force: true });
  }

  /**
   * Turns temp files into objects: data durable, renames, renames durable. Batched so one
   * file-system sync covers many files (a per-file fsync costs more than the copy).
   */
  async commit(temps: readonly TempObject[]): Promise<CommittedObject[]> {
    if (temps.length === 0) return [];
    await syncFileSystem(this.tempDir, temps.map((t) => t.tempPath));
    const result: CommittedObject[] = [];
    const touchedDirs = new Set<string>();
    for (const t of temps) {
      const path = this.objectPath(t.sha256);
      if (await exists(path)) {
        // Objects are only ever renamed into place after a sync, so an existing one is complete.
        await fsp.rm(t.tempPath, { force: true });
        result.push({ sha256: t.sha256, path, deduplicated: true });
        continue;
      }
      const dir = dirname(path);
      if (!touchedDirs.has(dir)) await fsp.mkdir(dir, { recursive: true });
      touchedDirs.add(dir);
      await fsp.rename(t.tempPath, path);
      result.push({ sha256: t.sha256, path, deduplicated: false });
    }
    if (touchedDirs.size > 0) await syncFileSystem(this.objectsDir, [], [...touchedDirs, this.objectsDir]);
    return result;
  }

  /** Re-reads an object and checks it against its name (for audits and tests). */
  async verifyObject(sha256: string): Promise<boolean> {
    const hash = createHash('sha256');
    try {
      const fh = await fsp.open(this.objectPath(sha256), 'r');
      try {
        for await (const chunk of fh.createReadStream({ highWaterMark: CHUNK })) hash.update(chunk as Buffer);
      } finally {
        await fh.close().catch(() => {});
      }
    } catch {
      return false;
    }
    return hash.digest('hex') === sha256;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await fsp.lstat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

let syncfsWorks: boolean | undefined;

/**
 * Makes pending writes on the file system holding `anyPath` durable. syncfs(2) (via coreutils
 * `sync -f`) covers a whole batch at once; without it, fsync each file and directory named.
 */
async function syncFileSystem(anyPath: string, files: readonly string[], dirs: readonly string[] = []): Promise<void> {
  if (syncfsWorks !== false) {
    const okay = await new Promise<boolean>((resolve) => execFile('sync', ['-f', anyPath], (error) => resolve(error === null)));
    if (okay) {
      syncfsWorks = true;
      return;
    }
    syncfsWorks = false;
  }
  for (const p of [...files, ...dirs]) {
    const fh = await fsp.open(p, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }
}

export function statSummary(s: BigIntStats): { size: number; mtimeNs: bigint; ctimeNs: bigint; ino: bigint } {
  return { size: Number(s.size), mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, ino: s.ino };
}
