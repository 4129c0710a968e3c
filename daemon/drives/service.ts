import { randomUUID } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import type { DriveTarget, SnapshotOutcome } from '../snapshot/api.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { AuditLog } from '../core/state/auditLog.ts';
import { defaultMountBase, type DriveHelper } from './helperClient.ts';
import { readIdentity, writeIdentity, type DriveIdentity } from './identity.ts';
import { DriveStore, type CustodyDrive, type CustodyRecord, type DriveReturn, type EnrolledDrive } from './store.ts';
import { appliancePublicKeyText, rootHashesWrittenTo } from '../snapshot/driveRecords.ts';
import { keyIdHex } from '../snapshot/minisign.ts';
import { driveRoles, type DriveCandidate, type DriveRole, type DriveVerifyPins, type VerifyDriveFn } from './types.ts';
import { handOffNeedsWitness } from './handOffWitness.ts';
import { counted } from '../core/words.ts';

/** A drive as the operator sees it in `ballotsafe drives` and the web UI. */
export interface DriveView {
  readonly kind: 'usb' | 'folder';
  /** Block device (USB) or null. */
  readonly device: string | null;
  /** Folder (folder drives) or current mount point (USB), when any. */
  readonly path: string | null;
  readonly serial: string | null;
  readonly uuid: string | null;
  readonly label: string | null;
  readonly fstype: string | null;
  readonly sizeBytes: number | null;
  readonly description: string;
  /** 'enrolled': ready; 'unknown': needs enrolling; 'missing': folder does not exist. */
  readonly status: 'enrolled' | 'unknown' | 'missing';
  readonly enrolled: EnrolledDrive | null;
  readonly lastReturn: DriveReturn | null;
}

export interface EnrollRequest {
  /** USB: the device (/dev/sdb1 or /dev/sdb). Folders: "A", "B" or the configured folder path. */
  readonly target: string;
  readonly role: DriveRole;
  readonly rotationSet?: number | null;
  readonly operator: string;
  /** Erase the drive and make an exFAT file system; only with the operator's explicit confirmation. */
  readonly formatExfat?: { readonly confirmEraseEverything: true };
}

export interface EjectOutcome {
  readonly role: DriveRole;
  readonly device: string | null;
  readonly poweredOff: boolean;
}

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
}

/** The minisign key id (hex, as minisign prints it) from a public key file's text; null when there is none. */
function signingKeyIdOf(publicKeyText: string | null): string | null {
  const line = publicKeyText?.split('\n').find((l) => l.trim() !== '' && !l.startsWith('untrusted comment:'));
  const raw = line === undefined ? undefined : Buffer.from(line.trim(), 'base64');
  return raw === undefined || raw.length !== 42 ? null : keyIdHex(raw.subarray(2, 10));
}

interface ResolvedDrive {
  readonly role: DriveRole;
  readonly enrolled: EnrolledDrive;
  readonly candidate: DriveCandidate | null;
}

const needsFormatAction = (device: string, role: DriveRole) =>
  `Enroll it as drive ${role} with erasing (this erases the drive): on the Drives page press "Enroll a drive" and type ERASE (or give ${device} to the enroll command with --format-exfat).`;

/**
 * Everything the appliance does with its two drives: list, enroll, mount for a snapshot,
 * eject, hand-off with a custody record, and the check when a drive comes back from the safe.
 * USB drives and folder drives go through the same code; only discovery and mounting differ.
 */
export class DriveService {
  readonly store: DriveStore;
  private readonly audit: AuditLog;
  private readonly alerts: AlertLog;
  private readonly mountBase: string;
  private readonly newId: () => string;
  /** Drive operations run one at a time (mount points are shared). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: DriveServiceOptions) {
    this.store = new DriveStore(opts.db);
    this.audit = new AuditLog(opts.db, opts.logger);
    this.alerts = new AlertLog(opts.db, opts.logger);
    this.mountBase = opts.mountBase ?? defaultMountBase;
    this.newId = opts.newId ?? randomUUID;
  }

  get mode(): 'usb' | 'folders' {
    return this.opts.config.drives.mode;
  }

  applianceId(): string {
    return this.store.applianceId(randomUUID);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private folderFor(role: DriveRole): string {
    const d = this.opts.config.drives;
    if (d.mode !== 'folders') throw new Error('folderFor in usb mode');
    return role === 'A' ? d.a : d.b;
  }

  mountPointFor(role: DriveRole): string {
    return join(this.mountBase, role);
  }

  private usbDeps(): Result<{ helper: DriveHelper; discover: () => Promise<Result<DriveCandidate[]>> }> {
    if (this.opts.helper === undefined || this.opts.discover === undefined) {
      return err(operatorError('drives-not-configured', 'USB drive support is not set up in this daemon.', 'Set drives.mode to "folders" or start the daemon with the drive helper.'));
    }
    return ok({ helper: this.opts.helper, discover: this.opts.discover });
  }

  // ---------------------------------------------------------------- listing

  async listDrives(): Promise<Result<DriveView[]>> {
    if (this.mode === 'folders') {
      const views: DriveView[] = [];
      for (const role of driveRoles) {
        const folder = this.folderFor(role);
        const exists = await stat(folder).then((s) => s.isDirectory(), () => false);
        const enrolled = this.store.findFolder(folder) ?? null;
        views.push({
          kind: 'folder',
          device: null,
          path: folder,
          serial: null,
          uuid: null,
          label: null,
          fstype: null,
          sizeBytes: null,
          description: `Folder standing in for drive ${role}`,
          status: !exists ? 'missing' : enrolled === null ? 'unknown' : 'enrolled',
          enrolled,
          lastReturn: enrolled === null ? null : (this.store.returns(enrolled.id, 1)[0] ?? null),
        });
      }
      return ok(views);
    }
    const deps = this.usbDeps();
    if (!deps.ok) return deps;
    const found = await deps.value.discover();
    if (!found.ok) return found;
    return ok(
      found.value.map((c) => {
        const enrolled = this.store.findUsb(c.serial, c.uuid) ?? null;
        return {
          kind: 'usb' as const,
          device: c.device,
          path: c.mountpoint,
          serial: c.serial,
          uuid: c.uuid,
          label: c.label,
          fstype: c.fstype,
          sizeBytes: c.sizeBytes,
          description: [c.vendor, c.model].filter((s) => s !== null).join(' ') || 'USB drive',
          status: enrolled === null ? ('unknown' as const) : ('enrolled' as const),
          enrolled,
          lastReturn: enrolled === null ? null : (this.store.returns(enrolled.id, 1)[0] ?? null),
        };
      }),
    );
  }

  // ---------------------------------------------------------------- enrollment

  enroll(req: EnrollRequest): Promise<Result<EnrolledDrive>> {
    return this.serial(() => (this.mode === 'folders' ? this.enrollFolder(req) : this.enrollUsb(req)));
  }

  private async enrollFolder(req: EnrollRequest): Promise<Result<EnrolledDrive>> {
    if (req.formatExfat !== undefined) {
      return err(operatorError('format-not-possible', 'Folder drives cannot be formatted.', 'Enroll without --format-exfat.'));
    }
    const slot = driveRoles.find((r) => req.target === r || resolve(req.target) === this.folderFor(r));
    if (slot === undefined) {
      return err(operatorError('drive-not-found', `"${req.target}" is not one of the configured drive folders.`, `Use A, B, ${this.folderFor('A')} or ${this.folderFor('B')}.`));
    }
    if (slot !== req.role) {
      return this.refuse('drive-wrong-role', `The folder ${this.folderFor(slot)} is configured as drive ${slot}, not ${req.role}.`, `Enroll it as drive ${slot}, or swap the folders under drives.a and drives.b in the config.`, { target: req.target });
    }
    const folder = this.folderFor(slot);
    await mkdir(folder, { recursive: true });
    const replaces = [this.store.findFolder(folder)?.id].filter((x): x is string => x !== undefined);
    return this.finishEnroll(req, folder, { kind: 'folder', serial: null, fsUuid: null, label: null, folderPath: folder }, replaces);
  }

  private async enrollUsb(req: EnrollRequest): Promise<Result<EnrolledDrive>> {
    const deps = this.usbDeps();
    if (!deps.ok) return deps;
    const { helper, discover } = deps.value;
    const found = await discover();
    if (!found.ok) return found;
    const found0 = found.value.find((c) => c.device === req.target || c.disk === req.target);
    if (found0 === undefined) {
      return err(operatorError('drive-not-found', `There is no removable USB drive at ${req.target}.`, 'Look at the Drives page to see the drives the appliance can use.'));
    }
    const previous = this.store.findUsb(found0.serial, found0.uuid);
    let cand = found0;
    let uuid = cand.uuid;
    let label = cand.label;
    if (req.formatExfat !== undefined) {
      if (req.formatExfat.confirmEraseEverything !== true) {
        return err(operatorError('format-not-confirmed', 'Formatting erases everything on the drive and needs confirmation.', 'Add --yes-erase-everything if the drive may be erased.'));
      }
      if (cand.mountpoint !== null) {
        const mp = cand.mountpoint;
        const role = driveRoles.find((r) => mp === this.mountPointFor(r));
        if (role === undefined) return err(operatorError('in-use', 'The drive is mounted by something else on the appliance.', 'Unplug it, plug it in again and retry.'));
        const un = await helper.unmount(role);
        if (!un.ok) return un;
        cand = { ...cand, mountpoint: null };
      }
      label = `BSAFE-${req.role}${req.rotationSet == null ? '' : String(req.rotationSet)}`.slice(0, 11);
      const formatted = await helper.formatExfat(cand.device, label);
      if (!formatted.ok) return formatted;
      uuid = formatted.value.uuid !== undefined && formatted.value.uuid !== '' ? formatted.value.uuid : null;
      this.audit.record(req.operator, 'drive.formatted', { device: cand.device, serial: cand.serial, label, uuid });
    } else if (cand.fstype !== 'exfat' && cand.fstype !== 'vfat') {
      return this.refuse('drive-needs-format', `The drive at ${cand.device} has ${cand.fstype === null ? 'no file system' : `a ${cand.fstype} file system`}; ballotsafe drives use exFAT.`, needsFormatAction(cand.device, req.role), { device: cand.device });
    }
    const mounted = await this.mountCandidate(helper, cand, req.role);
    if (!mounted.ok) return mounted;
    uuid = uuid ?? mounted.value.uuid;
    const root = mounted.value.root;
    try {
      if (uuid === null) {
        return err(operatorError('drive-no-uuid', 'The drive has no file-system id, so it cannot be recognised later.', needsFormatAction(cand.device, req.role)));
      }
      const existing = await readIdentity(root);
      if (existing.ok && existing.value !== null && existing.value.applianceId !== this.applianceId() && req.formatExfat === undefined) {
        return this.refuse('drive-foreign', 'This drive was enrolled on another ballotsafe appliance.', `If it may be erased: ${needsFormatAction(cand.device, req.role)}`, { device: cand.device, serial: cand.serial });
      }
      const replaces = [previous?.id].filter((x): x is string => x !== undefined);
      return await this.finishEnroll(req, root, { kind: 'usb', serial: cand.serial, fsUuid: uuid, label, folderPath: null }, replaces);
    } finally {
      // Leave the drive safe to pull; a snapshot mounts it again.
      if (mounted.value.mountedHere) await helper.unmount(req.role);
    }
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

  /** Mounts a USB drive at its role's mount point unless it is already there. */
  private async mountCandidate(helper: DriveHelper, cand: DriveCandidate, role: DriveRole): Promise<Result<{ root: string; mountedHere: boolean; uuid: string | null }>> {
    const mp = this.mountPointFor(role);
    if (cand.mountpoint === mp) return ok({ root: mp, mountedHere: false, uuid: cand.uuid });
    if (cand.mountpoint !== null) {
      return err(operatorError('already-mounted', `The drive is mounted at ${cand.mountpoint}, not as drive ${role}.`, 'Eject it on the Drives page, unplug it and plug it in again.'));
    }
    const m = await helper.mount(cand.device, role);
    if (!m.ok) return m;
    logEvent(this.opts.logger, LogEvent.DriveMounted, { device: cand.device, role, mountpoint: m.value.mountpoint, nosymfollow: m.value.nosymfollow });
    return ok({ root: m.value.mountpoint ?? mp, mountedHere: true, uuid: m.value.uuid !== undefined && m.value.uuid !== '' ? m.value.uuid : null });
  }

  // ---------------------------------------------------------------- checks

  /** Checks the identity file at a drive root against the enrollment record. */
  private async checkIdentity(root: string, enrolled: EnrolledDrive, slot: DriveRole, where: string): Promise<Result<DriveIdentity>> {
    const id = await readIdentity(root);
    if (!id.ok) return id;
    const fields = { driveId: enrolled.id, role: slot, serial: enrolled.serial, where };
    if (id.value === null) {
      return this.refuse('drive-identity-missing', `Drive ${slot} (${where}) has no ballotsafe identity file, although it was enrolled.`, `Check the drive has not been swapped or wiped; then enroll it again as drive ${slot}.`, fields);
    }
    if (id.value.applianceId !== this.applianceId()) {
      return this.refuse('drive-foreign', `The drive in slot ${slot} (${where}) was enrolled on another ballotsafe appliance.`, 'Use this appliance\'s drives, or enroll this drive here (with formatting).', fields);
    }
    if (id.value.role !== slot) {
      return this.refuse('drive-wrong-role', `The drive in slot ${slot} (${where}) is drive ${id.value.role}.`, `Put drive ${id.value.role} in its own place, or enroll this drive as drive ${slot}.`, fields);
    }
    if (id.value.driveId !== enrolled.id) {
      return this.refuse('drive-identity-mismatch', `The identity file on drive ${slot} (${where}) does not match the enrollment record (copied or replaced drive?).`, `Check where this drive came from; then enroll it again as drive ${slot}.`, fields);
    }
    return ok(id.value);
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
  private async resolveEach(): Promise<Result<(ResolvedDrive | { readonly role: DriveRole; readonly error: OperatorError })[]>> {
    if (this.mode === 'folders') {
      return ok(
        driveRoles.map((role) => {
          const folder = this.folderFor(role);
          const enrolled = this.store.findFolder(folder);
          if (enrolled !== undefined) return { role, enrolled, candidate: null };
          const r = this.refuse<never>('drive-unknown', `The folder for drive ${role} (${folder}) is not enrolled.`, `Enroll it as drive ${role}: on the Drives page press "Enroll a drive".`, { folder });
          return { role, error: r.ok ? operatorError('drive-unknown', 'Not enrolled.') : r.error };
        }),
      );
    }
    const deps = this.usbDeps();
    if (!deps.ok) return deps;
    const found = await deps.value.discover();
    if (!found.ok) return found;
    const matched = found.value.map((c) => ({ c, e: this.store.findUsb(c.serial, c.uuid) }));
    const out: (ResolvedDrive | { role: DriveRole; error: OperatorError })[] = [];
    for (const role of driveRoles) {
      const mine = matched.filter((m) => m.e?.role === role);
      const sets = new Set(mine.map((m) => m.e?.rotationSet ?? null));
      if (mine.length > 1) {
        return this.refuse('drive-duplicate-role', `${mine.length} drives enrolled as drive ${role} are plugged in${sets.size > 1 ? ' (from different rotation sets)' : ''}.`, `Leave one drive ${role} plugged in and unplug the other.`, { role });
      }
      const one = mine[0];
      if (one?.e === undefined) {
        const unknown = matched.find((m) => m.e === undefined);
        if (unknown !== undefined) {
          const r = this.refuse<never>('drive-unknown', `The drive at ${unknown.c.device} (${[unknown.c.vendor, unknown.c.model].filter(Boolean).join(' ') || 'USB drive'}, serial ${unknown.c.serial ?? 'unknown'}) is not enrolled, and drive ${role} is missing.`, `If this is a new drive ${role} (${unknown.c.device}), enroll it as drive ${role}: on the Drives page press "Enroll a drive". Otherwise plug in the enrolled drive ${role}.`, { device: unknown.c.device, serial: unknown.c.serial });
          out.push({ role, error: r.ok ? operatorError('drive-unknown', 'Not enrolled.') : r.error });
          continue;
        }
        out.push({ role, error: operatorError('drive-missing', `Drive ${role} is not plugged in.`, `Plug in the enrolled drive ${role}, wait a few seconds and try again.`) });
        continue;
      }
      out.push({ role, enrolled: one.e, candidate: one.c });
    }
    const [a, b] = out;
    if (a !== undefined && b !== undefined && 'enrolled' in a && 'enrolled' in b && a.enrolled.rotationSet !== b.enrolled.rotationSet) {
      return this.refuse('drive-set-mismatch', `Drive A is from rotation set ${a.enrolled.rotationSet ?? 'none'} but drive B from set ${b.enrolled.rotationSet ?? 'none'}.`, 'Plug in drives A and B of the same set.', {});
    }
    return ok(out);
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
      const placeholder = this.mode === 'folders' ? this.folderFor(r.role) : this.mountPointFor(r.role);
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
    let root: string;
    if (r.candidate === null) {
      root = this.folderFor(r.role);
    } else {
      const deps = this.usbDeps();
      if (!deps.ok) return deps;
      const m = await this.mountCandidate(deps.value.helper, r.candidate, r.role);
      if (!m.ok) return m;
      root = m.value.root;
    }
    const where = r.candidate?.device ?? root;
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
    const out: EjectOutcome[] = [];
    if (this.mode === 'folders') {
      for (const role of roles) out.push({ role, device: null, poweredOff: false });
    } else {
      const deps = this.usbDeps();
      if (!deps.ok) return deps;
      const found = await deps.value.discover();
      if (!found.ok) return found;
      for (const role of roles) {
        // The drive mounted in that role, else the enrolled drive of that role that is plugged in.
        const cand =
          found.value.find((c) => c.mountpoint === this.mountPointFor(role)) ??
          found.value.find((c) => this.store.findUsb(c.serial, c.uuid)?.role === role);
        if (cand === undefined) {
          return err(operatorError('drive-missing', `Drive ${role} is not plugged in, so there is nothing to eject.`, 'Look at the Drives page to see which drives are plugged in.'));
        }
        const e = await deps.value.helper.eject(cand.device);
        if (!e.ok) return e;
        out.push({ role, device: cand.device, poweredOff: e.value.poweredOff === true });
      }
    }
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
      let enrolled: EnrolledDrive | undefined;
      let root: string;
      let unmountRole: DriveRole | null = null;
      let where: string;
      if (typeof which === 'string') {
        if (this.mode !== 'folders') return err(operatorError('bad-request', 'Name the USB drive, not a role.', 'Plug the drive in; it is checked automatically.'));
        root = this.folderFor(which);
        where = root;
        enrolled = this.store.findFolder(root);
      } else {
        where = which.device;
        enrolled = this.store.findUsb(which.serial, which.uuid);
        if (enrolled === undefined) {
          return err(operatorError('drive-unknown', `The drive at ${which.device} is not enrolled, so there is nothing to verify.`, 'Enroll it if it is a new drive.'));
        }
        const deps = this.usbDeps();
        if (!deps.ok) return deps;
        const m = await this.mountCandidate(deps.value.helper, which, enrolled.role);
        if (!m.ok) return m;
        root = m.value.root;
        if (m.value.mountedHere) unmountRole = enrolled.role;
      }
      if (enrolled === undefined) {
        return err(operatorError('drive-unknown', `The folder ${root} is not an enrolled drive.`, 'Enroll it first.'));
      }
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
        if (unmountRole !== null) await this.opts.helper?.unmount(unmountRole);
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
