import cron, { type ScheduledTask } from 'node-cron';
import type { Config } from '../core/config.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { SnapshotOutcome, SnapshotProgress, SnapshotReason, SnapshotRequest } from '../snapshot/api.ts';
import type { CustodyRecord, HandOffRequest } from './service.ts';

/** Checks every cron expression; the error names the config key (snapshot.schedules.N). */
export function validateSchedules(schedules: readonly string[]): Result<void> {
  const bad = schedules.map((s, i) => ({ s, i })).filter(({ s }) => !cron.validate(s));
  if (bad.length === 0) return ok(undefined);
  return err(
    operatorError(
      'config-invalid',
      `The configuration is not valid:\n  ${bad.map(({ s, i }) => `snapshot.schedules.${i}: "${s}" is not a valid cron expression`).join('\n  ')}`,
      'Use five or six fields, e.g. "0 22 * * *" for 10 pm every day.',
    ),
  );
}

export interface SnapshotRequestOptions {
  readonly reason: SnapshotReason;
  readonly actor: string;
  /** Wait for a running snapshot to finish and then run, instead of answering "busy". */
  readonly wait?: boolean;
  readonly full?: boolean;
  /** End of day / poll close: after a verified snapshot, eject both drives and record custody. */
  readonly handOff?: HandOffRequest;
  readonly onProgress?: (p: SnapshotProgress) => void;
}

export interface TriggeredSnapshot {
  readonly outcome: SnapshotOutcome;
  readonly custody: CustodyRecord | null;
}

/** A snapshot as the triggers ask for it: the drives are chosen and checked by whoever runs it. */
export type TriggerSnapshotRequest = Pick<SnapshotRequest, 'reason' | 'actor' | 'full'>;

export interface TriggerDeps {
  /**
   * Runs one snapshot through the custody workflow (its checks, job runner and audit), injected
   * by runtime/ so drives/ never imports custody/.
   */
  readonly runSnapshot: (request: TriggerSnapshotRequest, onProgress?: (p: SnapshotProgress) => void) => Promise<Result<SnapshotOutcome>>;
  /** Whether a snapshot is running or starting anywhere (the workflow's busy guard). */
  readonly isBusy: () => boolean;
  /** DriveService.handOff. */
  readonly handOff: (outcome: SnapshotOutcome, req: HandOffRequest) => Promise<Result<CustodyRecord>>;
  readonly logger: Logger;
  /** Called with the result of snapshots nobody awaits (schedules, export settled). */
  readonly onBackgroundResult?: (reason: SnapshotReason, result: Result<TriggeredSnapshot>) => void;
}

/**
 * Starts snapshots at the right moments: cron schedules, poll close / end of day (a request),
 * and N minutes after the last new file. Exactly one snapshot at a time: a second request gets
 * "snapshot-busy", or with `wait` runs after the current one.
 */
export class SnapshotTriggers {
  private running: Promise<unknown> | null = null;
  private tasks: ScheduledTask[] = [];
  private settledTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deps: TriggerDeps,
    private readonly settings: Config['snapshot'],
  ) {}

  /** Starts the cron schedules. Fails (and starts nothing) when an expression is not valid. */
  start(): Result<void> {
    const valid = validateSchedules(this.settings.schedules);
    if (!valid.ok) return valid;
    this.tasks = this.settings.schedules.map((expr, i) =>
      cron.schedule(expr, () => void this.background('schedule', `schedule ${i}: ${expr}`, false), { name: `snapshot-schedule-${i}`, noOverlap: true }),
    );
    return ok(undefined);
  }

  stop(): void {
    for (const t of this.tasks) void t.destroy();
    this.tasks = [];
    if (this.settledTimer !== null) clearTimeout(this.settledTimer);
    this.settledTimer = null;
  }

  isBusy(): boolean {
    return this.running !== null || this.deps.isBusy();
  }

  /** Capture calls this for every new file; the "export settled" snapshot starts N minutes after the last one. */
  onFileCaptured(): void {
    const minutes = this.settings.settledAfterMinutes;
    if (minutes === null) return;
    if (this.settledTimer !== null) clearTimeout(this.settledTimer);
    this.settledTimer = setTimeout(() => {
      this.settledTimer = null;
      // Files may have arrived after a running snapshot started, so wait for it rather than skip.
      void this.background('export-settled', `no new file for ${minutes} min`, true);
    }, minutes * 60_000);
    this.settledTimer.unref?.();
  }

  private async background(reason: SnapshotReason, why: string, wait: boolean): Promise<void> {
    logEvent(this.deps.logger, LogEvent.TriggerFired, { reason, why });
    const result = await this.requestSnapshot({ reason, actor: 'system', wait });
    this.deps.onBackgroundResult?.(reason, result);
  }

  /** The one entry point for CLI, web UI (poll close, end of day, operator) and the timers. */
  async requestSnapshot(options: SnapshotRequestOptions): Promise<Result<TriggeredSnapshot>> {
    while (this.isBusy()) {
      if (options.wait !== true) {
        logEvent(this.deps.logger, LogEvent.TriggerBusy, { reason: options.reason, actor: options.actor });
        return err(operatorError('snapshot-busy', 'A snapshot is already running.', 'Wait for it to finish (see the progress on the status page), then try again.'));
      }
      await (this.running ?? new Promise((r) => setTimeout(r, 1000)));
    }
    const job = this.runOne(options);
    this.running = job;
    try {
      return await job;
    } finally {
      this.running = null;
    }
  }

  private async runOne(options: SnapshotRequestOptions): Promise<Result<TriggeredSnapshot>> {
    const request = { reason: options.reason, actor: options.actor, ...(options.full === true ? { full: true } : {}) };
    const run = await this.deps.runSnapshot(request, options.onProgress);
    if (!run.ok) return run;
    if (options.handOff === undefined) return ok({ outcome: run.value, custody: null });
    const custody = await this.deps.handOff(run.value, options.handOff);
    if (!custody.ok) return custody;
    return ok({ outcome: run.value, custody: custody.value });
  }
}
