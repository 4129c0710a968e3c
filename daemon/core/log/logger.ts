import pino from 'pino';
import type { LogEventName } from './events.ts';

export type Logger = pino.Logger;

/**
 * Structured JSON logs. Use `logEvent(logger, LogEvent.X, {...})` so every line has an event name.
 * BALLOTSAFE_LOG_LEVEL overrides the level (tests use `silent`).
 */
export function createLogger(options: { level?: string; destination?: string } = {}): Logger {
  const level = options.level ?? process.env['BALLOTSAFE_LOG_LEVEL'] ?? 'info';
  const dest = options.destination === undefined ? pino.destination(1) : pino.destination({ dest: options.destination, mkdir: true, sync: false });
  return pino({ level, base: { app: 'ballotsafe' }, timestamp: pino.stdTimeFunctions.isoTime }, dest);
}

/** A logger that writes nothing, for tests and one-shot CLI commands. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

export function logEvent(
  logger: Logger,
  event: LogEventName,
  fields: Record<string, unknown> = {},
  level: 'debug' | 'info' | 'warn' | 'error' = 'info',
): void {
  logger[level]({ event, ...fields });
}
