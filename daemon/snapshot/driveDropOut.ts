import { stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatBytes } from '../core/format.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { operatorError, technicalText, type OperatorError } from '../core/result.ts';
import type { Db } from '../core/db/database.ts';
import { driveAlertGroup, resolveDriveAlerts } from '../core/state/alertResolution.ts';
import type { AuditLog } from '../core/state/auditLog.ts';
import type { AlertLog } from '../core/state/alerts.ts';
import type { DriveRole, DriveTarget } from './api.ts';

/**
 * A drive that cannot take this snapshot (not there, write-protected, too full) drops out before
 * anything is written: the other drive still gets the snapshot, and the clerk gets a critical
 * alert saying what to do. Only when no drive is left does the snapshot refuse as a whole.
 */

interface DroppableDrive {
  readonly target: DriveTarget;
  error: OperatorError | undefined;
}


/** Undefined when the drive's folder is there; otherwise why it drops out. */
export async function missingDriveError(target: DriveTarget): Promise<OperatorError | undefined> {
  try {
    if ((await stat(target.root)).isDirectory()) return undefined;
  } catch {
    // not there at all: same answer
  }
  return operatorError('drive-missing', `Drive ${target.role} is not available, so it gets nothing from this snapshot.`, `Plug in drive ${target.role} and press End-of-day snapshot: catch-up brings it level.`);
}

/** Writes and removes a tiny file: a write-protected drive (or mount) is found before any bag byte. */
export async function readOnlyDriveError(role: DriveRole, electionDir: string): Promise<OperatorError | undefined> {
  const probe = join(electionDir, '.ballotsafe-write-check');
  try {
    await writeFile(probe, 'ok\n');
    await unlink(probe);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code !== 'EROFS' && code !== 'EACCES' && code !== 'EPERM') return undefined; // other failures surface while writing
    return operatorError('drive-read-only', `Drive ${role} is write-protected (read-only), so it gets nothing from this snapshot.`, `Slide the drive's write-protect switch off (or use another drive ${role}), plug it in and press End-of-day snapshot: catch-up brings it level.`);
  }
}

export function tooSmallError(role: DriveRole, freeBytes: number, needBytes: number): OperatorError {
  return operatorError(
    'drive-too-small',
    `Drive ${role} has ${formatBytes(freeBytes)} free; this snapshot needs about ${formatBytes(needBytes)}, so drive ${role} gets nothing from it.`,
    `Replace drive ${role} with an enrolled drive that has at least ${formatBytes(needBytes)} free, then press End-of-day snapshot: catch-up brings it level.`,
  );
}

/** Marks the drive as dropped out (it takes no part in this run) and logs it. */
export function dropOut(d: DroppableDrive, error: OperatorError, logger: Logger): void {
  d.error = error;
  logEvent(logger, LogEvent.SnapshotDriveDroppedOut, { role: d.target.role, code: error.code, error: technicalText(error) }, 'warn');
}

/** The critical alert for a drive that got nothing: one open alert per drive and cause, counting repeats. */
export function raiseDriveFailed(alerts: AlertLog, target: DriveTarget, error: OperatorError, message: string): void {
  alerts.raiseRepeated(
    {
      severity: 'critical',
      code: 'snapshot-drive-failed',
      group: driveAlertGroup(target.role, error.code),
      message: (n) => (n === 1 ? message : `${message} (This happened at ${n} snapshots in a row.)`),
      action: error.action ?? `Reconnect drive ${target.role} or a replacement and start a snapshot; catch-up brings it level.`,
      ...(error.technician === undefined ? {} : { technician: error.technician }),
    },
    [target.serial ?? `drive ${target.role}`], // a folder drive's path is for the technician (Settings), not the alert's line
  );
}

/** When every drive dropped out nothing is written: still alert, or a scheduled snapshot fails unseen. */
export function alertNoDriveLeft(drives: readonly DroppableDrive[], alerts: AlertLog): OperatorError {
  for (const d of drives) {
    if (d.error === undefined || d.error.code === 'drive-evidence-mismatch') continue; // the latter alerted already
    raiseDriveFailed(alerts, d.target, d.error, d.error.message);
  }
  const first = drives.find((d) => d.error !== undefined)?.error;
  if (first !== undefined && drives.every((d) => d.error?.code === first.code)) {
    return operatorError(first.code, `Neither drive can take the snapshot; nothing was written. ${drives.map((d) => d.error?.message ?? '').join(' ')}`, first.action);
  }
  return operatorError('snapshot-no-usable-drive', `Neither drive can take the snapshot; nothing was written. ${drives.map((d) => d.error?.message ?? '').join(' ')}`, first?.action ?? 'Plug in both enrolled drives and start again.');
}

/**
 * A drive that took part without failing holds every snapshot up to the newest again: its earlier
 * "got nothing" alerts have lost their cause and close themselves (with an audit entry).
 */
export function closeAlertsOfLevelDrives(db: Db, logger: Logger, audit: AuditLog, drives: readonly (DroppableDrive & { readonly present: ReadonlySet<string> })[], newest: { readonly sequence: number; readonly bag_name: string } | undefined): void {
  if (newest === undefined) return;
  for (const d of drives) {
    if (d.error !== undefined || !d.present.has(newest.bag_name)) continue;
    resolveDriveAlerts(db, logger, audit, { code: 'snapshot-drive-failed', role: d.target.role, why: `Drive ${d.target.role} took snapshot #${newest.sequence}, read back and verified: it holds every captured file again.` });
  }
}
