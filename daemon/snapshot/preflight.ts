import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { formatBytes } from '../core/format.ts';
import type { CatalogVersion } from './catalog.ts';
import { driveError, fat32MaxFileSize, fileSystemOf, freeSpace, isFatFileSystem, mkdirOnDrive } from './driveIo.ts';
import { dropOut, readOnlyDriveError, tooSmallError } from './driveDropOut.ts';
import type { DriveRun } from './driveRun.ts';
import { keyIdHex, publicKeyFile, publicKeyFileName, type ApplianceKey } from './minisign.ts';
import type { PlannedBag } from './plan.ts';

export interface PreflightContext {
  /** The appliance key's identity (its secret may be in the signer process). */
  readonly key: Pick<ApplianceKey, 'keyId' | 'publicKeyRaw'>;
  readonly electionName: string;
  readonly logger: Logger;
}

/**
 * Before anything is written: a drive of another appliance, read-only or too small drops out (the
 * run goes on with the other); a file too large for FAT32 or a path too long refuses the run.
 */
export async function preflight(
  ctx: PreflightContext,
  drives: readonly DriveRun[],
  existing: readonly PlannedBag[],
  toWrite: ReadonlyMap<string, readonly DriveRun[]>,
  newSizes: readonly number[],
  newVersions: readonly CatalogVersion[],
): Promise<Result<true>> {
  // File-system limits first: a FAT32 drive cannot take a 4 GiB file whatever its free space.
  for (const d of drives) {
    const fs = fileSystemOf(d.target.root);
    if (fs === undefined || !isFatFileSystem(fs.fsType)) continue;
    const sizes = [...newSizes, ...existing.filter((b) => (toWrite.get(b.bagName) ?? []).includes(d)).flatMap((b) => b.items.map((it) => it.size))];
    const largest = Math.max(0, ...sizes);
    if (largest > fat32MaxFileSize) {
      const big = newVersions.find((v) => v.size > fat32MaxFileSize);
      return err(operatorError('drive-fat32-file-too-large', `Drive ${d.target.role} is FAT32, which cannot hold files of 4 GiB or more; ${big ? `${big.rootLabel}/${big.relPath} is ${formatBytes(big.size)}` : `a file is ${formatBytes(largest)}`}.`, 'Use drives formatted as exFAT for this election.'));
    }
  }
  for (const d of drives) {
    const pub = join(d.electionDir, publicKeyFileName);
    if (existsSync(pub) && readFileSync(pub, 'utf8') !== publicKeyFile(ctx.key)) {
      dropOut(d, operatorError('drive-other-appliance', `Drive ${d.target.role} holds snapshots of "${ctx.electionName}" signed by another appliance key, so it gets nothing from this snapshot.`, `Use a drive ${d.target.role} prepared for this appliance (key ${keyIdHex(ctx.key.keyId)}), or an empty one.`), ctx.logger);
      continue;
    }
    let space: { freeBytes: number | null; blockSize: number };
    try {
      await mkdirOnDrive(d.target.root, join(d.electionDir, 'snapshots'));
      const readOnly = await readOnlyDriveError(d.target.role, d.electionDir);
      if (readOnly !== undefined) {
        dropOut(d, readOnly, ctx.logger);
        continue;
      }
      space = await freeSpace(d.target.root);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? '';
      const readOnly = code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? await readOnlyDriveError(d.target.role, d.target.root) : undefined;
      dropOut(d, readOnly ?? driveError(d.target.role, d.target.root, e), ctx.logger);
      continue;
    }
    const bs = Math.max(512, space.blockSize);
    const round = (n: number) => Math.ceil(n / bs) * bs + bs;
    let need = 1024 * 1024;
    let largest = 0;
    let longest = '';
    for (const bag of existing) {
      if (!(toWrite.get(bag.bagName) ?? []).includes(d)) continue;
      for (const it of bag.items) {
        need += round(it.size);
        largest = Math.max(largest, it.size);
        if (it.payloadPath.length > longest.length) longest = it.payloadPath;
      }
      for (const t of Object.values(bag.tagFiles)) need += round(Buffer.byteLength(t));
    }
    for (const s of newSizes) {
      need += round(s);
      largest = Math.max(largest, s);
    }
    need += round(newVersions.length * 200) * 3; // manifest, files list, index growth
    if (space.freeBytes === null) {
      logEvent(ctx.logger, LogEvent.SnapshotProgress, { phase: 'preflight', role: d.target.role, error: `drive ${d.target.role} does not report its free space; writing without the space check (a full drive is then handled as a failed drive)` }, 'warn');
    } else if (need > space.freeBytes) {
      dropOut(d, tooSmallError(d.target.role, space.freeBytes, need), ctx.logger);
      continue;
    }
    const prefix = Buffer.byteLength(join(d.electionDir, 'snapshots', '000000-00000000T000000Z')) + 1;
    for (const v of newVersions) if (Buffer.byteLength(v.relPath) * 3 + prefix + 64 > 4000) longest = `${v.rootLabel}/${v.relPath}`;
    if (longest !== '' && Buffer.byteLength(longest) + prefix > 4000) {
      return err(operatorError('drive-path-too-long', `The path ${longest} is too long to store on drive ${d.target.role}.`, 'Shorten the folder names of the export, or mount the drive at a shorter path.'));
    }
  }
  return ok(true);
}
