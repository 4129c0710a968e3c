import { randomUUID } from 'node:crypto';
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CaptureRoot } from '../capture/captureEngine.ts';
import type { Db } from '../core/db/database.ts';
import { DriveStore } from '../drives/store.ts';
import type { DriveCandidate } from '../drives/types.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { AuditLog } from '../core/state/auditLog.ts';
import { stickManifest } from './manifest.ts';
import { recordBroughtBy } from './broughtBy.ts';
import type { StickHelper } from './stickHelper.ts';
import { listStick } from './stickInventory.ts';
import { compareWithCatalog, describeOutcome } from './intakeOutcome.ts';
import { IntakeStore, type ExportStick, type IntakeOutcome, type StickIntake } from './store.ts';

/** The one capture call the intake needs (CaptureService.captureOnce). */
export interface StickCapturer {
  captureOnce(root: CaptureRoot, options: { timeoutMs: number; stillThere: () => boolean }): Promise<Result<number, OperatorError>>;
}

export interface IntakeServiceOptions {
  readonly db: Db;
  readonly logger: Logger;
  readonly helper: StickHelper;
  readonly capture: StickCapturer;
  readonly discover: () => Promise<Result<DriveCandidate[]>>;
  /** Longest a capture may take before the stick counts as not fully read (default 30 min). */
  readonly captureTimeoutMs?: number;
}

export interface EnrollStickRequest {
  /** The stick's device, e.g. /dev/sdc1 (or the whole disk). */
  readonly device: string;
  /** Which EMS this stick carries exports from, e.g. "Dominion EMS, counting room". */
  readonly ems: string;
  readonly operator: string;
}

/** The hot-plug watcher's side the intake listens to (drives/hotplug.ts DriveWatcher). */
export interface AttachEvents {
  on(event: 'attached', fn: (c: DriveCandidate) => void): unknown;
  off(event: 'attached', fn: (c: DriveCandidate) => void): unknown;
}

const describe = (c: DriveCandidate) => [c.vendor, c.model].filter((s) => s !== null).join(' ') || 'USB stick';

/**
 * Export sticks: enrolled once; on every plug-in, mounted read-only through the root helper,
 * captured as a capture root of their own, recorded (custody), unmounted, and only then called
 * safe to remove. Intakes run one at a time.
 */
export class IntakeService {
  readonly store: IntakeStore;
  private readonly drives: DriveStore;
  private readonly audit: AuditLog;
  private readonly alerts: AlertLog;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: IntakeServiceOptions) {
    this.store = new IntakeStore(opts.db);
    this.drives = new DriveStore(opts.db);
    this.audit = new AuditLog(opts.db, opts.logger);
    this.alerts = new AlertLog(opts.db, opts.logger);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The USB stick at a device path (the partition or the whole disk), as the drive list sees it. */
  async findCandidate(device: string): Promise<Result<DriveCandidate>> {
    const found = await this.opts.discover();
    if (!found.ok) return found;
    const cand = found.value.find((c) => c.device === device || c.disk === device);
    return cand === undefined ? err(operatorError('stick-not-found', `There is no USB stick at ${device}.`, 'Plug the stick in, wait a few seconds and try again.')) : ok(cand);
  }

  async enroll(req: EnrollStickRequest): Promise<Result<ExportStick>> {
    if (req.ems.trim() === '') return err(operatorError('stick-no-ems', 'Say which EMS this stick carries exports from.', 'Fill in the EMS name.'));
    const found = await this.findCandidate(req.device);
    if (!found.ok) return found;
    const cand = found.value;
    if (this.drives.findUsb(cand.serial, cand.uuid) !== undefined) {
      return err(operatorError('stick-is-a-drive', 'This is one of the appliance\'s backup drives (A or B), not an export stick.', 'Use a different stick for carrying exports.'));
    }
    if (cand.serial === null && cand.uuid === null) {
      return err(operatorError('stick-no-identity', 'This stick has neither a serial number nor a file-system id, so it cannot be recognised when it comes back.', 'Use another stick.'));
    }
    const stick: ExportStick = {
      id: randomUUID(),
      serial: cand.serial,
      fsUuid: cand.uuid,
      label: cand.label,
      description: describe(cand),
      ems: req.ems.trim(),
      enrolledAt: new Date().toISOString(),
      enrolledBy: req.operator,
    };
    this.store.enrollStick(stick);
    this.audit.record(req.operator, 'stick.enrolled', { stickId: stick.id, serial: stick.serial, fsUuid: stick.fsUuid, ems: stick.ems, description: stick.description });
    logEvent(this.opts.logger, LogEvent.StickEnrolled, { stickId: stick.id, serial: stick.serial, fsUuid: stick.fsUuid });
    return ok(stick);
  }

  /**
   * Hooks the intake to the hot-plug watcher: an enrolled export stick is read at once; a USB
   * stick that is neither a backup drive nor an export stick gets a plain prompt, and is not read.
   */
  watch(watcher: AttachEvents, onResult?: (r: Result<StickIntake>, c: DriveCandidate) => void): () => void {
    const onAttached = (c: DriveCandidate): void => {
      if (this.drives.findUsb(c.serial, c.uuid) !== undefined) return; // drive A or B: the drives' own return check
      if (this.store.findStick(c.serial, c.uuid) === undefined) {
        this.promptUnknown(c);
        return;
      }
      void this.intake(c, { actor: 'system' }).then((r) => onResult?.(r, c));
    };
    watcher.on('attached', onAttached);
    return () => watcher.off('attached', onAttached);
  }

  private promptUnknown(c: DriveCandidate): void {
    logEvent(this.opts.logger, LogEvent.StickUnknown, { device: c.device, serial: c.serial, uuid: c.uuid }, 'warn');
    this.alerts.raise({
      severity: 'warning',
      code: 'stick-not-enrolled',
      subject: c.serial ?? c.uuid ?? c.device,
      message: `A USB stick that is not enrolled was plugged in (${describe(c)}${c.serial === null ? '' : `, serial ${c.serial}`}${c.label === null ? '' : `, named "${c.label}"`}). Nothing was read from it.`,
      action: 'If it carries an EMS export, enroll it as an export stick on the Export sticks page, then unplug it and plug it in again. If it is a new drive A or B, have the election supervisor enroll it as that drive. Otherwise unplug it.',
    });
  }

  /** Reads one enrolled stick now (plug-in, or `ballotsafe stick intake`). */
  intake(c: DriveCandidate, who: { actor: string; broughtBy?: string }): Promise<Result<StickIntake>> {
    return this.serial(() => this.intakeNow(c, who));
  }

  private async intakeNow(c: DriveCandidate, who: { actor: string; broughtBy?: string }): Promise<Result<StickIntake>> {
    const stick = this.store.findStick(c.serial, c.uuid);
    if (stick === undefined) {
      this.promptUnknown(c);
      return err(operatorError('stick-not-enrolled', 'This USB stick is not enrolled as an export stick, so nothing was read from it.', 'Have the election supervisor enroll it as an export stick, then plug it in again.'));
    }
    const broughtBy = who.broughtBy?.trim() === '' ? undefined : who.broughtBy?.trim();
    const rec = this.store.begin(stick, { serial: c.serial, fsUuid: c.uuid }, broughtBy ?? null, new Date().toISOString());
    logEvent(this.opts.logger, LogEvent.StickIntakeStarted, { intakeId: rec.id, stickId: stick.id, device: c.device, serial: c.serial });
    const mounted = await this.opts.helper.mountStick(c.device);
    if (!mounted.ok || mounted.value.mountpoint === undefined) {
      const why = mounted.ok ? operatorError('mount-failed', 'The stick could not be mounted.') : mounted.error;
      logEvent(this.opts.logger, LogEvent.StickIntakeRefused, { intakeId: rec.id, code: why.code, error: why.message }, 'warn');
      return ok(this.close(rec, who.actor, { status: 'refused', fileCount: 0, totalBytes: 0, filesOnStick: null, manifestSha256: null, linksNotFollowed: 0, specialFiles: 0, message: `Not read: ${why.message}${why.action === undefined ? '' : ` ${why.action}`}` }, true));
    }
    const mp = mounted.value.mountpoint;
    const outcome = await this.captureFrom(rec, mp);
    const unmounted = await this.opts.helper.unmountStick();
    const removable = unmounted.ok && !isMountPoint(mp);
    if (removable) logEvent(this.opts.logger, LogEvent.StickUnmounted, { intakeId: rec.id });
    else logEvent(this.opts.logger, LogEvent.StickUnmountFailed, { intakeId: rec.id, error: unmounted.ok ? 'still mounted' : unmounted.error.message }, 'warn');
    return ok(this.close(rec, who.actor, outcome, removable));
  }

  private async captureFrom(rec: StickIntake, mp: string): Promise<IntakeOutcome> {
    const before = listStick(mp);
    if (!before.ok) {
      return { status: 'incomplete', fileCount: 0, totalBytes: 0, filesOnStick: null, manifestSha256: null, linksNotFollowed: 0, specialFiles: 0, message: `The stick could not be read (${before.error.code}); nothing on it is counted as captured. Try another USB port or ask for a new export.` };
    }
    const root: CaptureRoot = { label: rec.rootLabel, path: mp };
    const left = await this.opts.capture.captureOnce(root, { timeoutMs: this.opts.captureTimeoutMs ?? 30 * 60_000, stillThere: () => isMountPoint(mp) && reachable(mp) });
    const gone = !reachable(mp) || !listStick(mp).ok;
    const compared = compareWithCatalog(this.opts.db, rec.rootLabel, before.value);
    const complete = left.ok && left.value === 0 && !gone && compared.missing === 0;
    const manifest = complete ? stickManifest(compared.entries).sha256 : null;
    return {
      status: complete ? 'captured' : 'incomplete',
      fileCount: compared.captured,
      totalBytes: compared.capturedBytes,
      filesOnStick: before.value.files.length,
      manifestSha256: manifest,
      linksNotFollowed: before.value.links,
      specialFiles: before.value.specials,
      message: describeOutcome({ complete, gone, inventory: before.value, captured: compared.captured, failedToStart: left.ok ? undefined : left.error.message }),
    };
  }

  /** Writes the outcome to the record, the audit log, the log and (when not captured) an alert. */
  private close(rec: StickIntake, actor: string, outcome: IntakeOutcome, removable: boolean): StickIntake {
    const at = new Date().toISOString();
    this.store.finish(rec.id, outcome, at);
    if (removable) this.store.markRemovable(rec.id);
    this.audit.record(actor, 'stick.intake', {
      intakeId: rec.id,
      stickId: rec.stickId,
      serial: rec.serial,
      fsUuid: rec.fsUuid,
      ems: rec.ems,
      broughtBy: rec.broughtBy,
      startedAt: rec.startedAt,
      finishedAt: at,
      status: outcome.status,
      fileCount: outcome.fileCount,
      totalBytes: outcome.totalBytes,
      filesOnStick: outcome.filesOnStick,
      manifestSha256: outcome.manifestSha256,
      linksNotFollowed: outcome.linksNotFollowed,
      specialFiles: outcome.specialFiles,
      captureRoot: rec.rootLabel,
      removable,
    });
    logEvent(this.opts.logger, LogEvent.StickIntakeFinished, { intakeId: rec.id, status: outcome.status, files: outcome.fileCount, bytes: outcome.totalBytes, manifestSha256: outcome.manifestSha256, removable }, outcome.status === 'captured' ? 'info' : 'warn');
    const subject = `export-stick-intake-${rec.id}`;
    this.foldCaptureAlerts(rec);
    if (outcome.status !== 'captured') {
      this.alerts.raise({
        severity: outcome.status === 'incomplete' ? 'critical' : 'warning',
        code: outcome.status === 'incomplete' ? 'stick-intake-incomplete' : 'stick-intake-refused',
        subject,
        message: `Export stick intake ${rec.id} (${rec.ems}) ${outcome.status === 'incomplete' ? 'is INCOMPLETE' : 'was not read'}: ${outcome.message}`,
        action: outcome.status === 'incomplete' ? 'Plug the stick in again to read it once more; if that fails, ask the EMS staff for a new export.' : 'See the Export sticks page for why.',
      });
    }
    if (!removable) {
      this.alerts.raise({
        severity: 'critical',
        code: 'stick-not-unmounted',
        subject,
        message: `The export stick of intake ${rec.id} could not be unmounted, so it is not yet safe to remove.`,
        action: 'Leave it plugged in and wait a minute; if this stays, restart the appliance before pulling the stick.',
      });
    }
    const done = this.store.byId(rec.id);
    if (done === undefined) throw new Error('intake record vanished');
    return done;
  }

  /**
   * The capture engine's own alerts about this stick's root (a file it could not read, the root
   * gone) speak of an export folder that comes back; a stick does not. They are closed here, with
   * an audit entry: the intake record and its one alert say what happened instead.
   */
  private foldCaptureAlerts(rec: StickIntake): void {
    for (const a of this.alerts.open()) {
      if (a.subject !== rec.rootLabel && !(a.subject ?? '').startsWith(`${rec.rootLabel}:`)) continue;
      if (!this.alerts.acknowledge(a.id, 'system')) continue;
      this.audit.record('system', 'alert.resolved', { alertId: a.id, code: a.code, subject: a.subject, why: `Folded into the record of export stick intake ${rec.id}.` });
    }
  }

  /** The operator names who brought the stick (once; recorded in the audit log). */
  setBroughtBy(id: number, name: string, actor: string): Result<StickIntake> {
    return recordBroughtBy(this.store, this.audit, id, name, actor);
  }
}

/** A stick still mounted here: its mount point is on another device than its parent folder. */
function isMountPoint(mp: string): boolean {
  try {
    return statSync(mp).dev !== statSync(dirname(mp)).dev;
  } catch {
    return true; // unreadable mount point: a dead FUSE mount is still a mount
  }
}

function reachable(mp: string): boolean {
  try {
    statSync(mp);
    return true;
  } catch {
    return false;
  }
}
