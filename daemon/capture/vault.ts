import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp, rmSync } from 'node:fs';
import { join } from 'node:path';
import { vaultObjectPath, vaultTempDir } from './vaultLayout.ts';

/** A copy of a source file in <vault>/tmp, hashed while it was read. Not yet an object. */
export interface TempObject {
  readonly tempPath: string;
  readonly sha256: string;
  readonly bytes: number;
}

const CHUNK = 1024 * 1024;

/**
 * The content-addressed local vault: objects named by their SHA-256. Copies are made by the copy
 * workers in restic's write order (copyWorker.mjs): temp file, data durable, rename to its object
 * name, names durable; only then may a catalog row name the object.
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
    await this.checkWritable();
  }

  /** Creates and removes a file in the objects folder: a vault that cannot take writes is found at start, not at the first export. */
  private async checkWritable(): Promise<void> {
    const probe = join(this.objectsDir, `.write-check-${this.tempPrefix}`);
    await fsp.writeFile(probe, '', { flag: 'wx' });
    await fsp.rm(probe);
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

  /** A fresh name in <vault>/tmp for a copy in progress (copyWorker.mjs writes it). */
  newTempPath(): string {
    return join(this.tempDir, `${this.tempPrefix}-${++this.tempCounter}`);
  }

  /** Drops a temp copy that will not become an object (the file changed while it was read). */
  discard(temp: TempObject): void {
    rmSync(temp.tempPath, { force: true });
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
