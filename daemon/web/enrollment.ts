import type { DriveService } from '../drives/service.ts';
import { driveRoles, type DriveRole } from '../drives/types.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';

/** A drive plugged in that is not enrolled, in the words the Drives page shows. */
export interface UnenrolledDrive {
  /** What the enrollment is given: the device (USB) or the folder (folder drives). */
  readonly target: string;
  readonly kind: 'usb' | 'folder';
  readonly description: string;
  readonly label: string | null;
  readonly serial: string | null;
  readonly sizeBytes: number | null;
  /** Only USB drives can be erased and formatted. */
  readonly canFormat: boolean;
}

export interface EnrollmentProvider {
  unenrolled(): Promise<Result<UnenrolledDrive[]>>;
  enroll(req: { readonly target: string; readonly role: DriveRole; readonly format: boolean; readonly actor: string }): Promise<Result<{ readonly role: DriveRole }>>;
}

/** The word that confirms erasing a drive: its label as shown, or ERASE. */
export function eraseConfirmed(typed: string, label: string | null): boolean {
  const t = typed.trim();
  return t === 'ERASE' || (label !== null && label !== '' && t === label);
}

/** Enrollment through the drive service: the same logic as `ballotsafe enroll` (folder and USB backends). */
export function enrollmentFromService(service: DriveService): EnrollmentProvider {
  return {
    async unenrolled() {
      const views = await service.listDrives();
      if (!views.ok) return views;
      return ok(
        views.value
          .filter((v) => v.status === 'unknown')
          .map((v) => ({
            target: v.kind === 'usb' ? (v.device ?? '') : (v.path ?? ''),
            kind: v.kind,
            description: v.description,
            label: v.label,
            serial: v.serial,
            sizeBytes: v.sizeBytes,
            canFormat: v.kind === 'usb',
          }))
          .filter((d) => d.target !== ''),
      );
    },
    async enroll(req) {
      if (!driveRoles.includes(req.role)) return err(operatorError('drive-role', 'Choose drive A or drive B.', 'Pick A or B and press Enroll again.'));
      const r = await service.enroll({ target: req.target, role: req.role, operator: req.actor, ...(req.format ? { formatExfat: { confirmEraseEverything: true as const } } : {}) });
      return r.ok ? ok({ role: r.value.role }) : r;
    },
  };
}
