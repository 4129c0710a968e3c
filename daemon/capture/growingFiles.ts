import type { NewAlert } from '../core/state/alerts.ts';
import type { CatalogRowBrief } from './catalogWriter.ts';

/**
 * A captured file that grows, keeping every byte that was captured (an append), and whose growth
 * was noticed within a few settle times of its capture, was captured while the EMS was still
 * writing it (a writer that pauses about as long as the settle time): not tampering. The new
 * version is captured with at most one info alert per file. Any other change, growth noticed
 * later, or any growth when files are declared complete on sight (settle time 0), stays a critical
 * tamper signal.
 */
export const STILL_WRITING_SETTLES = 4;

/** The hash of the new content's first `bytes` bytes, taken while it was copied. */
export interface CapturedPrefix {
  readonly bytes: number;
  readonly sha256: string;
}

export function isStillBeingWritten(
  previous: CatalogRowBrief,
  prefix: CapturedPrefix | undefined,
  previousCapturedAt: string | undefined,
  changeSeenAt: string,
  settleMs: number,
): boolean {
  if (settleMs === 0 || prefix === undefined || previousCapturedAt === undefined) return false;
  if (prefix.bytes !== previous.size || prefix.sha256 !== previous.sha256) return false;
  const gap = Date.parse(changeSeenAt) - Date.parse(previousCapturedAt);
  return Number.isFinite(gap) && gap <= STILL_WRITING_SETTLES * settleMs;
}

export function grewAlert(rootLabel: string, relPath: string, previous: CatalogRowBrief, sha256: string, versionId: number): NewAlert & { subject: string } {
  return {
    severity: 'info',
    code: 'captured-file-grew',
    subject: `${rootLabel}:${relPath}`,
    message: `"${relPath}" in "${rootLabel}" was still being written when it was first captured: it grew afterwards and what was captured is unchanged. Every version is kept; the newest is the complete one.`,
    action: 'Nothing to do if the EMS was still exporting. If the export had finished, find out what is adding to this file.',
    details: { before: previous.sha256, after: sha256, previousVersionId: previous.id, versionId },
  };
}

export function changedAlert(rootLabel: string, relPath: string, previous: CatalogRowBrief, sha256: string, versionId: number): NewAlert & { subject: string } {
  return {
    severity: 'critical',
    code: 'captured-file-changed',
    subject: `${rootLabel}:${relPath}`,
    message: `The content of "${relPath}" in "${rootLabel}" changed after it was captured. Both versions are kept in the vault.`,
    action: 'Find out who changed it. Exported ballot images and CVRs should never change; treat this as a possible tamper signal.',
    details: { before: previous.sha256, after: sha256, previousVersionId: previous.id, versionId },
  };
}
