import { z } from 'zod';
import type { Db } from '../db/database.ts';
import { LogEvent } from '../log/events.ts';
import { logEvent, type Logger } from '../log/logger.ts';
import { alertDetails, type AlertRow } from './alerts.ts';
import type { AuditLog } from './auditLog.ts';

/**
 * Alerts about one drive (issue #15): raised as repeated alerts grouped by "drive <role>: <cause>",
 * so a cause that repeats (a full drive B on every scheduled snapshot) updates one alert, and the
 * alert can be closed when that cause is gone, with an audit entry saying so.
 */
export function driveAlertGroup(role: string, cause: string): string {
  return `drive ${role}: ${cause}`;
}

const detailsSchema = z.object({ group: z.string().optional(), role: z.string().optional(), code: z.string().optional() }).passthrough();

/** The drive role and cause an alert is about, from its stored details (read through a schema). */
export function driveAlertSubject(row: Pick<AlertRow, 'details_json'>): { role: string; cause: string | null } | undefined {
  const d = alertDetails(row, detailsSchema);
  if (d === undefined) return undefined;
  const m = d.group === undefined ? null : /^drive ([AB]): (.+)$/.exec(d.group);
  if (m !== null && m[1] !== undefined && m[2] !== undefined) return { role: m[1], cause: m[2] };
  return d.role === undefined ? undefined : { role: d.role, cause: d.code ?? null };
}

export interface ResolveDriveAlerts {
  readonly code: string;
  readonly role: string;
  /** Only alerts with this cause (e.g. "drive-missing"); all causes when left out. */
  readonly cause?: string;
  /** The clerk's sentence for why it closed, e.g. "Drive B took snapshot #4 and holds every captured file again." */
  readonly why: string;
}

/** Closes the open alerts of `code` about drive `role` whose cause is gone; one audit entry per alert closed. */
export function resolveDriveAlerts(db: Db, logger: Logger, audit: AuditLog, r: ResolveDriveAlerts): number {
  const open = db.prepare<[string], AlertRow>('SELECT * FROM alerts WHERE acknowledged_at IS NULL AND code = ?').all(r.code);
  const closing = open.filter((row) => {
    const s = driveAlertSubject(row);
    return s !== undefined && s.role === r.role && (r.cause === undefined || s.cause === r.cause);
  });
  if (closing.length === 0) return 0;
  const now = new Date().toISOString();
  const close = db.prepare('UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ? AND acknowledged_at IS NULL');
  let closed = 0;
  for (const row of closing) {
    if (close.run('ballotsafe (cause gone)', now, row.id).changes !== 1) continue;
    closed++;
    logEvent(logger, LogEvent.AlertResolved, { alertId: row.id, code: row.code, role: r.role, message: r.why });
    audit.record('system', 'alert.resolved', { alertId: row.id, alert: row.message, why: r.why });
  }
  return closed;
}
