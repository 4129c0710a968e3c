import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { posix, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ZipArchive } from 'archiver';
import { CatalogStore } from '../capture/catalogStore.ts';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { manifestLine } from './bagFormat.ts';
import { fsyncPath, writeFileAtomic } from './driveIo.ts';
import { formatBytes } from '../core/format.ts';

/**
 * Export for third-party audit services: the latest captured version of every file, in ZIP archives
 * (stored, zip64) no larger than a limit, a batch folder (one directory) never split across ZIPs,
 * and `<election>-manifest-sha256.txt` over the ZIPs.
 */

/** A size typed by a person: "5G" and "5GB" are decimal like every size shown (core/format.ts); "5GiB" is binary. */
export function parseByteSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([KMGT]?)(i?B)?$/i.exec(text.trim());
  if (m?.[1] === undefined) return undefined;
  const power = ['', 'K', 'M', 'G', 'T'].indexOf((m[2] ?? '').toUpperCase());
  const mult = (m[3]?.toLowerCase() === 'ib' ? 1024 : 1000) ** power;
  const n = Math.floor(Number(m[1]) * mult);
  return n > 0 ? n : undefined;
}

export interface ExportFile {
  readonly rootLabel: string;
  readonly relPath: string;
  readonly sha256: string;
  readonly size: number;
  readonly capturedAt: string;
}

export interface ExportedZip {
  readonly name: string;
  readonly files: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** Conservative zip64 overhead of one stored entry: local header, data descriptor, central record. */
function entryOverhead(name: string): number {
  return 30 + 46 + 2 * Buffer.byteLength(name) + 20 + 32 + 24 + 16;
}

export interface ExportOptions {
  readonly db: Db;
  readonly vaultDir: string;
  readonly electionName: string;
  readonly dest: string;
  readonly maxBytes: number;
  readonly logger: Logger;
}

export async function exportZips(o: ExportOptions): Promise<Result<{ zips: ExportedZip[]; manifestPath: string }>> {
  const files: ExportFile[] = new CatalogStore(o.db).versionsForExport();
  return writeExportZips(files, (f) => createReadStream(vaultObjectPath(o.vaultDir, f.sha256)), o);
}

/** Where the files' bytes come from (the vault, or a drive read and checked as it goes). */
export type ExportSource<F extends ExportFile> = (file: F) => Readable;

/** A source that found a file not as recorded; its message names the file. */
export class ExportSourceError extends Error {
  constructor(readonly operatorError: OperatorError) {
    super(operatorError.message);
  }
}

/** The ZIPs and their manifest for `files` (in archive order), whatever the source. */
export async function writeExportZips<F extends ExportFile>(
  files: readonly F[],
  source: ExportSource<F>,
  o: Pick<ExportOptions, 'electionName' | 'dest' | 'maxBytes' | 'logger'>,
): Promise<Result<{ zips: ExportedZip[]; manifestPath: string }>> {  // Batch folder = root + directory; a group is never split.
  const groups = new Map<string, F[]>();
  for (const f of files) {
    const key = `${f.rootLabel}/${posix.dirname(f.relPath)}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const endOverhead = 22 + 56 + 20 + 1024;
  const zips: F[][] = [];
  let current: F[] = [];
  let currentSize = endOverhead;
  for (const [folder, members] of groups) {
    const size = members.reduce((n, f) => n + f.size + entryOverhead(`${f.rootLabel}/${f.relPath}`), 0);
    if (size + endOverhead > o.maxBytes) {
      return err(operatorError('export-batch-too-large', `The folder ${folder} holds ${formatBytes(size)}, more than --max-size ${formatBytes(o.maxBytes)}; a batch folder is never split across ZIPs.`, `Give a larger --max-size (at least ${formatBytes(size + endOverhead)}).`));
    }
    if (currentSize + size > o.maxBytes && current.length > 0) {
      zips.push(current);
      current = [];
      currentSize = endOverhead;
    }
    current.push(...members);
    currentSize += size;
  }
  if (current.length > 0) zips.push(current);

  mkdirSync(o.dest, { recursive: true });
  const manifestPath = join(o.dest, `${o.electionName}-manifest-sha256.txt`);
  const width = Math.max(3, String(zips.length).length);
  const names = zips.map((_, i) => `${o.electionName}-${String(i + 1).padStart(width, '0')}.zip`);
  const clash = [...names, `${o.electionName}-manifest-sha256.txt`].find((n) => existsSync(join(o.dest, n)));
  if (clash !== undefined) return err(operatorError('export-exists', `${join(o.dest, clash)} already exists.`, 'Export into an empty folder.'));

  const done: ExportedZip[] = [];
  for (const [i, members] of zips.entries()) {
    const name = names[i] ?? '';
    const path = join(o.dest, name);
    const archive = new ZipArchive({ store: true, forceZip64: true });
    const hash = createHash('sha256');
    const tee = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    const written = pipeline(archive, tee, createWriteStream(path));
    for (const f of members) {
      const src = source(f);
      // archiver does not listen for its sources' errors: pass them on, or the export would hang.
      src.once('error', (e) => archive.destroy(e));
      archive.append(src, { name: `${f.rootLabel}/${f.relPath}`, date: new Date(f.capturedAt), store: true });
    }
    const finished = archive.finalize();
    finished.catch(() => undefined);
    try {
      await Promise.all([finished, written]);
    } catch (e) {
      // No partial set is left behind: a failed source removes this run's ZIPs.
      for (const n of names.slice(0, i + 1)) await rm(join(o.dest, n), { force: true });
      if (!(e instanceof ExportSourceError)) throw e;
      return err(e.operatorError);
    }
    await fsyncPath(path);
    const size = (await stat(path)).size;
    if (size > o.maxBytes) return err(operatorError('export-zip-too-large', `${name} came out at ${formatBytes(size)}, above --max-size.`, 'Report this; use a slightly smaller --max-size meanwhile.'));
    done.push({ name, files: members.length, bytes: size, sha256: hash.digest('hex') });
  }
  await writeFileAtomic(manifestPath, done.map((z) => manifestLine(z.sha256, z.name)).join(''));
  logEvent(o.logger, LogEvent.ExportZipsFinished, { dest: o.dest, zips: done.length, files: files.length });
  return ok({ zips: done, manifestPath });
}
