import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { openRegular } from '../snapshot/bagReader.ts';
import { ExportSourceError, writeExportZips, type ExportedZip, type ExportFile } from '../snapshot/exportZips.ts';
import type { VerifyPins } from '../snapshot/verify.ts';
import { checkRestoreDrive } from './restoreDrive.ts';
import { planRestore, type PlannedFile } from './restorePlan.ts';

/**
 * `export-zips --from <drive>`: the audit-service ZIPs made from a snapshot drive instead of the
 * vault. The same files (the newest version of each path as of the snapshot), in the same order,
 * names and dates as the vault export; the drive is verified first, and every file is hashed as
 * it is read and must match the signed manifest, or no ZIP is left.
 */

interface DriveExportFile extends ExportFile {
  readonly planned: PlannedFile;
  readonly source: string;
}

export interface DriveExportOptions {
  readonly drive: string;
  readonly pins: VerifyPins;
  readonly election?: string;
  readonly snapshot?: number;
  readonly dest: string;
  readonly maxBytes: number;
  readonly logger: Logger;
}

const otherDrive = 'Export from the other drive of the pair; keep this drive as it is and call the election office.';

/** Reads a payload file no further than its recorded size, checking its SHA-256 at the end. */
async function* checkedChunks(f: DriveExportFile): AsyncGenerator<Buffer> {
  const bad = (why: string): ExportSourceError =>
    new ExportSourceError(operatorError('export-drive-file-bad', `${f.planned.shown} on the drive (${f.planned.bagName}/${f.planned.record.payloadPath}) ${why}. No ZIP was kept.`, otherDrive));
  const opened = await openRegular(f.source);
  if (!opened.ok) throw bad(opened.unsafe.detail);
  const { fh, size } = opened.value;
  try {
    if (size !== f.size) throw bad(`is ${size} bytes, the signed manifest says ${f.size}`);
    const hash = createHash('sha256');
    let done = 0;
    while (done < size) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, size - done));
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, done).catch((e: NodeJS.ErrnoException) => {
        throw bad(`cannot be read (${e.code ?? 'error'})`);
      });
      if (bytesRead === 0) throw bad(`ends after ${done} bytes`);
      hash.update(chunk.subarray(0, bytesRead));
      done += bytesRead;
      yield chunk.subarray(0, bytesRead);
    }
    if (hash.digest('hex') !== f.sha256) throw bad('does not match the signed manifest (damaged or altered)');
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** The vault export's order: ORDER BY root_label, rel_path, id in SQLite's byte order. */
function vaultOrder(a: DriveExportFile, b: DriveExportFile): number {
  return Buffer.compare(Buffer.from(a.rootLabel), Buffer.from(b.rootLabel)) || Buffer.compare(Buffer.from(a.relPath), Buffer.from(b.relPath)) || a.planned.record.catalogId - b.planned.record.catalogId;
}

export async function exportZipsFromDrive(o: DriveExportOptions): Promise<Result<{ zips: ExportedZip[]; manifestPath: string; snapshot: number; keyId: string | null }>> {
  const checked = await checkRestoreDrive('A', o.drive, o.pins, o.election);
  if (!checked.ok) return checked;
  if (!checked.value.usable) {
    const shown = checked.value.problems.slice(0, 5).map((p) => `${p.path}: ${p.detail}`);
    const more = checked.value.problems.length > 5 ? ` (and ${checked.value.problems.length - 5} more; "ballotsafe verify" lists them all)` : '';
    return err(operatorError('export-drive-refused', `The drive ${o.drive} failed verification; nothing was exported. ${shown.join('; ')}${more}`, otherDrive));
  }
  const drive = checked.value.drive;
  const plan = planRestore(drive.snapshots, o.snapshot);
  if (!plan.ok) return plan;
  const files: DriveExportFile[] = plan.value.files.map((planned) => ({
    rootLabel: planned.record.rootLabel,
    relPath: planned.record.relPath,
    sha256: planned.record.sha256,
    size: planned.record.size,
    capturedAt: planned.record.capturedAt,
    planned,
    source: join(drive.electionDir, 'snapshots', planned.bagName, planned.record.payloadPath),
  }));
  const known = files.find((f) => drive.badPayload.has(f.source));
  if (known !== undefined) {
    return err(operatorError('export-drive-file-bad', `${known.planned.shown} on the drive (${known.planned.bagName}/${known.planned.record.payloadPath}) ${drive.badPayload.get(known.source) ?? ''}. Nothing was exported.`, otherDrive));
  }
  files.sort(vaultOrder);
  const written = await writeExportZips(files, (f) => Readable.from(checkedChunks(f), { objectMode: false }), { electionName: drive.election, dest: o.dest, maxBytes: o.maxBytes, logger: o.logger });
  if (!written.ok) return written;
  return ok({ ...written.value, snapshot: plan.value.snapshot.sequence, keyId: drive.driveKeyId });
}
