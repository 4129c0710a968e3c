/**
 * Stopping on SIGTERM/SIGINT within a hard bound. systemd waits TimeoutStopSec and then kills;
 * a daemon that hangs in between looks dead to nobody and delays every restart and shutdown. The
 * signal starts a watchdog at once (also while the daemon is still starting): if the process is
 * still alive when it fires, what keeps it alive is logged and the process exits anyway. The
 * store is crash-safe by design (SQLite WAL; the vault and snapshots write data, index, record
 * last), so exiting mid-work loses nothing that is not redone at the next start.
 */
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';

/** systemd's default would be 90 s; ours must be well inside the unit's TimeoutStopSec. */
export const STOP_BOUND_MS = 10_000;

export interface StopRequest {
  /** Aborted when a stop signal arrived. */
  readonly signal: AbortSignal;
  /** Resolves with the signal's name. */
  readonly requested: Promise<NodeJS.Signals>;
  /** Marks a clean stop: if something still keeps the process alive, the watchdog exits with this code. */
  finished(exitCode: number): void;
  /** Removes the signal handlers and the watchdog (tests; the daemon keeps both to the end). */
  dispose(): void;
}

export interface StopOptions {
  readonly boundMs?: number;
  /** Exits the process (tests of this module pass their own). */
  readonly exit?: (code: number) => void;
}

/** What still keeps the event loop alive (handles, requests), for the log. */
function activeResources(): string[] {
  const info = (process as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
  const counts = new Map<string, number>();
  for (const r of info) counts.set(r, (counts.get(r) ?? 0) + 1);
  return [...counts.entries()].map(([k, n]) => `${k}×${n}`);
}

export function listenForStop(logger: Logger, options: StopOptions = {}): StopRequest {
  const boundMs = options.boundMs ?? STOP_BOUND_MS;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const controller = new AbortController();
  let resolveRequested: (s: NodeJS.Signals) => void = () => undefined;
  const requested = new Promise<NodeJS.Signals>((r) => (resolveRequested = r));
  let cleanExitCode: number | undefined;
  let watchdog: NodeJS.Timeout | undefined;

  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      // A second signal (Ctrl-C twice): the person wants it gone now.
      logEvent(logger, LogEvent.DaemonStopTimeout, { signal, reason: 'second-signal', stillRunning: activeResources() }, 'warn');
      exit(cleanExitCode ?? 1);
      return;
    }
    logEvent(logger, LogEvent.DaemonStopRequested, { signal, boundMs });
    watchdog = setTimeout(() => {
      logEvent(logger, LogEvent.DaemonStopTimeout, { signal, boundMs, stoppedCleanly: cleanExitCode !== undefined, stillRunning: activeResources() }, cleanExitCode === undefined ? 'error' : 'warn');
      exit(cleanExitCode ?? 1);
    }, boundMs);
    // The watchdog itself must not keep an otherwise finished process alive.
    watchdog.unref();
    controller.abort();
    resolveRequested(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal: controller.signal,
    requested,
    finished(exitCode) {
      cleanExitCode = exitCode;
    },
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      if (watchdog !== undefined) clearTimeout(watchdog);
    },
  };
}
