import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import type { DriveTarget, SnapshotOutcome } from '../snapshot/api.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { AuditLog } from '../core/state/auditLog.ts';
import { defaultMountBase, type DriveHelper } from './helperClient.ts';
import { writeIdentity, type DriveIdentity } from './identity.ts';
import { checkIdentity } from './identityCheck.ts';
import type { DriveBackend, DriveView, EjectOutcome, EnrollRequest, ResolvedDrive, RoleDrive } from './backend.ts';
import { FolderDrives } from './folderDrives.ts';
import { UsbDrives } from './usbDrives.ts';
import { DriveStore, type CustodyDrive, type CustodyRecord, type DriveReturn, type EnrolledDrive } from './store.ts';
import { appliancePublicKeyText, rootHashesWrittenTo } from '../snapshot/driveRecords.ts';
import { keyIdHex } from '../snapshot/minisign.ts';
import { driveRoles, type DriveCandidate, type DriveRole, type DriveVerifyPins, type VerifyDriveFn } from './types.ts';
import { handOffNeedsWitness } from './handOffWitness.ts';
import { counted } from '../core/words.ts';

export type { DriveView, EjectOutcome, EnrollRequest } from './backend.ts';

export interface HandOffRequest {
  readonly operator: string;
  /** Who watches the drives leave: required on every path (web form, CLI, schedules). */
  readonly witness: string;
  /** Where each drive goes, e.g. { A: "Clerk's office safe", B: "Sheriff's evidence safe" }. */
  readonly destinations: Readonly<Record<DriveRole, string>>;
  /** Seal or evidence-bag number per drive, when sealed. */
  readonly seals?: Readonly<Partial<Record<DriveRole, string>>>;
}

export interface DriveServiceOptions {
  readonly config: Config;
  readonly db: Db;
  readonly logger: Logger;
  /** USB mode: the root helper and the drive list. */
  readonly helper?: DriveHelper;
  readonly discover?: () => Promise<Result<DriveCandidate[]>>;
  readonly mountBase?: string;
  /** The snapshot engine's verify of a drive folder (verify-on-return). */
  readonly verify?: VerifyDriveFn;
  /** The appliance's public key file for the return check (default: the one in its keys folder). */
  readonly appliancePublicKey?: () => string | null;
  /** True while a snapshot writes to the drives (no eject, no return check then). */
  readonly isSnapshotRunning?: () => boolean;
  readonly newId?: () => string;
  /** Where the drives are; by default the config's: folders, or USB through `helper` and `discover`. */
  readonly backend?: DriveBackend;
}

/** The minisign key id (hex, as minisign prints it) from a public key file's text; null when there is none. */
function signingKeyIdOf(publicKeyText: string | null): string | null {
  const line = publicKeyText?.split('\n').find((l) => l.trim() !== '' && !l.startsWith('untrusted comment:'));
  const raw = line === undefined ? undefined : Buffer.from(line.trim(), 'base64');
  return raw === undefined || raw.length !== 42 ? null : keyIdHex(raw.subarray(2, 10));
}

/**
 * Everything the appliance does with its two drives: list, enroll, mount for a snapshot,
 * eject, hand-off with a custody record, and the check when a drive comes back from the safe.
 * USB drives and folder drives go through the same code; where they are and how they are reached
 * (list, mount, eject, format) is the backend's (folderDrives.ts, usbDrives.ts).
 */
export class DriveService {
  readonly store: DriveStore;
  private readonly audit: AuditLog;
  private readonly alerts: AlertLog;
  private readonly mountBase: string;
  private readonly newId: () => string;
  private readonly backend: DriveBackend;
  /** Drive operations run one at a time (mount points are shared). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: DriveServiceOptions) {
    this.store = new DriveStore(opts.db);
    this.audit = new AuditLog(opts.db, opts.logger);
    this.alerts = new AlertLog(opts.db, opts.logger);
    this.mountBase = opts.mountBase ?? defaultMountBase;
    this.newId = opts.newId ?? randomUUID;
    const context = { store: this.store, audit: this.audit, logger: opts.logger, applianceId: () => this.applianceId(), refuse: this.refuse.bind(this) };
    const drives = opts.config.drives;
    this.backend =
      opts.backend ??
      (drives.mode === 'folders'
        ? new FolderDrives(context, { A: drives.a, B: drives.b })
        : new UsbDrives(context, { helper: opts.helper, discover: opts.discover, mountBase: this.mountBase }));
  }

  get mode(): 'usb' | 'folders' {
    return this.backend.kind;
  }

  applianceId(): string {
    return this.store.applianceId(randomUUID);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  mountPointFor(role: DriveRole): string {
    return join(this.mountBase, role);
  }

  // ---------------------------------------------------------------- listing

  listDrives(): Promise<Result<DriveView[]>> {
    return this.backend.list();
  }

  // ---------------------------------------------------------------- enrollment

  enroll(req: EnrollRequest): Promise<Result<EnrolledDrive>> {
    return this.serial(async () => {
      const site = await this.backend.openForEnroll(req);
      if (!site.ok) return site;
      try {
        return await this.finishEnroll(req, site.value.root, site.value.what, site.value.replaces);
      } finally {
        // A USB drive is left safe to pull; a snapshot mounts it again.
        await site.value.release();
      }
    });
  }

  private async finishEnroll(
    req: EnrollRequest,
    root: string,
    what: Pick<EnrolledDrive, 'kind' | 'serial' | 'fsUuid' | 'label' | 'folderPath'>,
    replaces: string[],
  ): Promise<Result<EnrolledDrive>> {
    const rotationSet = req.rotationSet ?? null;
    // One active drive per role and rotation set: the new one replaces the old.
    for (const d of this.store.activeDrives()) {
      if (d.role === req.role && d.rotationSet === rotationSet && !replaces.includes(d.id)) replaces.push(d.id);
    }
    const drive: EnrolledDrive = {
      id: this.newId(),
      role: req.role,
      rotationSet,
      enrolledAt: new Date().toISOString(),
      enrolledBy: req.operator,
      ...what,
    };
    const identity: DriveIdentity = {
      format: 'ballotsafe-drive-identity/1',
      driveId: drive.id,
      role: drive.role,
      rotationSet,
      applianceId: this.applianceId(),
      election: this.opts.config.election.name,
      enrolledAt: drive.enrolledAt,
      enrolledBy: drive.enrolledBy,
      serial: drive.serial,
      fsUuid: drive.fsUuid,
    };
    // Drive first, record last: a drive that has the file but no row is simply enrolled again.
    const written = await writeIdentity(root, identity);
    if (!written.ok) return written;
    this.store.enroll(drive, replaces);
    this.audit.record(req.operator, 'drive.enrolled', { driveId: drive.id, role: drive.role, rotationSet, kind: drive.kind, serial: drive.serial, fsUuid: drive.fsUuid, folder: drive.folderPath, replaces });
    logEvent(this.opts.logger, LogEvent.DriveEnrolled, { driveId: drive.id, role: drive.role, rotationSet, serial: drive.serial, fsUuid: drive.fsUuid });
    return ok(drive);
  }

  private refuse<T>(code: string, message: string, action: string, fields: Record<string, unknown>): Result<T> {
    logEvent(this.opts.logger, LogEvent.DriveRefused, { code, ...fields, error: message }, 'warn');
    return err(operatorError(code, message, action));
  }

  // ---------------------------------------------------------------- checks

  private checkIdentity(root: string, enrolled: EnrolledDrive, slot: DriveRole, where: string): Promise<Result<DriveIdentity>> {
    return checkIdentity({ applianceId: () => this.applianceId(), refuse: this.refuse.bind(this) }, root, enrolled, slot, where);
  }

  /** Matches the drives present to enrollments (no mounting). Refuses unknown or duplicate drives. */
  private async resolveDrives(): Promise<Result<ResolvedDrive[]>> {
    const each = await this.resolveEach();
    if (!each.ok) return each;
    const out: ResolvedDrive[] = [];
    for (const r of each.value) {
      if ('error' in r) return err(r.error);
      out.push(r);
    }
    return ok(out);
  }

  /**
   * Each role's drive, or why that role has no usable drive now. Fails as a whole only when the
   * drives cannot be listed or the pair is mixed up (two drives A, drives of different sets).
   */
  private resolveEach(): Promise<Result<RoleDrive[]>> {
    return this.backend.resolveEach();
  }

  /**
   * Mounts both drives (USB) and checks their identity files; the result goes straight into a
   * SnapshotRequest. Any unknown, foreign or wrong-role drive is refused with what to do.
   */
  prepareTargets(): Promise<Result<DriveTarget[]>> {
    return this.serial(async () => {
      const resolved = await this.resolveDrives();
      if (!resolved.ok) return resolved;
      const targets: DriveTarget[] = [];
      for (const r of resolved.value) {
        const t = await this.prepareOne(r);
        if (!t.ok) return t;
        targets.push(t.value);
      }
      return ok(targets);
    });
  }

  /**
   * Like prepareTargets, but a drive that cannot be used (not there, unknown, wrong identity, will
   * not mount) comes back marked `unavailable` with why: it drops out and the other drive still
   * gets the snapshot. Fails as a whole only when the drives cannot be listed at all.
   */
  prepareEachTarget(): Promise<Result<DriveTarget[]>> {
    return this.serial(() => this.prepareEachNow());
  }

  private async prepareEachNow(): Promise<Result<DriveTarget[]>> {
    const resolved = await this.resolveEach();
    if (!resolved.ok) return resolved;
    const targets: DriveTarget[] = [];
    for (const r of resolved.value) {
      const placeholder = this.backend.placeholderRoot(r.role);
      if ('error' in r) {
        targets.push({ role: r.role, root: placeholder, unavailable: r.error });
        continue;
      }
      const prepared = await this.prepareOne(r);
      targets.push(prepared.ok ? prepared.value : { role: r.role, root: placeholder, ...(r.enrolled.serial === null ? {} : { serial: r.enrolled.serial }), unavailable: prepared.error });
    }
    return ok(targets);
  }

  private async prepareOne(r: ResolvedDrive): Promise<Result<DriveTarget>> {
    // Opened for the snapshot, which writes there next: not released here.
    const opened = await this.backend.open(r);
    if (!opened.ok) return opened;
    const { root, where } = opened.value;
    const id = await this.checkIdentity(root, r.enrolled, r.role, where);
    if (!id.ok) return id;
    const extra: { serial?: string; uuid?: string; label?: string } = {};
    if (r.enrolled.serial !== null) extra.serial = r.enrolled.serial;
    if (r.enrolled.fsUuid !== null) extra.uuid = r.enrolled.fsUuid;
    if (r.candidate?.label != null) extra.label = r.candidate.label;
    return ok({ role: r.role, root, ...extra });
  }

  // ---------------------------------------------------------------- eject and hand-off

  /** Ejects drive A, B or both (flush, unmount, power off). Folder drives: nothing to power off. */
  eject(roles: readonly DriveRole[] = driveRoles, actor = 'operator'): Promise<Result<EjectOutcome[]>> {
    return this.serial(() => this.ejectNow(roles, actor));
  }

  private async ejectNow(roles: readonly DriveRole[], actor: string): Promise<Result<EjectOutcome[]>> {
    if (this.opts.isSnapshotRunning?.() === true) {
      return err(operatorError('snapshot-busy', 'A snapshot is writing to the drives.', 'Wait until the snapshot has finished, then eject.'));
    }
    const ejected = await this.backend.eject(roles);
    if (!ejected.ok) return ejected;
    const out = ejected.value;
    for (const o of out) logEvent(this.opts.logger, LogEvent.DriveEjected, { role: o.role, device: o.device, poweredOff: o.poweredOff, actor });
    return ok(out);
  }

  /**
   * After a verified snapshot: eject both drives, then write the custody record (database and
   * audit log). Refuses a snapshot that did not verify on both drives.
   */
  handOff(outcome: SnapshotOutcome, req: HandOffRequest): Promise<Result<CustodyRecord>> {
    return this.serial(async () => {
      const bad = driveRoles.filter((r) => outcome.perDrive.find((d) => d.role === r)?.state !== 'complete');
      if (bad.length > 0) {
        return err(operatorError('snapshot-not-verified', `Snapshot ${outcome.sequence} did not verify on drive ${bad.join(' and ')}; it cannot be handed off.`, 'Look at the snapshot error, fix the drive, and run the snapshot again.'));
      }
      if (req.operator.trim() === '' || driveRoles.some((r) => req.destinations[r].trim() === '')) {
        return err(operatorError('handoff-incomplete', 'The hand-off needs the operator\'s name and where each drive goes.', 'Fill in the name and both destinations.'));
      }
      // Two people see the drives leave: no custody record without a witness, whoever asks.
      if (req.witness.trim() === '') return err(handOffNeedsWitness());
      const resolved = await this.resolveDrives();
      if (!resolved.ok) return resolved;
      const ejected = await this.ejectNow(driveRoles, req.operator);
      if (!ejected.ok) return ejected;
      const drives: CustodyDrive[] = resolved.value.map((r) => ({
        role: r.role,
        driveId: r.enrolled.id,
        serial: r.enrolled.serial,
        uuid: r.enrolled.fsUuid,
        destination: req.destinations[r.role],
        ejected: true,
        poweredOff: ejected.value.find((e) => e.role === r.role)?.poweredOff ?? false,
        ...(req.seals?.[r.role] === undefined || req.seals[r.role] === '' ? {} : { seal: req.seals[r.role] }),
      }));
      const record: Omit<CustodyRecord, 'id'> = {
        recordedAt: new Date().toISOString(),
        snapshotSequence: outcome.sequence,
        rootHash: outcome.rootHash,
        bagName: outcome.bagName,
        operator: req.operator,
        witness: req.witness.trim(),
        drives,
        signingKeyId: signingKeyIdOf(this.opts.appliancePublicKey?.() ?? appliancePublicKeyText(this.opts.config)),
      };
      const id = this.store.addCustody(record);
      this.audit.record(req.operator, 'custody.recorded', { custodyId: id, snapshot: outcome.sequence, rootHash: outcome.rootHash, witness: record.witness, drives });
      logEvent(this.opts.logger, LogEvent.CustodyRecorded, { custodyId: id, snapshot: outcome.sequence, rootHash: outcome.rootHash });
      return ok({ id, ...record });
    });
  }

  custodyRecords(limit = 200): CustodyRecord[] {
    return this.store.custody(limit);
  }

  custodyRecord(id: number): CustodyRecord | undefined {
    return this.store.custodyById(id);
  }

  // ---------------------------------------------------------------- return from the safe

  /**
   * Verifies an enrolled drive that came back: USB on plug-in (pass the attached drive), folder
   * drives on request (pass the role). The result is recorded; a failure raises a critical alert.
   */
  verifyReturned(which: DriveCandidate | DriveRole, actor = 'system'): Promise<Result<DriveReturn>> {
    return this.serial(async () => {
      const verify = this.opts.verify;
      if (verify === undefined) return err(operatorError('verify-unavailable', 'Drive verification is not available in this daemon.', 'Start the daemon with the snapshot engine.'));
      if (this.opts.isSnapshotRunning?.() === true) {
        return err(operatorError('snapshot-busy', 'A snapshot is running; the returned drive will be checked afterwards.', 'Unplug and re-plug the drive after the snapshot, or verify it from the Drives page.'));
      }
      const opened = await this.backend.openReturned(which);
      if (!opened.ok) return opened;
      const { root, where, enrolled } = opened.value;
      try {
        const drive = enrolled;
        const id = await this.checkIdentity(root, drive, drive.role, where);
        let report: { ok: boolean; filesChecked: number; problems: readonly string[] };
        if (!id.ok) {
          report = { ok: false, filesChecked: 0, problems: [id.error.message] };
        } else {
          const v = await verify(root, this.returnPins(drive));
          report = v.ok ? v.value : { ok: false, filesChecked: 0, problems: [v.error.message] };
        }
        const summary = report.ok
          ? `Drive ${drive.role} verified: ${report.filesChecked} files match their SHA-256.`
          : `Drive ${drive.role} FAILED verification: ${counted(report.problems.length, 'problem')}, first: ${report.problems[0] ?? 'unknown'}`;
        const ret: Omit<DriveReturn, 'id'> = { driveId: drive.id, checkedAt: new Date().toISOString(), ok: report.ok, filesChecked: report.filesChecked, summary, problems: report.problems.slice(0, 1000) };
        const retId = this.store.addReturn(ret);
        this.audit.record(actor, 'drive.returned', { driveId: drive.id, role: drive.role, serial: drive.serial, ok: report.ok, filesChecked: report.filesChecked, problems: report.problems.length });
        logEvent(this.opts.logger, LogEvent.DriveVerifiedOnReturn, { driveId: drive.id, role: drive.role, ok: report.ok, filesChecked: report.filesChecked }, report.ok ? 'info' : 'warn');
        if (!report.ok) {
          this.alerts.raise({
            severity: 'critical',
            code: 'drive-return-verify-failed',
            message: `Drive ${drive.role} (serial ${drive.serial ?? drive.folderPath ?? drive.id}) failed verification after coming back: ${report.problems[0] ?? 'unknown problem'}`,
            action: 'Keep this drive as evidence, do not reuse it; write a new snapshot to a fresh drive and tell the election supervisor.',
            subject: drive.serial ?? drive.folderPath ?? drive.id,
            details: { driveId: drive.id, problems: report.problems.slice(0, 50) },
          });
        }
        return ok({ id: retId, ...ret });
      } finally {
        await opened.value.release();
      }
    });
  }

  /** A returning drive must carry the appliance's own key and every snapshot written to it. */
  private returnPins(drive: EnrolledDrive): DriveVerifyPins {
    const written = rootHashesWrittenTo(this.opts.db, this.opts.config.election.name, { role: drive.role, serial: drive.serial, uuid: drive.fsUuid, folderPath: drive.folderPath, since: drive.enrolledAt });
    return { publicKey: this.opts.appliancePublicKey?.() ?? appliancePublicKeyText(this.opts.config), rootHashes: written.map((w) => w.rootHash) };
  }

  /** Hooks verify-on-return to the hot-plug watcher: every enrolled drive plugged in is checked. */
  watchReturns(watcher: { on(event: 'attached', fn: (c: DriveCandidate) => void): unknown }, onResult?: (r: Result<DriveReturn>, c: DriveCandidate) => void): void {
    watcher.on('attached', (c) => {
      if (this.store.findUsb(c.serial, c.uuid) === undefined) return;
      void this.verifyReturned(c).then((r) => onResult?.(r, c));
    });
  }
}

export type { CustodyRecord, DriveReturn, EnrolledDrive, OperatorError };
