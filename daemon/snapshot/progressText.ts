import type { SnapshotPhase, SnapshotProgress } from './api.ts';
import { formatBytes } from '../core/format.ts';

export const phaseWords: Record<SnapshotPhase, string> = {
  preflight: 'Checking the drives',
  writing: 'Writing files to both drives',
  syncing: 'Flushing to the drives',
  verifying: 'Reading back and verifying',
  manifests: 'Writing manifests and signature',
  done: 'Finished',
};

/** One progress line for a terminal (CLI, demo): the written and the read-back counts apart. */
export function progressLine(p: SnapshotProgress): string {
  const eta = p.secondsLeft === null || p.phase === 'done' ? '' : `, about ${Math.max(1, Math.ceil(p.secondsLeft))} s left`;
  const failed = p.perDrive.filter((d) => d.state === 'failed').map((d) => `; drive ${d.role} FAILED`).join('');
  const readBack = p.phase === 'preflight' || p.phase === 'writing' ? '' : `, ${p.filesVerified} of ${p.filesTotal} read back and checked`;
  return `${phaseWords[p.phase]}: ${p.filesDone} of ${p.filesTotal} files written (${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)})${readBack}${eta}${failed}`;
}
