import { mkdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { nothingToRelease, usbNotSetUp, type BackendContext, type DriveBackend, type DriveView, type EjectOutcome, type EnrollRequest, type EnrollSite, type OpenedDrive, type ResolvedDrive, type RoleDrive } from './backend.ts';
import type { EnrolledDrive } from './store.ts';
import { driveRoles, type DriveCandidate, type DriveRole } from './types.ts';

/** Two folders standing in for drives A and B (config drives.mode = folders): nothing to mount, format or power off. */
export class FolderDrives implements DriveBackend {
  readonly kind = 'folders' as const;

  constructor(
    private readonly ctx: BackendContext,
    private readonly folders: Readonly<Record<DriveRole, string>>,
  ) {}

  private folderFor(role: DriveRole): string {
    return this.folders[role];
  }

  placeholderRoot(role: DriveRole): string {
    return this.folderFor(role);
  }

  async list(): Promise<Result<DriveView[]>> {
    const views: DriveView[] = [];
    for (const role of driveRoles) {
      const folder = this.folderFor(role);
      const exists = await stat(folder).then((s) => s.isDirectory(), () => false);
      const enrolled = this.ctx.store.findFolder(folder) ?? null;
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
        lastReturn: enrolled === null ? null : (this.ctx.store.returns(enrolled.id, 1)[0] ?? null),
      });
    }
    return ok(views);
  }

  async openForEnroll(req: EnrollRequest): Promise<Result<EnrollSite>> {
    if (req.formatExfat !== undefined) {
      return err(operatorError('format-not-possible', 'Folder drives cannot be formatted.', 'Enroll without --format-exfat.'));
    }
    const slot = driveRoles.find((r) => req.target === r || resolve(req.target) === this.folderFor(r));
    if (slot === undefined) {
      return err(operatorError('drive-not-found', `"${req.target}" is not one of the configured drive folders.`, `Use A, B, ${this.folderFor('A')} or ${this.folderFor('B')}.`));
    }
    if (slot !== req.role) {
      return this.ctx.refuse('drive-wrong-role', `The folder ${this.folderFor(slot)} is configured as drive ${slot}, not ${req.role}.`, `Enroll it as drive ${slot}, or swap the folders under drives.a and drives.b in the config.`, { target: req.target });
    }
    const folder = this.folderFor(slot);
    await mkdir(folder, { recursive: true });
    const replaces = [this.ctx.store.findFolder(folder)?.id].filter((x): x is string => x !== undefined);
    return ok({ root: folder, where: folder, release: nothingToRelease, what: { kind: 'folder', serial: null, fsUuid: null, label: null, folderPath: folder }, replaces });
  }

  async resolveEach(): Promise<Result<RoleDrive[]>> {
    return ok(
      driveRoles.map((role) => {
        const folder = this.folderFor(role);
        const enrolled = this.ctx.store.findFolder(folder);
        if (enrolled !== undefined) return { role, enrolled, candidate: null };
        const r = this.ctx.refuse<never>('drive-unknown', `The folder for drive ${role} (${folder}) is not enrolled.`, `Enroll it as drive ${role}: on the Drives page press "Enroll a drive".`, { folder });
        return { role, error: r.ok ? operatorError('drive-unknown', 'Not enrolled.') : r.error };
      }),
    );
  }

  async open(drive: ResolvedDrive): Promise<Result<OpenedDrive>> {
    const root = this.folderFor(drive.role);
    return ok({ root, where: root, release: nothingToRelease });
  }

  async eject(roles: readonly DriveRole[]): Promise<Result<EjectOutcome[]>> {
    return ok(roles.map((role) => ({ role, device: null, poweredOff: false })));
  }

  async openReturned(which: DriveCandidate | DriveRole): Promise<Result<OpenedDrive & { readonly enrolled: EnrolledDrive }>> {
    if (typeof which !== 'string') {
      // A USB drive plugged into an appliance set up with folders: it is not one of its drives.
      if (this.ctx.store.findUsb(which.serial, which.uuid) === undefined) {
        return err(operatorError('drive-unknown', `The drive at ${which.device} is not enrolled, so there is nothing to verify.`, 'Enroll it if it is a new drive.'));
      }
      return err(usbNotSetUp());
    }
    const root = this.folderFor(which);
    const enrolled = this.ctx.store.findFolder(root);
    if (enrolled === undefined) return err(operatorError('drive-unknown', `The folder ${root} is not an enrolled drive.`, 'Enroll it first.'));
    return ok({ root, where: root, enrolled, release: nothingToRelease });
  }
}
