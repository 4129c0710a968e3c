import { join } from 'node:path';
import { LogEvent } from '../core/log/events.ts';
import { logEvent } from '../core/log/logger.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { usbNotSetUp, type BackendContext, type DriveBackend, type DriveView, type EjectOutcome, type EnrollRequest, type EnrollSite, type OpenedDrive, type ResolvedDrive, type RoleDrive } from './backend.ts';
import type { DriveHelper } from './helperClient.ts';
import { readIdentity } from './identity.ts';
import type { EnrolledDrive } from './store.ts';
import { driveRoles, type DriveCandidate, type DriveRole } from './types.ts';

export const needsFormatAction = (device: string, role: DriveRole) =>
  `Enroll it as drive ${role} with erasing (this erases the drive): on the Drives page press "Enroll a drive" and type ERASE (or give ${device} to the enroll command with --format-exfat).`;

/** How the USB backend reaches the hardware: the root helper (mount, unmount, eject, format) and the drive list. */
export interface UsbAccess {
  readonly helper?: DriveHelper | undefined;
  readonly discover?: (() => Promise<Result<DriveCandidate[]>>) | undefined;
  /** Each role's drive is mounted at <mountBase>/<role>. */
  readonly mountBase: string;
}

/** Real USB drives through the root helper; every drive is mounted at its role's mount point while in use. */
export class UsbDrives implements DriveBackend {
  readonly kind = 'usb' as const;

  constructor(
    private readonly ctx: BackendContext,
    private readonly access: UsbAccess,
  ) {}

  mountPointFor(role: DriveRole): string {
    return join(this.access.mountBase, role);
  }

  placeholderRoot(role: DriveRole): string {
    return this.mountPointFor(role);
  }

  private deps(): Result<{ helper: DriveHelper; discover: () => Promise<Result<DriveCandidate[]>> }> {
    const { helper, discover } = this.access;
    if (helper === undefined || discover === undefined) return err(usbNotSetUp());
    return ok({ helper, discover });
  }

  private async discover(): Promise<Result<{ helper: DriveHelper; found: DriveCandidate[] }>> {
    const deps = this.deps();
    if (!deps.ok) return deps;
    const found = await deps.value.discover();
    if (!found.ok) return found;
    return ok({ helper: deps.value.helper, found: found.value });
  }

  async list(): Promise<Result<DriveView[]>> {
    const d = await this.discover();
    if (!d.ok) return d;
    const { store } = this.ctx;
    return ok(
      d.value.found.map((c) => {
        const enrolled = store.findUsb(c.serial, c.uuid) ?? null;
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
          lastReturn: enrolled === null ? null : (store.returns(enrolled.id, 1)[0] ?? null),
        };
      }),
    );
  }

  async openForEnroll(req: EnrollRequest): Promise<Result<EnrollSite>> {
    const d = await this.discover();
    if (!d.ok) return d;
    const { helper, found } = d.value;
    const found0 = found.find((c) => c.device === req.target || c.disk === req.target);
    if (found0 === undefined) {
      return err(operatorError('drive-not-found', `There is no removable USB drive at ${req.target}.`, 'Look at the Drives page to see the drives the appliance can use.'));
    }
    const previous = this.ctx.store.findUsb(found0.serial, found0.uuid);
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
      this.ctx.audit.record(req.operator, 'drive.formatted', { device: cand.device, serial: cand.serial, label, uuid });
    } else if (cand.fstype !== 'exfat' && cand.fstype !== 'vfat') {
      return this.ctx.refuse('drive-needs-format', `The drive at ${cand.device} has ${cand.fstype === null ? 'no file system' : `a ${cand.fstype} file system`}; ballotsafe drives use exFAT.`, needsFormatAction(cand.device, req.role), { device: cand.device });
    }
    const mounted = await this.mount(helper, cand, req.role);
    if (!mounted.ok) return mounted;
    uuid = uuid ?? mounted.value.uuid;
    const opened = mounted.value.opened;
    // Leave the drive safe to pull whatever happens next; a snapshot mounts it again.
    const refuse = async (e: Result<never>): Promise<Result<never>> => {
      await opened.release();
      return e;
    };
    if (uuid === null) {
      return refuse(err(operatorError('drive-no-uuid', 'The drive has no file-system id, so it cannot be recognised later.', needsFormatAction(cand.device, req.role))));
    }
    const existing = await readIdentity(opened.root);
    if (existing.ok && existing.value !== null && existing.value.applianceId !== this.ctx.applianceId() && req.formatExfat === undefined) {
      return refuse(this.ctx.refuse('drive-foreign', 'This drive was enrolled on another ballotsafe appliance.', `If it may be erased: ${needsFormatAction(cand.device, req.role)}`, { device: cand.device, serial: cand.serial }));
    }
    const replaces = [previous?.id].filter((x): x is string => x !== undefined);
    return ok({ ...opened, what: { kind: 'usb', serial: cand.serial, fsUuid: uuid, label, folderPath: null }, replaces });
  }

  async resolveEach(): Promise<Result<RoleDrive[]>> {
    const d = await this.discover();
    if (!d.ok) return d;
    const { store } = this.ctx;
    const matched = d.value.found.map((c) => ({ c, e: store.findUsb(c.serial, c.uuid) }));
    const out: (ResolvedDrive | { role: DriveRole; error: OperatorError })[] = [];
    for (const role of driveRoles) {
      const mine = matched.filter((m) => m.e?.role === role);
      const sets = new Set(mine.map((m) => m.e?.rotationSet ?? null));
      if (mine.length > 1) {
        return this.ctx.refuse('drive-duplicate-role', `${mine.length} drives enrolled as drive ${role} are plugged in${sets.size > 1 ? ' (from different rotation sets)' : ''}.`, `Leave one drive ${role} plugged in and unplug the other.`, { role });
      }
      const one = mine[0];
      if (one?.e === undefined) {
        const unknown = matched.find((m) => m.e === undefined);
        if (unknown !== undefined) {
          const r = this.ctx.refuse<never>('drive-unknown', `The drive at ${unknown.c.device} (${[unknown.c.vendor, unknown.c.model].filter(Boolean).join(' ') || 'USB drive'}, serial ${unknown.c.serial ?? 'unknown'}) is not enrolled, and drive ${role} is missing.`, `If this is a new drive ${role} (${unknown.c.device}), enroll it as drive ${role}: on the Drives page press "Enroll a drive". Otherwise plug in the enrolled drive ${role}.`, { device: unknown.c.device, serial: unknown.c.serial });
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
      return this.ctx.refuse('drive-set-mismatch', `Drive A is from rotation set ${a.enrolled.rotationSet ?? 'none'} but drive B from set ${b.enrolled.rotationSet ?? 'none'}.`, 'Plug in drives A and B of the same set.', {});
    }
    return ok(out);
  }

  async open(drive: ResolvedDrive): Promise<Result<OpenedDrive>> {
    const deps = this.deps();
    if (!deps.ok) return deps;
    if (drive.candidate === null) return err(operatorError('drive-missing', `Drive ${drive.role} is not plugged in.`, `Plug in the enrolled drive ${drive.role}, wait a few seconds and try again.`));
    const m = await this.mount(deps.value.helper, drive.candidate, drive.role);
    return m.ok ? ok(m.value.opened) : m;
  }

  async eject(roles: readonly DriveRole[]): Promise<Result<EjectOutcome[]>> {
    const d = await this.discover();
    if (!d.ok) return d;
    const { helper, found } = d.value;
    const out: EjectOutcome[] = [];
    for (const role of roles) {
      // The drive mounted in that role, else the enrolled drive of that role that is plugged in.
      const cand = found.find((c) => c.mountpoint === this.mountPointFor(role)) ?? found.find((c) => this.ctx.store.findUsb(c.serial, c.uuid)?.role === role);
      if (cand === undefined) {
        return err(operatorError('drive-missing', `Drive ${role} is not plugged in, so there is nothing to eject.`, 'Look at the Drives page to see which drives are plugged in.'));
      }
      const e = await helper.eject(cand.device);
      if (!e.ok) return e;
      out.push({ role, device: cand.device, poweredOff: e.value.poweredOff === true });
    }
    return ok(out);
  }

  async openReturned(which: DriveCandidate | DriveRole): Promise<Result<OpenedDrive & { readonly enrolled: EnrolledDrive }>> {
    if (typeof which === 'string') return err(operatorError('bad-request', 'Name the USB drive, not a role.', 'Plug the drive in; it is checked automatically.'));
    const enrolled = this.ctx.store.findUsb(which.serial, which.uuid);
    if (enrolled === undefined) {
      return err(operatorError('drive-unknown', `The drive at ${which.device} is not enrolled, so there is nothing to verify.`, 'Enroll it if it is a new drive.'));
    }
    const deps = this.deps();
    if (!deps.ok) return deps;
    const m = await this.mount(deps.value.helper, which, enrolled.role);
    if (!m.ok) return m;
    return ok({ ...m.value.opened, enrolled });
  }

  /** Mounts a USB drive at its role's mount point unless it is already there; release unmounts only what this mounted. */
  private async mount(helper: DriveHelper, cand: DriveCandidate, role: DriveRole): Promise<Result<{ opened: OpenedDrive; uuid: string | null }>> {
    const mp = this.mountPointFor(role);
    if (cand.mountpoint === mp) return ok({ opened: { root: mp, where: cand.device, release: () => Promise.resolve() }, uuid: cand.uuid });
    if (cand.mountpoint !== null) {
      return err(operatorError('already-mounted', `The drive is mounted at ${cand.mountpoint}, not as drive ${role}.`, 'Eject it on the Drives page, unplug it and plug it in again.'));
    }
    const m = await helper.mount(cand.device, role);
    if (!m.ok) return m;
    logEvent(this.ctx.logger, LogEvent.DriveMounted, { device: cand.device, role, mountpoint: m.value.mountpoint, nosymfollow: m.value.nosymfollow });
    const release = async (): Promise<void> => {
      await helper.unmount(role);
    };
    return ok({ opened: { root: m.value.mountpoint ?? mp, where: cand.device, release }, uuid: m.value.uuid !== undefined && m.value.uuid !== '' ? m.value.uuid : null });
  }
}
