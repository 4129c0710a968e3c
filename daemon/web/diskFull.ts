import { statfsSync } from 'node:fs';
import { operatorError } from '../core/result.ts';
import { formatBytes } from './format.ts';

/**
 * A full data disk must not lock the operator out: the web layer keeps working read-only and
 * says so. These helpers tell a full disk apart from a bug, and describe it to the clerk.
 */

/** True for SQLite's "database or disk is full" and I/O errors, and for ENOSPC / EDQUOT. */
export function isDiskFull(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  return code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code === 'ENOSPC' || code === 'EDQUOT';
}

export const diskFullError = (what: string) =>
  operatorError('disk-full', `The appliance's disk is full, so ${what}.`, 'Tell the supervisor: free space on the appliance (or call technical support), then try again. Nothing already captured is lost.');

/** The overview's problem line when the data disk has less free space than capture keeps free. */
export function dataDiskProblem(dataDir: string, minFreeBytes: number): { message: string; action: string } | undefined {
  let free: number;
  try {
    const s = statfsSync(dataDir);
    free = s.bavail * s.bsize;
  } catch {
    return undefined; // a missing data folder is reported by capture, not guessed at here
  }
  if (free >= minFreeBytes) return undefined;
  return {
    message: `The appliance's disk is full: ${formatBytes(free)} free. New export files cannot be captured, and changes (alerts, hand-offs, the audit log) may not be saved.`,
    action: 'Tell the supervisor now: free space on the appliance or call technical support. Do not unplug the drives.',
  };
}
