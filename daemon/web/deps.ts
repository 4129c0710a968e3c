import type { ChangeFeed } from '../capture/changeFeed.ts';
import type { Config } from '../core/config.ts';
import type { Logger } from '../core/log/logger.ts';
import type { Result } from '../core/result.ts';
import type { DriveRole, DriveTarget, SnapshotReason } from '../snapshot/api.ts';
import type { AlertLog } from '../core/state/alerts.ts';
import type { AuditLog } from '../core/state/auditLog.ts';
import type { Accounts } from './accounts.ts';
import type { SnapshotJobs } from '../custody/snapshotJobs.ts';
import type { CustodyRecord } from '../drives/store.ts';
import type { HandAssignment } from '../preaudit/service.ts';
import type { PreauditProvider } from '../preaudit/webApi.ts';
import type { CustodyState, StateOptions } from '../custody/state.ts';
import type { CopyPreview } from '../snapshot/api.ts';
import type { PublicationProvider } from '../publish/webPublication.ts';
import type { SticksProvider } from '../intake/webProvider.ts';
import type { EnrollmentProvider } from './enrollment.ts';

export type { HandAssignment };
// The pre-audit's web types live beside its provider (preaudit/webApi.ts), so the provider imports nothing from web/.
export type {
  DisagreementDetail,
  DisagreementSummary,
  LearnedStyleSummary,
  PreauditProvider,
  PreauditStatus,
  StyleMappingForm,
  TargetOverlay,
} from '../preaudit/webApi.ts';

/**
 * Everything the web layer reads or asks for, as narrow functions. The web layer never does the
 * work itself: capture, snapshot, drives, import and pre-audit each provide one of these.
 * Providers marked optional may be left out while that part is not installed; its page then says so.
 * (Publishing and export sticks are always installed: createWebDeps builds them from the database.)
 */
export interface WebDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** Users and sessions (daemon/web/accounts.ts over the `users`/`sessions` tables). */
  readonly accounts: Accounts;
  /** Catalog counts and image objects (daemon/web/catalogReader.ts over `file_versions`). */
  readonly catalog: CatalogProvider;
  /**
   * The daemon's one change feed (capture/changeFeed.ts): the live updates take "has the catalog changed?"
   * from its last look instead of asking the catalog themselves.
   */
  readonly changes: CatalogChanges;
  /** Whether each watched root is reachable (the watcher's view when capture provides it). */
  readonly roots: RootStatusProvider;
  readonly alerts: Pick<AlertLog, 'open' | 'all' | 'acknowledge'>;
  readonly audit: Pick<AuditLog, 'record' | 'recent'>;
  /**
   * The snapshot engine (any daemon/snapshot/api.ts SnapshotService) wrapped once in SnapshotJobs;
   * the custody workflow starts every run through it (button, CLI, schedules, demo), so all show in the UI.
   */
  readonly snapshot: SnapshotJobs;
  readonly snapshotHistory: SnapshotHistoryProvider;
  readonly drives?: DrivesProvider;
  readonly custody?: CustodyProvider;
  readonly handoff?: HandoffProvider;
  /**
   * The one drive-and-custody state (daemon/custody): every verdict a person sees comes from it.
   * Left out only where drive management is not installed (then nothing is called safe).
   */
  readonly custodyState?: (format: StateOptions) => Promise<CustodyState>;
  /** What End-of-day would write now (new files and catch-up), counted by the rule the run plans with; null when it would be refused. */
  readonly snapshotPreview?: () => Promise<CopyPreview | null>;
  /** Enrolling a drive from the Drives page (the same logic as `ballotsafe enroll`). */
  readonly enrollment?: EnrollmentProvider;
  readonly importChecks?: ImportChecksProvider;
  readonly preaudit?: PreauditProvider;
  /** A snapshot's publication bundle (signed statement, manifests, verification page) as a ZIP. */
  readonly publication: PublicationProvider;
  /** Export sticks carried over from an air-gapped EMS, and the custody record of each intake. */
  readonly sticks: SticksProvider;
  /** Test clock; defaults to the system clock. */
  readonly now?: () => Date;
}

// ---- capture / catalog -------------------------------------------------------------------

/** What the pages need of the change feed: its marks as of its last look. */
export type CatalogChanges = Pick<ChangeFeed, 'current'>;

export interface RootCounts {
  readonly label: string;
  readonly filesToday: number;
  readonly filesTotal: number;
  readonly bytesTotal: number;
  /** ISO time of the newest captured_at in this root, null when nothing captured yet. */
  readonly lastCaptureAt: string | null;
}

export interface CatalogSummary {
  readonly filesToday: number;
  readonly filesTotal: number;
  readonly bytesTotal: number;
  readonly lastCaptureAt: string | null;
  /** "root:rel/path" of the newest capture. */
  readonly lastCapturedFile: string | null;
  readonly perRoot: readonly RootCounts[];
}

/** A catalog object the image route may serve: chosen by numeric id only, path from the vault layout. */
export interface CatalogObject {
  readonly id: number;
  readonly rootLabel: string;
  readonly relPath: string;
  readonly kind: string;
  readonly size: number;
  /** Absolute path of the vault object (vaultObjectPath), never built from the request. */
  readonly vaultPath: string;
}

export interface CatalogProvider {
  /** Counts; "today" means captured at or after `since` (local midnight). */
  summary(since: Date): CatalogSummary;
  /** Captured versions after `afterIso` (e.g. the last snapshot's start); what the next snapshot will write. */
  capturedSince(afterIso: string | null): { files: number; bytes: number };
  object(id: number): CatalogObject | undefined;
}

export interface RootStatus {
  readonly label: string;
  readonly path: string;
  readonly state: 'ok' | 'missing' | 'unknown';
  /** Operator text when missing, e.g. "The share is not mounted. Check the network cable to the EMS." */
  readonly message?: string;
}

export interface RootStatusProvider {
  roots(): readonly RootStatus[];
}

// ---- snapshots ----------------------------------------------------------------------------

/** One snapshot as the engine records it (SnapshotEngine.listSnapshots() rows fit as they are). */
export interface SnapshotRecord {
  readonly sequence: number;
  readonly bagName: string;
  /** SHA-256 of the bag's tagmanifest-sha256.txt. */
  readonly rootHash: string;
  readonly files: number;
  readonly bytes: number;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  /** 'complete': on both drives; 'degraded': on one drive only; 'pending': not finished. */
  readonly state: string;
}

export interface SnapshotHistoryProvider {
  /** Newest first. */
  list(limit: number): readonly SnapshotRecord[];
}

// ---- drives -------------------------------------------------------------------------------

export interface DriveStatus {
  readonly role: DriveRole;
  readonly present: boolean;
  /** True when this drive is one of the appliance's enrolled pair. */
  readonly enrolled: boolean;
  readonly label?: string;
  readonly serial?: string;
  readonly mountPoint?: string;
  readonly freeBytes: number | null;
  readonly totalBytes: number | null;
  readonly lastSnapshotSequence: number | null;
  readonly lastSnapshotAt: string | null;
  readonly lastVerifiedAt: string | null;
  /** null: never verified. */
  readonly lastVerifyOk: boolean | null;
  /** Whether the eject button makes sense now (present, mounted, no snapshot running). */
  readonly ejectable: boolean;
  /** Operator text, e.g. "Not enrolled yet: press Enroll a drive". */
  readonly message?: string;
  /** Why eject is refused now, when it is; `confirmable`: allowed after the operator confirms. */
  readonly ejectRefusal?: { readonly reason: string; readonly next: string; readonly confirmable: boolean };
}

export interface DrivesProvider {
  list(): Promise<readonly DriveStatus[]>;
  /** The two drives a snapshot should write to now; a failure says which drive is missing and what to do. */
  targets(): Promise<Result<readonly DriveTarget[]>>;
  /**
   * Starts a snapshot through the custody workflow (its checks, its one busy guard, its audit of a
   * refusal); answers once the run has started.
   */
  startSnapshot(request: { readonly reason: SnapshotReason; readonly actor: string }): Promise<Result<{ readonly startedAt: string }>>;
  /** Flushes and unmounts/powers off the drive. `actor` is the user name (for the drives' own records). */
  eject(role: DriveRole, actor: string, confirmed?: boolean): Promise<Result<{ message: string }>>;
}

// ---- custody and hand-off ------------------------------------------------------------------

/** A hand-off of a snapshot's two drives: the drive service's own record. */
export type { CustodyRecord };

export interface CustodyProvider {
  /** Newest first. */
  list(limit: number): readonly CustodyRecord[];
}

export interface HandoffRequest {
  readonly sequence: number;
  /** The logged-in operator's name. */
  readonly operator: string;
  /** Required (the form refuses an empty one; so does the workflow). */
  readonly witness: string;
  readonly destinations: Readonly<Record<DriveRole, string>>;
  /** Seal or evidence-bag number per drive, when sealed. */
  readonly seals?: Readonly<Partial<Record<DriveRole, string>>>;
}

export interface HandoffProvider {
  /** Ejects both drives and writes the custody record; refuses a snapshot not verified on both drives. */
  handOff(request: HandoffRequest): Promise<Result<{ custodyId: number }>>;
  /** The printable hand-off sheet of a custody record: a complete HTML document without scripts. */
  sheetHtml(custodyId: number): string | undefined;
}

// ---- import checks and pre-audit ----------------------------------------------------------

export interface Phase1Check {
  readonly id: string;
  readonly name: string;
  readonly state: 'pass' | 'warn' | 'fail' | 'running' | 'not-run';
  readonly summary: string;
  /** A few lines of detail (first problems found). */
  readonly details: readonly string[];
  /** The duplicates check: each ballot found scanned twice, the two scans to show side by side. */
  readonly sameBallot?: readonly { readonly first: BallotScan; readonly second: BallotScan }[];
}

/** One scan of a ballot: what it is in words ("tabulator 1, batch 2, ballot 9"), and its picture (catalog file version, page of a multi-page TIFF). */
export interface BallotScan {
  readonly words: string;
  readonly imageId: number;
  readonly page: number;
  /** For a sheet inside a captured export zip (imageId is the zip's): the member to show. */
  readonly member?: string;
}

export interface ImportChecksProvider {
  list(): readonly Phase1Check[];
}
