/**
 * Capture is the appliance's first job: a daemon that serves "All good" while nothing is captured
 * is worse than one that stops. Starting capture is tried a few times with a growing pause (a
 * vault disk that is still being mounted comes back); each failure is one critical alert (the same
 * open alert counts the tries, across restarts too), and when every try failed the caller exits
 * non-zero so systemd restarts the service (RestartSec keeps that from being a tight loop).
 */
import { plainReason } from '../capture/plainReason.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { AlertLog } from '../core/state/alerts.ts';

/** What can be started and stopped again; a failed start is thrown or returned as an error Result. */
export interface StartableCapture {
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
}

export interface CaptureStartPolicy {
  /** Tries in all (at least 1). */
  readonly attempts: number;
  /** Pause after the first failure; doubled after each further one. */
  readonly firstDelayMs: number;
}

/** 4 tries over about 14 s: long enough for a slow mount, short enough to be restarted soon. */
export const defaultCaptureStartPolicy: CaptureStartPolicy = { attempts: 4, firstDelayMs: 2000 };

export const CAPTURE_CANNOT_START = 'capture-cannot-start';

export { plainReason };

interface StartFailure {
  readonly code: string | undefined;
  readonly detail: string;
  /** Capture's own operator message when it returned an error Result (already plain words). */
  readonly operatorMessage?: string;
}

/** What went wrong, for the alert and the exit message. */
function describeFailure(f: StartFailure, vaultDir: string): string {
  return f.operatorMessage ?? `the appliance cannot use its vault folder ${vaultDir} (${plainReason(f.code)}).`;
}

/** A thrown error or an error Result (capture's typed start) as one shape; undefined: it started. */
function failureOf(outcome: { threw: unknown } | { returned: unknown }): StartFailure | undefined {
  if ('threw' in outcome) {
    const e = outcome.threw;
    const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
    return { code, detail: e instanceof Error ? e.message : String(e) };
  }
  const r = outcome.returned;
  if (typeof r !== 'object' || r === null || !('ok' in r) || r.ok !== false) return undefined;
  const e: unknown = 'error' in r ? r.error : undefined;
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e === 'object' && e !== null && 'message' in e && typeof e.message === 'string' ? e.message : 'capture did not start';
  return { code, detail: message, operatorMessage: message };
}

export interface CaptureStartOptions {
  readonly vaultDir: string;
  readonly alerts: AlertLog;
  readonly logger: Logger;
  readonly policy?: CaptureStartPolicy;
  /** Aborted by a stop request (SIGTERM): no more tries, no more waiting. */
  readonly signal?: AbortSignal;
}

/**
 * Starts capture (a fresh one per try, from `make`), returning the started one, or an error after
 * the last try. A failed try is stopped so its workers and timers do not linger.
 */
export async function startCaptureWithRetry<C extends StartableCapture>(make: () => C, options: CaptureStartOptions): Promise<Result<C>> {
  const policy = options.policy ?? defaultCaptureStartPolicy;
  const attempts = Math.max(1, policy.attempts);
  let last: StartFailure = { code: undefined, detail: 'not tried' };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (options.signal?.aborted === true) break;
    const capture = make();
    let outcome: { threw: unknown } | { returned: unknown };
    try {
      outcome = { returned: await capture.start() };
    } catch (e) {
      outcome = { threw: e };
    }
    const failure = failureOf(outcome);
    if (failure === undefined) return ok(capture);
    last = failure;
    try {
      await capture.stop();
    } catch {
      // A half-started capture may not stop cleanly; the process exits soon anyway.
    }
    logEvent(options.logger, LogEvent.CaptureStartFailed, { attempt, attempts, code: failure.code, error: failure.detail }, 'error');
    options.alerts.raiseRepeated(
      {
        severity: 'critical',
        code: CAPTURE_CANNOT_START,
        group: options.vaultDir,
        message: (n) =>
          `New files from the EMS are NOT being captured: ${describeFailure(failure, options.vaultDir)} ` +
          `It has tried ${n} time${n === 1 ? '' : 's'} and keeps restarting to try again.`,
        action: 'Call the appliance administrator: the vault folder must be a folder on the appliance disk that the ballotsafe service can read and write. Until this is fixed, keep the EMS exports where they are.',
      },
      [options.vaultDir],
    );
    if (attempt < attempts) await pause(policy.firstDelayMs * 2 ** (attempt - 1), options.signal);
  }
  if (options.signal?.aborted === true && last.detail === 'not tried') {
    return err(operatorError('capture-start-stopped', 'The daemon was stopped before capture started.'));
  }
  return err(
    operatorError(
      CAPTURE_CANNOT_START,
      `Capture cannot start: ${describeFailure(last, options.vaultDir)}`,
      'See the critical alert on the appliance. The service exits so that systemd restarts it; fix the vault folder and it starts normally.',
    ),
  );
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted === true) return done();
    const t = setTimeout(finish, ms);
    function finish() {
      clearTimeout(t);
      signal?.removeEventListener('abort', finish);
      done();
    }
    signal?.addEventListener('abort', finish, { once: true });
  });
}
