import { join } from 'node:path';
import { dataPaths, type Config } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, technicalText, type OperatorError, type Result } from '../core/result.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { forwardedCode } from '../core/state/alertCodes.ts';
import { AuditLog } from '../core/state/auditLog.ts';
import type { CopyPreview, DriveOutcome, DriveRole, DriveTarget, SnapshotOutcome, SnapshotProgress, SnapshotRequest, SnapshotService } from './api.ts';
import { bagNameFor } from './bagFormat.ts';
import { VaultError, writeBag } from './bagWriter.ts';
import type { CatalogSource, CatalogVersion } from './catalog.ts';
import { SqlCatalogSource } from './catalogSource.ts';
import { crashPoint } from './crashPoints.ts';
import { SnapshotLock } from './lock.ts';
import { signerForConfig, type Signer } from './signerChoice.ts';
import { refuseAlteredDrives } from './evidencePreflight.ts';
import { alertNoDriveLeft, closeAlertsOfLevelDrives, dropOut, missingDriveError, raiseDriveFailed } from './driveDropOut.ts';
import { writeDriveFiles } from './driveFiles.ts';
import { scanDrive, type DriveRun } from './driveRun.ts';
import { publicKeyFile } from './minisign.ts';
import { buildBag, type PlannedBag } from './plan.ts';
import { preflight } from './preflight.ts';
import { ProgressTracker } from './progress.ts';
import { bagsToCopy } from './copyPlan.ts';
import { applianceId } from '../core/applianceFacts.ts';
import { failInterruptedWrites, listSnapshots, loadBag, recordPlannedBag, settlePending, snapshotRows, type SnapshotRow } from './store.ts';


export interface SnapshotEngineOptions {
  readonly db: Db;
  readonly config: Config;
  readonly logger: Logger;
  readonly alerts?: AlertLog;
  readonly audit?: AuditLog;
  /** Defaults to reading capture's file_versions table. */
  readonly catalog?: CatalogSource;
  /** Defaults to the config's signer: the signer service (signing:), else the key in dataPaths(config).keys. */
  readonly signer?: Signer;
  /**
   * Drop the drives' cached pages before the read-back so it reads the media (default true).
   * false only for measurements: the read-back then may come from memory.
   */
  readonly readBackFromMedia?: boolean;
  /** Minimum time between progress callbacks (default 200 ms; 0: every step). */
  readonly progressIntervalMs?: number;
  /** Files copied at the same time (each with one read buffer). */
  readonly concurrency?: number;
  readonly now?: () => Date;
}

export interface RecoveryReport {
  /** Bags finished or copied onto drives: "A:000003-...". */
  readonly written: readonly string[];
  readonly perDrive: readonly DriveOutcome[];
}

/**
 * The snapshot engine: writes BagIt bags onto two drives at once (one read of each vault object,
 * two writers), read back and checked, tag files after data, completion marker last.
 * This file plans a run; its parts: preflight.ts (space and limits), bagWriter.ts (one bag onto
 * the drives), driveFiles.ts (key, README, cumulative index), snapshotTables.ts (its rows).
 */
export class SnapshotEngine implements SnapshotService {
  private readonly db: Db;
  private readonly config: Config;
  private readonly logger: Logger;
  private readonly alerts: AlertLog;
  private readonly audit: AuditLog;
  private readonly catalog: CatalogSource;
  /** The appliance key's identity and signer (the secret key itself may be in another process). */
  private readonly key: Signer;
  private readonly vaultDir: string;
  private readonly lock: SnapshotLock;
  private readonly concurrency: number;
  private readonly now: () => Date;
  private readonly progressIntervalMs: number;
  private readonly readBackFromMedia: boolean;
  private busy = false;

  constructor(options: SnapshotEngineOptions) {
    this.db = options.db;
    this.config = options.config;
    this.logger = options.logger;
    this.alerts = options.alerts ?? new AlertLog(options.db, options.logger);
    this.audit = options.audit ?? new AuditLog(options.db, options.logger);
    this.catalog = options.catalog ?? new SqlCatalogSource(options.db);
    this.key = options.signer ?? signerForConfig(options.config);
    this.vaultDir = dataPaths(options.config).vault;
    this.lock = new SnapshotLock(options.config.dataDir);
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.now = options.now ?? (() => new Date());
    this.progressIntervalMs = options.progressIntervalMs ?? 200;
    this.readBackFromMedia = options.readBackFromMedia ?? true;
  }

  isBusy(): boolean {
    return this.busy;
  }

  publicKeyText(): string {
    return publicKeyFile(this.key);
  }

  async run(request: SnapshotRequest, onProgress?: (p: SnapshotProgress) => void): Promise<Result<SnapshotOutcome>> {
    const locked = this.acquire(request.reason);
    if (!locked.ok) return locked;
    try {
      this.audit.record(request.actor, 'snapshot.requested', { reason: request.reason, full: request.full === true, drives: request.drives.map((d) => ({ role: d.role, root: d.root, serial: d.serial })) });
      const result = await this.runLocked(request, onProgress);
      if (!result.ok) return result;
      if (result.value.outcome === undefined) return err(operatorError('snapshot-nothing', 'There is no snapshot yet to bring these drives level with.', 'Start a normal snapshot with both drives.'));
      return ok(result.value.outcome);
    } finally {
      this.release();
    }
  }

  /**
   * Run at daemon start (and by the CLI): finishes any snapshot left incomplete by a crash or power
   * loss, and brings the given drives level, without starting a new snapshot.
   */
  async recover(drives: readonly DriveTarget[], onProgress?: (p: SnapshotProgress) => void): Promise<Result<RecoveryReport>> {
    const locked = this.acquire('recovery');
    if (!locked.ok) return locked;
    try {
      const result = await this.runLocked({ reason: 'recovery', actor: 'system', drives }, onProgress);
      if (!result.ok) return result;
      if (result.value.written.length > 0) logEvent(this.logger, LogEvent.SnapshotRecovered, { written: result.value.written });
      return ok({ written: result.value.written, perDrive: result.value.perDrive });
    } finally {
      this.release();
    }
  }

  /** Snapshot rows for status pages and tests, newest first. */
  listSnapshots(): ReturnType<typeof listSnapshots> {
    return listSnapshots(this.db, this.config.election.name);
  }

  private acquire(purpose: string): Result<true> {
    const busyError = (detail: string) =>
      err(operatorError('snapshot-busy', `A snapshot is already running (${detail}).`, 'Wait until it has finished (see its progress), then try again.'));
    if (this.busy) return busyError('in this process');
    const holder = this.lock.tryAcquire(purpose);
    if (holder !== undefined) return busyError(`process ${holder.pid}, ${holder.purpose}, since ${holder.since}`);
    this.busy = true;
    return ok(true);
  }

  private release(): void {
    this.busy = false;
    this.lock.release();
  }

  private electionDir(drive: DriveTarget): string {
    return join(drive.root, 'ballotsafe', this.config.election.name);
  }
  private snapshotRows(): SnapshotRow[] {
    return snapshotRows(this.db, this.config.election.name);
  }

  private loadBag(row: SnapshotRow): PlannedBag {
    return loadBag(this.db, row);
  }

  async previewCopy(targets: readonly DriveTarget[], full = false): Promise<CopyPreview> {
    const rows = this.snapshotRows();
    const drives = [];
    for (const target of targets) {
      const out = (await missingDriveError(target)) !== undefined;
      drives.push({ drive: target.role, out, present: out ? new Set<string>() : await scanDrive(this.electionDir(target), rows) });
    }
    const toWrite = bagsToCopy(rows, drives, full);
    const bags = rows.filter((r) => toWrite.has(r.bag_name));
    const versions = full ? this.catalog.allVersions() : this.catalog.versionsNotInSnapshots();
    return {
      newFiles: { files: versions.length, bytes: versions.reduce((n, v) => n + v.size, 0) },
      catchUp: {
        files: bags.reduce((n, b) => n + b.files, 0),
        bytes: bags.reduce((n, b) => n + b.bytes, 0),
        snapshots: bags.length,
        drives: [...new Set([...toWrite.values()].flat())].sort(),
      },
    };
  }

  private async runLocked(
    request: SnapshotRequest,
    onProgress?: (p: SnapshotProgress) => void,
  ): Promise<Result<{ outcome: SnapshotOutcome | undefined; written: string[]; perDrive: DriveOutcome[] }>> {
    const startedAt = this.now();
    const roles = new Set(request.drives.map((d) => d.role));
    if (roles.size !== request.drives.length) return err(operatorError('snapshot-drives-invalid', 'Two drives were given the same role.', 'Give one drive as A and one as B.'));
    const newSnapshot = request.reason !== 'recovery' && request.reason !== 'catch-up';
    if (newSnapshot && request.drives.length !== 2) {
      return err(operatorError('snapshot-needs-two-drives', `A snapshot needs two drives (A and B); ${request.drives.length} ${request.drives.length === 1 ? 'was' : 'were'} given.`, 'Connect both drives and start again.'));
    }
    // A drive that is not there drops out (driveDropOut.ts); the other still gets the snapshot.
    const missing = new Map<DriveRole, OperatorError>();
    for (const d of request.drives) {
      const gone = d.unavailable ?? (await missingDriveError(d));
      if (gone !== undefined) missing.set(d.role, gone);
    }

    // Drive writes left 'writing' by a crash or power loss (we hold the lock: none is running).
    failInterruptedWrites(this.db, startedAt.toISOString());

    // --- What each drive lacks, and the new bag ---
    let rows = this.snapshotRows();
    const drives: DriveRun[] = [];
    for (const target of request.drives) {
      const electionDir = this.electionDir(target);
      const gone = missing.get(target.role);
      const run: DriveRun = { target, electionDir, error: undefined, present: gone === undefined ? await scanDrive(electionDir, rows) : new Set(), written: [] };
      if (gone !== undefined) dropOut(run, gone, this.logger);
      drives.push(run);
    }
    await refuseAlteredDrives(
      { db: this.db, election: this.config.election.name, alerts: this.alerts, audit: this.audit, logger: this.logger, concurrency: this.concurrency, readFromMedia: this.readBackFromMedia },
      drives.filter((d) => d.error === undefined),
      rows.map((r) => this.loadBag(r)),
    );
    if (newSnapshot && drives.every((d) => d.error !== undefined)) return err(alertNoDriveLeft(drives, this.alerts));
    this.settlePending(rows, drives);
    rows = this.snapshotRows();

    const toWrite = bagsToCopy(
      rows,
      drives.map((d) => ({ drive: d, present: d.present, out: d.error !== undefined })),
      request.full === true,
    ); // bag name -> drives that need it

    let newVersions: CatalogVersion[] = [];
    if (newSnapshot) newVersions = request.full === true ? this.catalog.allVersions() : this.catalog.versionsNotInSnapshots();

    // --- Preflight: space, file size limits, path lengths, key ---
    const bagsToWrite = rows.filter((r) => toWrite.has(r.bag_name)).map((r) => this.loadBag(r));
    const newItemsSizes = newVersions.map((v) => v.size);
    const pre = await this.preflight(drives.filter((d) => d.error === undefined), bagsToWrite, toWrite, newItemsSizes, newVersions);
    if (!pre.ok) {
      logEvent(this.logger, LogEvent.SnapshotFailed, { code: pre.error.code, error: pre.error.message }, 'warn');
      return pre;
    }
    if (newSnapshot && drives.every((d) => d.error !== undefined)) {
      const none = alertNoDriveLeft(drives, this.alerts);
      logEvent(this.logger, LogEvent.SnapshotFailed, { code: none.code, error: none.message }, 'warn');
      return err(none);
    }

    // --- Plan and persist the new bag before writing anything ---
    let newBag: PlannedBag | undefined;
    if (newSnapshot) {
      const last = rows[rows.length - 1];
      const sequence = (last?.sequence ?? 0) + 1;
      const bagName = bagNameFor(sequence, startedAt);
      const planned = await buildBag(newVersions, {
        sequence,
        bagName,
        startedAt,
        full: request.full === true,
        reason: request.reason,
        electionName: this.config.election.name,
        electionTitle: this.config.election.title,
        applianceId: applianceId(this.db),
        previousRootHash: last?.root_hash ?? null,
        previousBagName: last?.bag_name ?? null,
        key: this.key,
      });
      if (!planned.ok) {
        // Nothing was written yet; scheduled snapshots would otherwise fail unseen.
        this.alerts.raise({ severity: 'critical', code: forwardedCode(planned.error), message: `No snapshot could be signed, so nothing was written to the drives. ${planned.error.message}`, action: planned.error.action });
        logEvent(this.logger, LogEvent.SnapshotFailed, { code: planned.error.code, error: planned.error.message }, 'error');
        return planned;
      }
      const built = planned.value;
      const snapshotId = recordPlannedBag(this.db, { election: this.config.election.name, reason: request.reason, actor: request.actor, previousRootHash: last?.root_hash ?? null }, built);
      crashPoint('planned');
      newBag = { ...built, snapshotId };
      bagsToWrite.push(newBag);
      toWrite.set(bagName, [...drives]);
      logEvent(this.logger, LogEvent.SnapshotStarted, { sequence, bagName, files: built.files, bytes: built.bytes, reason: request.reason, full: request.full === true, rootHash: built.rootHash });
    }

    // --- Write ---
    for (const d of drives) {
      if (toWrite.size > 0 || newSnapshot) await this.writeDriveFiles(d, false);
    }
    const progress = new ProgressTracker(
      bagsToWrite.reduce((n, b) => n + b.files, 0),
      bagsToWrite.reduce((n, b) => n + b.bytes, 0),
      drives,
      this.logger,
      onProgress,
      this.progressIntervalMs,
    );
    const written: string[] = [];
    try {
      for (const bag of bagsToWrite) {
        const targets = (toWrite.get(bag.bagName) ?? []).filter((d) => d.error === undefined);
        if (targets.length === 0) continue;
        const purpose = bag === newBag ? 'snapshot' : rows.find((r) => r.bag_name === bag.bagName)?.state === 'pending' ? 'recovery' : 'catch-up';
        if (purpose === 'catch-up') logEvent(this.logger, LogEvent.SnapshotCatchUp, { bagName: bag.bagName, drives: targets.map((t) => t.target.role) });
        await this.writeBag(bag, targets, purpose, progress);
        for (const d of targets) if (d.error === undefined) {
          d.present.add(bag.bagName);
          d.written.push(bag.bagName);
          written.push(`${d.target.role}:${bag.bagName}`);
        }
        this.settlePending(this.snapshotRows(), drives);
      }
    } catch (e) {
      if (!(e instanceof VaultError)) throw e;
      this.alerts.raise({ severity: 'critical', code: forwardedCode(e.operatorError), message: e.operatorError.message, action: e.operatorError.action, ...(e.operatorError.technician === undefined ? {} : { details: { technician: e.operatorError.technician } }) });
      logEvent(this.logger, LogEvent.SnapshotFailed, { code: e.operatorError.code, error: technicalText(e.operatorError) }, 'error');
      return err(e.operatorError);
    }
    for (const d of drives) if (d.error === undefined) await this.writeDriveFiles(d, true);
    progress.phase('done');

    // --- Report ---
    const perDrive: DriveOutcome[] = drives.map((d) => (d.error === undefined ? { role: d.target.role, state: 'complete' } : { role: d.target.role, state: 'failed', error: d.error }));
    for (const d of drives) {
      if (d.error === undefined || d.error.code === 'drive-evidence-mismatch') continue; // the latter alerted already
      // Recovery at start with a drive not there (in the safe, not plugged in) is no failure: there was
      // no snapshot for it to get, and the custody state already says the drive is missing.
      if (!newSnapshot && d.error.code === 'drive-missing') continue;
      const other = drives.find((o) => o !== d && o.error === undefined);
      logEvent(this.logger, LogEvent.SnapshotDriveDegraded, { role: d.target.role, code: d.error.code, error: d.error.message }, 'warn');
      raiseDriveFailed(this.alerts, d.target, d.error, `${d.error.message}${other ? ` Drive ${other.target.role} holds a complete, verified copy.` : ''}`);
    }
    closeAlertsOfLevelDrives(this.db, this.logger, this.audit, drives, this.snapshotRows().at(-1));
    const finishedAt = this.now().toISOString();
    const latest = this.snapshotRows().at(-1);
    const focus = newBag !== undefined ? this.snapshotRows().find((r) => r.id === newBag.snapshotId) : latest;
    const copiedBags = bagsToWrite.filter((b) => written.some((w) => w.endsWith(`:${b.bagName}`)));
    const copied = { files: copiedBags.reduce((n, b) => n + b.files, 0), bytes: copiedBags.reduce((n, b) => n + b.bytes, 0), snapshots: copiedBags.length };
    let outcome: SnapshotOutcome | undefined;
    if (focus !== undefined) {
      outcome = {
        sequence: focus.sequence,
        rootHash: focus.root_hash,
        bagName: focus.bag_name,
        files: focus.files,
        bytes: focus.bytes,
        startedAt: focus.started_at,
        finishedAt,
        copied,
        perDrive: drives.map((d) => (d.present.has(focus.bag_name) && d.error === undefined ? { role: d.target.role, state: 'complete' as const } : { role: d.target.role, state: 'failed' as const, error: d.error ?? operatorError('drive-behind', `Drive ${d.target.role} does not hold ${focus.bag_name}.`, 'Start a snapshot with this drive connected.') })),
      };
    }
    if (newBag !== undefined && drives.every((d) => d.error !== undefined)) {
      const messages = drives.map((d) => d.error?.message ?? '').join(' ');
      logEvent(this.logger, LogEvent.SnapshotFailed, { bagName: newBag.bagName, error: messages }, 'error');
      return err(operatorError('snapshot-failed', `Snapshot ${newBag.bagName} could not be written to either drive. ${messages}`, 'Fix or replace the drives and start again; the snapshot is finished then, nothing is lost.'));
    }
    if (outcome !== undefined && newBag !== undefined) {
      logEvent(this.logger, LogEvent.SnapshotFinished, { sequence: outcome.sequence, bagName: outcome.bagName, rootHash: outcome.rootHash, files: outcome.files, bytes: outcome.bytes, perDrive: perDrive.map((p) => `${p.role}:${p.state}`) });
      this.audit.record(request.actor, 'snapshot.finished', { bagName: outcome.bagName, rootHash: outcome.rootHash, perDrive: perDrive.map((p) => `${p.role}:${p.state}`) });
    }
    return ok({ outcome, written, perDrive });
  }

  private settlePending(rows: readonly SnapshotRow[], drives: readonly DriveRun[]): void {
    settlePending(this.db, rows, drives, this.now);
  }

  private preflight(
    drives: readonly DriveRun[],
    existing: readonly PlannedBag[],
    toWrite: ReadonlyMap<string, readonly DriveRun[]>,
    newSizes: readonly number[],
    newVersions: readonly CatalogVersion[],
  ): Promise<Result<true>> {
    return preflight({ key: this.key, electionName: this.config.election.name, logger: this.logger }, drives, existing, toWrite, newSizes, newVersions);
  }

  private writeDriveFiles(d: DriveRun, index: boolean): Promise<void> {
    return writeDriveFiles({ db: this.db, electionName: this.config.election.name, key: this.key }, d, index);
  }

  private writeBag(bag: PlannedBag, targets: readonly DriveRun[], purpose: 'snapshot' | 'catch-up' | 'recovery', progress: ProgressTracker): Promise<void> {
    const ctx = { db: this.db, logger: this.logger, vaultDir: this.vaultDir, concurrency: this.concurrency, readBackFromMedia: this.readBackFromMedia, now: this.now };
    return writeBag(ctx, bag, targets, purpose, progress);
  }
}

export type { DriveRole };
