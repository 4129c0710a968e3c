import type { SnapshotProgress } from '../snapshot/api.ts';
import { formatBytes, formatCount } from './format.ts';

/** The two passes of a snapshot as the Snapshot page shows them: written, then read back and checked. */
export interface SnapshotProgressView {
  readonly writtenPercent: number;
  readonly written: string;
  readonly readBackPercent: number;
  readonly readBack: string;
  readonly bytes: string;
}

function percent(done: number, total: number, filesDone: number, filesTotal: number): number {
  if (total > 0) return Math.min(100, Math.floor((100 * done) / total));
  return filesTotal > 0 ? Math.min(100, Math.floor((100 * filesDone) / filesTotal)) : 0;
}

/** Mirrored in web-ui/app.js (live updates); keep the two in step. */
export function snapshotProgressView(p: SnapshotProgress): SnapshotProgressView {
  return {
    writtenPercent: percent(p.bytesDone, p.bytesTotal, p.filesDone, p.filesTotal),
    written: `${formatCount(p.filesDone)} of ${formatCount(p.filesTotal)} files`,
    readBackPercent: percent(p.bytesVerified, p.bytesTotal, p.filesVerified, p.filesTotal),
    readBack: p.phase === 'preflight' || p.phase === 'writing' ? 'starts when writing ends' : `${formatCount(p.filesVerified)} of ${formatCount(p.filesTotal)} files`,
    bytes: `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`,
  };
}
