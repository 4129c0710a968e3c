import type { OperatorError, Result } from '../core/result.ts';

/**
 * The contract between the snapshot engine and its callers (CLI, triggers, drives, web UI).
 * The engine implements SnapshotService; callers depend only on this file.
 */

export type DriveRole = 'A' | 'B';

/** A drive as the snapshot engine sees it: a mounted folder (USB) or a plain folder (demo). */
export interface DriveTarget {
  readonly role: DriveRole;
  /** Absolute path of the drive's mount point (or the folder standing in for it). */
  readonly root: string;
  /** Serial, UUID, label when known (USB); recorded in the snapshot. */
  readonly serial?: string;
  readonly uuid?: string;
  readonly label?: string;
  /** Known before the run that this drive cannot take it (not plugged in, wrong drive): it drops out, nothing is written to it. */
  readonly unavailable?: OperatorError;
}

export type SnapshotReason = 'operator' | 'end-of-day' | 'poll-close' | 'schedule' | 'export-settled' | 'catch-up' | 'recovery';

export interface SnapshotRequest {
  readonly reason: SnapshotReason;
  /** User name, or "system" for triggers. */
  readonly actor: string;
  readonly drives: readonly DriveTarget[];
  /** Write every catalog version, not only what the drives lack (a new drive pair). */
  readonly full?: boolean;
}

export type SnapshotPhase = 'preflight' | 'writing' | 'syncing' | 'verifying' | 'manifests' | 'done';

export interface DriveProgress {
  readonly role: DriveRole;
  readonly state: 'writing' | 'verified' | 'failed';
  readonly message?: string;
}

export interface SnapshotProgress {
  readonly phase: SnapshotPhase;
  readonly filesDone: number;
  readonly filesTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Read back from the drives and checked against the catalog hash (the slower drive still in the run). */
  readonly filesVerified: number;
  readonly bytesVerified: number;
  readonly bytesPerSecond: number;
  /** null until a rate is known. */
  readonly secondsLeft: number | null;
  readonly perDrive: readonly DriveProgress[];
}

export interface DriveOutcome {
  readonly role: DriveRole;
  readonly state: 'complete' | 'failed';
  readonly error?: OperatorError;
}

export interface SnapshotOutcome {
  readonly sequence: number;
  /** SHA-256 of the bag's tagmanifest-sha256.txt: the publishable root hash. */
  readonly rootHash: string;
  /** Folder name of the bag on the drives, e.g. "000003-20261103T220000Z". */
  readonly bagName: string;
  readonly files: number;
  readonly bytes: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly perDrive: readonly DriveOutcome[];
  /** Everything this run wrote: the new snapshot and earlier ones a drive lacked (each counted once). */
  readonly copied?: { readonly files: number; readonly bytes: number; readonly snapshots: number };
}

/** What a snapshot would write now, counted by the rule the run plans with (copyPlan.ts). */
export interface CopyPreview {
  /** Captured files in no snapshot yet: the new snapshot. */
  readonly newFiles: { readonly files: number; readonly bytes: number };
  /** Earlier snapshots a drive lacks, each counted once, and which drives lack them. */
  readonly catchUp: { readonly files: number; readonly bytes: number; readonly snapshots: number; readonly drives: readonly DriveRole[] };
}

export interface SnapshotService {
  /** Fails with code "snapshot-busy" when one is already running. */
  run(request: SnapshotRequest, onProgress?: (p: SnapshotProgress) => void): Promise<Result<SnapshotOutcome>>;
  isBusy(): boolean;
  /** Counts what run() would write to these drives now, without writing (a drive not there gets nothing). */
  previewCopy?(drives: readonly DriveTarget[], full?: boolean): Promise<CopyPreview>;
}
