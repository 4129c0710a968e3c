import type { DriveRole } from '../snapshot/api.ts';
import type { OperatorError, Result } from '../core/result.ts';

export type { DriveRole };
export const driveRoles: readonly DriveRole[] = ['A', 'B'];

/** A removable USB drive found on the appliance (one file system on it: the one we would mount). */
export interface DriveCandidate {
  /** Block device to mount, e.g. /dev/sdb1 (or /dev/sdb for a stick without partitions). */
  readonly device: string;
  /** The whole disk, e.g. /dev/sdb; what eject powers off. */
  readonly disk: string;
  readonly serial: string | null;
  /** File-system UUID (changes when the drive is formatted). */
  readonly uuid: string | null;
  readonly fstype: string | null;
  readonly label: string | null;
  readonly sizeBytes: number | null;
  readonly vendor: string | null;
  readonly model: string | null;
  /** Where it is mounted now, if anywhere. */
  readonly mountpoint: string | null;
}

/** Result of the injected drive verification (the snapshot engine's `verify` of a drive folder). */
export interface DriveVerifyReport {
  /** True when every manifest entry re-hashes to its recorded SHA-256 and the chain checks out. */
  readonly ok: boolean;
  readonly filesChecked: number;
  /** Human-readable problems, e.g. "000002-…/data/x.tif: SHA-256 mismatch". */
  readonly problems: readonly string[];
}

/** What a returning drive must match: the appliance's own key and what it wrote to that drive. */
export interface DriveVerifyPins {
  /** The appliance's public key file (minisign format); null when the appliance has none yet. */
  readonly publicKey: string | null;
  /** Root hashes of every snapshot written completely to this drive (from the database). */
  readonly rootHashes: readonly string[];
}

/**
 * Verifies a drive folder (the drive's mount point or the stand-in folder) against the pins
 * (the daemon always gives them; without them the drive is only checked against itself).
 * Expected failures of the verification itself (no snapshot on the drive, unreadable) are an
 * `ok: false` Result.
 */
export type VerifyDriveFn = (driveRoot: string, pins?: DriveVerifyPins) => Promise<Result<DriveVerifyReport>>;

export type DrivesResult<T> = Result<T, OperatorError>;
