import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { forwardedCode } from '../core/state/alertCodes.ts';
import { driveAlertGroup } from '../core/state/alertResolution.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import type { OperatorError } from '../core/result.ts';
import type { AlertLog } from '../core/state/alerts.ts';
import type { AuditLog } from '../core/state/auditLog.ts';
import type { DriveTarget } from './api.ts';
import { rootHashesWrittenTo } from './driveRecords.ts';
import { checkDriveEvidence, evidenceRefusal } from './evidenceCheck.ts';
import type { PlannedBag } from './plan.ts';

/** The part of the engine's per-drive state the check reads and sets. */
export interface DriveUnderCheck {
  readonly target: DriveTarget;
  readonly electionDir: string;
  error: OperatorError | undefined;
  readonly present: Set<string>;
}

export interface EvidencePreflightContext {
  readonly db: Db;
  readonly election: string;
  readonly alerts: AlertLog;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly concurrency: number;
  readonly readFromMedia: boolean;
}

/**
 * Run by the snapshot engine before it writes anything: each drive's earlier bags are checked
 * against the database (both drives at once). A drive that fails is marked failed, counts as
 * holding nothing, gets a critical alert and an audit entry; the engine then writes nothing to it.
 */
export async function refuseAlteredDrives(ctx: EvidencePreflightContext, drives: readonly DriveUnderCheck[], bags: readonly PlannedBag[]): Promise<void> {
  await Promise.all(
    drives.map(async (d) => {
      const started = Date.now();
      const key = { role: d.target.role, serial: d.target.serial ?? null, uuid: d.target.uuid ?? null, folderPath: d.target.root, since: '' };
      const done = new Set(rootHashesWrittenTo(ctx.db, ctx.election, key).map((w) => w.bagName));
      const report = await checkDriveEvidence(d.target.root, d.electionDir, bags.map((b) => ({ ...b, completedOnThisDrive: done.has(b.bagName) })), { concurrency: ctx.concurrency, readFromMedia: ctx.readFromMedia });
      logEvent(ctx.logger, LogEvent.SnapshotEvidenceChecked, { role: d.target.role, bags: report.bagsChecked, files: report.filesChecked, bytes: report.bytesChecked, ms: Date.now() - started, problems: report.problems.length });
      const refusal = evidenceRefusal(d.target.role, report);
      if (refusal === undefined) return;
      d.error = refusal;
      d.present.clear();
      const subject = d.target.serial ?? d.target.root;
      // One open alert per refused drive: a drive left plugged in is refused again at every snapshot.
      ctx.alerts.raiseRepeated(
        { severity: 'critical', code: forwardedCode(refusal), group: driveAlertGroup(d.target.role, subject), message: (n) => (n === 1 ? refusal.message : `${refusal.message} (Refused at ${n} snapshots so far while it stays plugged in.)`), ...(refusal.action === undefined ? {} : { action: refusal.action }) },
        [subject],
      );
      ctx.audit.record('system', 'snapshot.drive-refused', { role: d.target.role, drive: subject, problems: report.problems.length, first: report.problems[0] ?? '' });
      logEvent(ctx.logger, LogEvent.SnapshotEvidenceMismatch, { role: d.target.role, drive: subject, problems: report.problems.slice(0, 20) }, 'error');
    }),
  );
}
