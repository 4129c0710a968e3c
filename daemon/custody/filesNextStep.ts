import type { DriveFacts } from './facts.ts';

/** What keeps one drive from taking the files now, as the first half of "…, then press End-of-day snapshot". */
function driveFix(d: DriveFacts, away: boolean): string | undefined {
  if (!d.enrolled) return `enroll a drive as drive ${d.role} on the Drives page`;
  if (!d.present) return away ? `bring drive ${d.role} back from the safe and plug it in` : `plug drive ${d.role} back in`;
  if (d.identity === 'missing' || d.identity === 'mismatch') return `plug in the real drive ${d.role}`;
  if (d.failedReturnCheck !== null) return `plug in a replacement drive ${d.role}`;
  return undefined;
}

/**
 * The next step for captured files not on both drives, from the custody state: pressing End-of-day
 * is only the answer when both drives can take the snapshot; otherwise the drive comes first.
 */
export function filesNextStep(drives: readonly DriveFacts[], away: boolean): string {
  const fixes = drives.map((d) => driveFix(d, away)).filter((f): f is string => f !== undefined);
  if (fixes.length === 0) return 'Press End-of-day snapshot when the exports are done.';
  const first = fixes.join(' and ');
  return `${first.charAt(0).toUpperCase()}${first.slice(1)}, then press End-of-day snapshot so both drives get these files.`;
}
