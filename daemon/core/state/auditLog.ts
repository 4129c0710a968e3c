import type { Db } from '../db/database.ts';
import type { AuditAction } from './auditActions.ts';
import { LogEvent } from '../log/events.ts';
import { logEvent, type Logger } from '../log/logger.ts';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  details_json: string | null;
}

/** Append-only record of operator and system actions (triggers in the schema refuse edits). */
export class AuditLog {
  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
  ) {}

  /** `action` is one of the catalogue (auditActions.ts); stored rows keep plain strings (older rows may hold others). */
  record(actor: string, action: AuditAction, details?: Record<string, unknown>): number {
    const at = new Date().toISOString();
    const info = this.db
      .prepare('INSERT INTO audit_log (at, actor, action, details_json) VALUES (?, ?, ?, ?)')
      .run(at, actor, action, details === undefined ? null : JSON.stringify(details));
    logEvent(this.logger, LogEvent.AuditAction, details === undefined ? { actor, action } : { actor, action, details });
    return Number(info.lastInsertRowid);
  }

  recent(limit = 200): AuditEntry[] {
    return this.db.prepare<[number], AuditEntry>('SELECT * FROM audit_log ORDER BY id DESC LIMIT ?').all(limit);
  }
}
