import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import type { OperatorError } from '../core/result.ts';
import type { DriveProgress, DriveRole, SnapshotPhase, SnapshotProgress } from './api.ts';

/** A drive of the run as progress sees it: its role, and its failure once it dropped out. */
export interface ProgressDrive {
  readonly target: { readonly role: DriveRole };
  readonly error: OperatorError | undefined;
}

/**
 * Progress for callbacks (throttled) and the log (every few seconds). Writing and the read-back
 * are counted apart: the read-back is the slower drive's (a drive that dropped out no longer counts),
 * so "305 of 305 written" is never shown as done while the drives are still being read back.
 */
export class ProgressTracker {
  private current: SnapshotPhase = 'preflight';
  private filesDone = 0;
  private bytesDone = 0;
  private readonly verifiedFiles = new Map<ProgressDrive, number>();
  private readonly verifiedBytes = new Map<ProgressDrive, number>();
  private readonly started = Date.now();
  private lastCallback = 0;
  private lastLog = 0;

  constructor(
    private readonly filesTotal: number,
    private readonly bytesTotal: number,
    private readonly drives: readonly ProgressDrive[],
    private readonly logger: Logger,
    private readonly onProgress: ((p: SnapshotProgress) => void) | undefined,
    private readonly intervalMs: number,
  ) {}

  currentPhase(): SnapshotPhase {
    return this.current;
  }

  phase(p: SnapshotPhase): void {
    this.current = p;
    this.emit(true);
  }

  wrote(files: number, bytes: number): void {
    this.filesDone += files;
    this.bytesDone += bytes;
    this.emit(false);
  }

  verified(d: ProgressDrive, files: number, bytes: number): void {
    this.verifiedFiles.set(d, (this.verifiedFiles.get(d) ?? 0) + files);
    this.verifiedBytes.set(d, (this.verifiedBytes.get(d) ?? 0) + bytes);
    this.emit(false);
  }

  /** The read-back of the slowest drive still in the run. */
  private readBack(of: Map<ProgressDrive, number>): number {
    const live = this.drives.filter((d) => d.error === undefined);
    return live.length === 0 ? 0 : Math.min(...live.map((d) => of.get(d) ?? 0));
  }

  snapshot(): SnapshotProgress {
    const elapsed = (Date.now() - this.started) / 1000;
    const bytesVerified = this.readBack(this.verifiedBytes);
    // Writing is one pass, the read-back a second: time left counts both.
    const work = this.bytesDone + bytesVerified;
    const rate = elapsed > 0 ? work / elapsed : 0;
    const left = this.bytesTotal * 2 - work;
    const perDrive: DriveProgress[] = this.drives.map((d) =>
      d.error !== undefined ? { role: d.target.role, state: 'failed', message: d.error.message } : { role: d.target.role, state: this.current === 'done' ? 'verified' : 'writing' },
    );
    return {
      phase: this.current,
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
      bytesDone: this.bytesDone,
      bytesTotal: this.bytesTotal,
      filesVerified: this.readBack(this.verifiedFiles),
      bytesVerified,
      bytesPerSecond: Math.round(this.bytesDone / Math.max(elapsed, 0.001)),
      secondsLeft: rate > 0 && work > 0 ? Math.max(0, Math.round(left / rate)) : null,
      perDrive,
    };
  }

  private emit(force: boolean): void {
    const now = Date.now();
    if (this.onProgress !== undefined && (force || now - this.lastCallback >= this.intervalMs)) {
      this.lastCallback = now;
      this.onProgress(this.snapshot());
    }
    if (force || now - this.lastLog >= 5000) {
      this.lastLog = now;
      const s = this.snapshot();
      logEvent(this.logger, LogEvent.SnapshotProgress, {
        phase: s.phase,
        filesDone: s.filesDone,
        filesTotal: s.filesTotal,
        bytesDone: s.bytesDone,
        bytesTotal: s.bytesTotal,
        filesVerified: s.filesVerified,
        bytesPerSecond: s.bytesPerSecond,
        secondsLeft: s.secondsLeft,
        perDrive: s.perDrive.map((p) => `${p.role}:${p.state}`),
      });
    }
  }
}
