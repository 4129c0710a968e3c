import type { Db } from '../db/database.ts';
import { LogEvent } from '../log/events.ts';
import { logEvent, type Logger } from '../log/logger.ts';

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface NewAlert {
  readonly severity: AlertSeverity;
  readonly code: string;
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
    logEvent(this.logger, LogEvent.AlertRaised, { alertId: id, code: alert.code, severity: alert.severity, subject: alert.subject, msg: alert.message }, alert.severity === 'info' ? 'info' : 'warn');
    return id;
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
