import type { Logger } from '../core/log/logger.ts';
import { operatorError, type OperatorError, type Result } from '../core/result.ts';
import type { AuditLog } from '../core/state/auditLog.ts';
import type { DriveStore, DriveReturn, EnrolledDrive } from './store.ts';
import type { DriveCandidate, DriveRole } from './types.ts';

/**
 * Where the appliance's two drives are and how to reach them: real USB drives through the root
 * helper, or two folders standing in for them (demo, tests, a county without USB). The shape of
 * vxsuite's UsbPlatform (list, mount, eject, format), so DriveService does its one job, the
 * drives' rules (identity, custody, return check), without asking which kind it has.
 */
export interface DriveBackend {
  readonly kind: 'usb' | 'folders';
  /** The drives as the operator sees them. */
  list(): Promise<Result<DriveView[]>>;
  /** Finds the drive to enroll (formats it when asked) and opens it to receive its identity file. */
  openForEnroll(req: EnrollRequest): Promise<Result<EnrollSite>>;
  /** Each role's drive matched to its enrollment (nothing mounted), or why that role has none. */
  resolveEach(): Promise<Result<RoleDrive[]>>;
  /** Opens a resolved drive for a snapshot (mounts a USB drive at its role's mount point). */
  open(drive: ResolvedDrive): Promise<Result<OpenedDrive>>;
  /** The root named for a role whose drive cannot be used (so the snapshot can say which one). */
  placeholderRoot(role: DriveRole): string;
  /** Flush, unmount and power off (USB); folders have nothing to power off. */
  eject(roles: readonly DriveRole[]): Promise<Result<EjectOutcome[]>>;
  /** Opens a drive back from the safe: a plugged-in USB drive, or a folder drive by role. */
  openReturned(which: DriveCandidate | DriveRole): Promise<Result<OpenedDrive & { readonly enrolled: EnrolledDrive }>>;
}

/** What a backend uses of the service around it. */
export interface BackendContext {
  readonly store: DriveStore;
  readonly audit: AuditLog;
  readonly logger: Logger;
  applianceId(): string;
  /** Logs the refusal (DriveRefused) and returns it as the operator's error. */
  refuse<T>(code: string, message: string, action: string, fields: Record<string, unknown>): Result<T>;
}

/** A role's drive matched to its enrollment; `candidate` is the plugged-in USB drive (null for folders). */
export interface ResolvedDrive {
  readonly role: DriveRole;
  readonly enrolled: EnrolledDrive;
  readonly candidate: DriveCandidate | null;
}

export type RoleDrive = ResolvedDrive | { readonly role: DriveRole; readonly error: OperatorError };

/** A drive's root, opened for work; `release` leaves the drive as it was found (unmounts what was mounted for this). */
export interface OpenedDrive {
  readonly root: string;
  /** How the operator knows the drive: its device, or the folder. */
  readonly where: string;
  release(): Promise<void>;
}

export interface EnrollSite extends OpenedDrive {
  readonly what: Pick<EnrolledDrive, 'kind' | 'serial' | 'fsUuid' | 'label' | 'folderPath'>;
  /** Enrollments this drive replaces (it was enrolled before). */
  readonly replaces: string[];
}

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

export const nothingToRelease = (): Promise<void> => Promise.resolve();

/** Asked for a USB drive where the daemon has no drive helper (folders mode, or started without it). */
export function usbNotSetUp(): OperatorError {
  return operatorError('drives-not-configured', 'USB drive support is not set up in this daemon.', 'Set drives.mode to "folders" or start the daemon with the drive helper.');
}
