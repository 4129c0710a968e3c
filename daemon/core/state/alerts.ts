import { z } from 'zod';
import type { Db } from '../db/database.ts';
import { LogEvent } from '../log/events.ts';
import { logEvent, type Logger } from '../log/logger.ts';

import type { AlertCode, AlertSeverity } from './alertCodes.ts';

export type { AlertSeverity };

export interface NewAlert {
  readonly severity: AlertSeverity;
  /** A code of the catalogue (alertCodes.ts), or an operator error's code forwarded as it stands. */
  readonly code: AlertCode;
  readonly message: string;
  readonly action?: string;
  readonly subject?: string;
  readonly details?: Record<string, unknown>;
}

export interface AlertRow {
  id: number;
  raised_at: string;
  severity: AlertSeverity;
  code: string;
  message: string;
  action: string | null;
  subject: string | null;
  details_json: string | null;
  acknowledged_by: string | null;
  acknowledged_at: string | null;
}

/**
 * A cause that repeats (one corrupt image after another): one open alert per (code, group) keeps
 * the count and the latest examples, so thousands of alike problems do not bury the critical ones.
 */
export interface RepeatedAlert {
  readonly severity: AlertSeverity;
  readonly code: AlertCode;
  /** What makes occurrences "the same cause" within a code, e.g. "pre-audit images". */
  readonly group: string;
  /** The operator's sentence for `count` occurrences so far. */
  readonly message: (count: number) => string;
  readonly action?: string;
  /** The newest occurrence's technical words (a path, the system's error): shown collapsed, for the technician. */
  readonly technician?: string;
}

/** How many of the latest examples an aggregated alert keeps (the log has every one). */
export const REPEATED_EXAMPLES_KEPT = 5;

// Stored JSON is read back through a schema: a hand-edited or older row starts a fresh count.
const repeatedDetailsSchema = z.object({ group: z.string(), count: z.number().int().positive(), examples: z.array(z.string()) }).passthrough();
export type RepeatedDetails = z.infer<typeof repeatedDetailsSchema>;

/** An alert's stored details read through `schema`; undefined when absent, not JSON or not of that shape. */
export function alertDetails<T>(row: Pick<AlertRow, 'details_json'>, schema: z.ZodType<T>): T | undefined {
  if (row.details_json === null) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(row.details_json);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(data);
  return parsed.success ? parsed.data : undefined;
}

export function repeatedDetails(row: Pick<AlertRow, 'details_json'>): RepeatedDetails | undefined {
  return alertDetails(row, repeatedDetailsSchema);
}

/** Stores operator-visible alerts (tamper signals, failures) and logs each one. */
export class AlertLog {
  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  raise(alert: NewAlert): number {
    const info = this.db
      .prepare(
        `INSERT INTO alerts (raised_at, severity, code, message, action, subject, details_json)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        new Date().toISOString(),
        alert.severity,
        alert.code,
        alert.message,
        alert.action ?? null,
        alert.subject ?? null,
        alert.details === undefined ? null : JSON.stringify(alert.details),
      );
    const id = Number(info.lastInsertRowid);
    logEvent(this.logger, LogEvent.AlertRaised, { alertId: id, code: alert.code, severity: alert.severity, subject: alert.subject, message: alert.message }, alert.severity === 'info' ? 'info' : 'warn');
    return id;
  }

  /**
   * Records `examples.length` more occurrences of a repeated cause (newest last): the open alert of
   * the same code and group is updated (count, latest examples, subject = the newest example), or
   * one is raised when none is open (an acknowledged one is history; the next occurrence starts anew).
   */
  raiseRepeated(alert: RepeatedAlert, examples: readonly string[]): { id: number; count: number } | undefined {
    if (examples.length === 0) return undefined;
    return this.db.transaction(() => {
      const open = this.db
        .prepare<[string, string], AlertRow>(
          `SELECT * FROM alerts WHERE acknowledged_at IS NULL AND code = ? AND json_valid(details_json) AND json_extract(details_json, '$.group') = ? ORDER BY id DESC LIMIT 1`,
        )
        .get(alert.code, alert.group);
      const before = open === undefined ? undefined : repeatedDetails(open);
      const count = (before?.count ?? 0) + examples.length;
      const latest = [...(before?.examples ?? []), ...examples].slice(-REPEATED_EXAMPLES_KEPT);
      const details: RepeatedDetails = { group: alert.group, count, examples: latest, ...(alert.technician === undefined ? {} : { technician: alert.technician }) };
      const subject = latest[latest.length - 1] ?? null;
      if (open === undefined || before === undefined) {
        const id = this.raise({ severity: alert.severity, code: alert.code, message: alert.message(count), ...(alert.action === undefined ? {} : { action: alert.action }), ...(subject === null ? {} : { subject }), details });
        return { id, count };
      }
      this.db
        .prepare('UPDATE alerts SET message = ?, action = ?, subject = ?, details_json = ? WHERE id = ?')
        .run(alert.message(count), alert.action ?? open.action, subject, JSON.stringify(details), open.id);
      logEvent(this.logger, LogEvent.AlertRepeated, { alertId: open.id, code: alert.code, group: alert.group, count, added: examples.length }, 'info');
      return { id: open.id, count };
    })();
  }

  open(): AlertRow[] {
    return this.db.prepare<[], AlertRow>('SELECT * FROM alerts WHERE acknowledged_at IS NULL ORDER BY raised_at DESC, id DESC').all();
  }

  all(limit = 500): AlertRow[] {
    return this.db.prepare<[number], AlertRow>('SELECT * FROM alerts ORDER BY id DESC LIMIT ?').all(limit);
  }

  /** Returns false when the alert does not exist or was already acknowledged. */
  acknowledge(id: number, by: string): boolean {
    const info = this.db
      .prepare('UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL')
      .run(by, new Date().toISOString(), id);
    if (info.changes === 1) logEvent(this.logger, LogEvent.AlertAcknowledged, { alertId: id, by });
    return info.changes === 1;
  }
}

/** True when an unacknowledged alert with this code and subject exists (callers raise no repeats). */
export function hasOpenAlert(db: Db, code: string, subject: string): boolean {
  return db.prepare('SELECT 1 FROM alerts WHERE code = ? AND subject = ? AND acknowledged_at IS NULL LIMIT 1').get(code, subject) !== undefined;
}

/** True when an alert with this code and subject was ever raised, acknowledged or not (callers alert once ever). */
export function alertEverRaised(db: Db, code: string, subject: string): boolean {
  return db.prepare('SELECT 1 FROM alerts WHERE code = ? AND subject = ? LIMIT 1').get(code, subject) !== undefined;
}
