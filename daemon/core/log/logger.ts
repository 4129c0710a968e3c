import pino from 'pino';
import type { FieldsOf, LogLevel } from './eventSpec.ts';
import { eventEntry, type EventEntry, type LogEventName } from './events.ts';

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

/** The fields a call must give for an event, from its catalogue entry. */
export type LogFields<E extends LogEventName> = FieldsOf<EventEntry<E>['fields']>;

/**
 * Writes one line for a catalogued event. The fields are checked against the event's entry; the
 * level is the catalogued one unless the call names the level of its case (e.g. warn for a drive
 * that failed verification where the same event is info when it passed).
 */
export function logEvent<E extends LogEventName>(logger: Logger, event: E, fields: LogFields<E>, level?: LogLevel): void {
  logger[level ?? eventEntry(event)?.level ?? 'info']({ event, ...fields });
}

/** An exception as log fields: its text in `error` (the one name for an error's text) and its stack. */
export function thrownFields(e: unknown): { error: string; stack?: string } {
  if (e instanceof Error) return e.stack === undefined ? { error: e.message } : { error: e.message, stack: e.stack };
  return { error: String(e) };
}
