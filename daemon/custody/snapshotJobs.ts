import { EventEmitter } from 'node:events';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, thrownFields, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import type { CopyPreview, DriveTarget, SnapshotOutcome, SnapshotProgress, SnapshotRequest, SnapshotService } from '../snapshot/api.ts';

export interface SnapshotJobView {
  readonly state: 'idle' | 'running' | 'finished' | 'failed';
  readonly reason: string | null;
  readonly actor: string | null;
  readonly startedAt: string | null;
  readonly progress: SnapshotProgress | null;
  readonly outcome: SnapshotOutcome | null;
  readonly error: OperatorError | null;
  /** True only when the last run finished with every drive complete (verified by read-back). */
  readonly safeToRemove: boolean;
}

const idle: SnapshotJobView = { state: 'idle', reason: null, actor: null, startedAt: null, progress: null, outcome: null, error: null, safeToRemove: false };

/**
 * Wraps the snapshot engine so the UI sees every run (operator button, schedule, poll close):
 * keeps the current progress and the last result in memory and emits 'change' on each update.
 * The custody workflow owns the one instance (runSnapshot/startSnapshot), so every run shows on the Snapshot page.
 */
export class SnapshotJobs implements SnapshotService {
  private view: SnapshotJobView = idle;
  private readonly events = new EventEmitter();

  constructor(
    private readonly inner: SnapshotService,
    private readonly logger: Logger,
  ) {
    this.events.setMaxListeners(100);
  }

  isBusy(): boolean {
    return this.view.state === 'running' || this.inner.isBusy();
  }

  /** The engine's count of what a run would write now; undefined when the engine cannot tell. */
  preview(drives: readonly DriveTarget[], full?: boolean): Promise<CopyPreview> | undefined {
    return this.inner.previewCopy?.(drives, full);
  }

  current(): SnapshotJobView {
    return this.view;
  }

  onChange(listener: (view: SnapshotJobView) => void): () => void {
    this.events.on('change', listener);
    return () => this.events.off('change', listener);
  }

  async run(request: SnapshotRequest, onProgress?: (p: SnapshotProgress) => void): Promise<Result<SnapshotOutcome>> {
    if (this.isBusy()) return err(busyError());
    this.set({ ...idle, state: 'running', reason: request.reason, actor: request.actor, startedAt: new Date().toISOString() });
    let result: Result<SnapshotOutcome>;
    try {
      result = await this.inner.run(request, (p) => {
        this.set({ ...this.view, progress: p });
        onProgress?.(p);
      });
    } catch (e) {
      // A bug in the engine must not leave the UI saying "running" forever.
      logEvent(this.logger, LogEvent.SnapshotCrashed, thrownFields(e), 'error');
      result = err(operatorError('snapshot-crashed', 'The snapshot stopped because of an internal error.', 'Press End-of-day snapshot again. If it fails again, call technical support and keep both drives.'));
    }
    if (result.ok) {
      const safe = result.value.perDrive.length >= 2 && result.value.perDrive.every((d) => d.state === 'complete');
      this.set({ ...this.view, state: 'finished', outcome: result.value, safeToRemove: safe });
    } else {
      this.set({ ...this.view, state: 'failed', error: result.error, safeToRemove: false });
    }
    return result;
  }

  /** Starts a run in the background; the answer says only whether it started. */
  start(request: SnapshotRequest): Result<{ startedAt: string }> {
    if (this.isBusy()) return err(busyError());
    void this.run(request);
    return ok({ startedAt: this.view.startedAt ?? new Date().toISOString() });
  }

  private set(view: SnapshotJobView): void {
    this.view = view;
    this.events.emit('change', view);
  }
}

function busyError(): OperatorError {
  return operatorError('snapshot-busy', 'A snapshot is already running.', 'Wait for it to finish; its progress is shown on the Snapshot page.');
}
