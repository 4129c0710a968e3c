import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
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
/** fsync+rename in flight per batch; each blocks one libuv thread (see UV_THREADPOOL_SIZE in commands.ts). */
const COMMIT_PARALLEL = 48;

/**
 * The content-addressed local vault. Write order (restic's): copy to a temp file, fsync it,
 * rename to its object name, fsync the directory; only then may a catalog row name it.
 */
export class Vault {
  readonly objectsDir: string;
  readonly tempDir: string;
  private tempCounter = 0;
  private readonly knownDirs = new Set<string>();
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
   * Turns temp files into objects: fsync each, rename it into place, then fsync every directory
   * that gained an entry, so data and names are durable before any catalog row points at them.
   */
  async commit(temps: readonly TempObject[]): Promise<CommittedObject[]> {
    if (temps.length === 0) return [];
    const touchedDirs = new Set<string>();
    const result: CommittedObject[] = new Array<CommittedObject>(temps.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let i = next++; i < temps.length; i = next++) {
        const t = temps[i]!;
        const path = this.objectPath(t.sha256);
        // Data durable before the name: fsyncs for a whole batch run in parallel here, by when the
        // kernel has usually written most of it back already.
        await fsyncPath(t.tempPath);
        if (await exists(path)) {
          // Objects are only renamed into place after their data was synced, so an existing one is complete.
          await fsp.rm(t.tempPath, { force: true });
          result[i] = { sha256: t.sha256, path, deduplicated: true };
          continue;
        }
        const dir = dirname(path);
        if (!this.knownDirs.has(dir)) {
          if ((await fsp.mkdir(dir, { recursive: true })) !== undefined) touchedDirs.add(this.objectsDir);
          this.knownDirs.add(dir);
        }
        touchedDirs.add(dir);
        await fsp.rename(t.tempPath, path);
        result[i] = { sha256: t.sha256, path, deduplicated: false };
      }
    };
    await Promise.all(Array.from({ length: Math.min(COMMIT_PARALLEL, temps.length) }, worker));
    await Promise.all([...touchedDirs].map((d) => fsyncPath(d)));
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

async function fsyncPath(path: string): Promise<void> {
  const fh = await fsp.open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
