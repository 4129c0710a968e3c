import { randomUUID } from 'node:crypto';
import { constants, existsSync, readFileSync } from 'node:fs';
import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import { dataPaths, type Config } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { AuditLog } from '../core/state/auditLog.ts';
import type { CopyPreview, DriveOutcome, DriveRole, DriveTarget, SnapshotOutcome, SnapshotProgress, SnapshotRequest, SnapshotService } from './api.ts';
import {
  bagNameFor,
  bagNamePattern,
  completeMarkerName,
  cumulativeIndexName,
  driveReadme,
  driveReadmeName,
  filesTsvName,
  parseFilesTsv,
  type FileRecord,
} from './bagFormat.ts';
import { SqlCatalogSource, type CatalogSource, type CatalogVersion } from './catalog.ts';
import { crashPoint } from './crashPoints.ts';
import { driveError, evictFromCache, fat32MaxFileSize, fileSystemOf, freeSpace, fsyncPath, hashFile, isFatFileSystem, syncFilesystem, writeFileAtomic, writeFileDurable } from './driveIo.ts';
import { SnapshotLock } from './lock.ts';
import { signerForConfig, type Signer } from './signerChoice.ts';
import { cumulativeFiles } from './cumulativeFiles.ts';
import { readBounded } from './bagReader.ts';
import { refuseAlteredDrives } from './evidencePreflight.ts';
import { alertNoDriveLeft, closeAlertsOfLevelDrives, dropOut, missingDriveError, raiseDriveFailed, readOnlyDriveError, tooSmallError } from './driveDropOut.ts';
import { keyIdHex, publicKeyFile, publicKeyFileName } from './minisign.ts';
import { buildBag, markerText, tagWriteOrder, type PlannedBag, type PlannedItem } from './plan.ts';
import { ProgressTracker } from './progress.ts';
import { bagsToCopy } from './copyPlan.ts';

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

/** Raised when the appliance's own vault cannot supply an object: not a drive problem. */
class VaultError extends Error {
  constructor(readonly operatorError: OperatorError) {
    super(operatorError.message);
  }
}

const tagFilesSchema = z.record(z.string(), z.string());

interface SnapshotRow {
  id: number;
  sequence: number;
  bag_name: string;
  full: number;
  state: 'pending' | 'complete' | 'degraded';
  started_at: string;
  finished_at: string | null;
  files: number;
  bytes: number;
  root_hash: string;
  tag_files_json: string;
}

interface DriveRun {
  readonly target: DriveTarget;
  readonly electionDir: string;
  /** Set at the first failure; the drive takes no further part in this run. */
  error: OperatorError | undefined;
  /** Complete bags on the drive (by bag name) with a marker naming the expected root hash. */
  readonly present: Set<string>;
  readonly written: string[];
}

const gib = 1024 ** 3;
export function humanBytes(n: number): string {
  if (n >= gib) return `${(n / gib).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/**
 * The snapshot engine: writes BagIt bags onto two drives at once (one read of each vault object,
 * two writers), read back and checked, tag files after data, completion marker last.
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
  listSnapshots(): Array<{ sequence: number; bagName: string; state: string; rootHash: string; files: number; bytes: number; startedAt: string; finishedAt: string | null }> {
    return this.db
      .prepare<[string], { sequence: number; bagName: string; state: string; rootHash: string; files: number; bytes: number; startedAt: string; finishedAt: string | null }>(
        `SELECT sequence, bag_name AS bagName, state, root_hash AS rootHash, files, bytes, started_at AS startedAt, finished_at AS finishedAt
         FROM snapshots WHERE election = ? ORDER BY sequence DESC`,
      )
      .all(this.config.election.name);
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
    return this.db.prepare<[string], SnapshotRow>('SELECT * FROM snapshots WHERE election = ? ORDER BY sequence').all(this.config.election.name);
  }

  private loadBag(row: SnapshotRow): PlannedBag {
    const items = this.db
      .prepare<[number], PlannedItem>('SELECT file_version_id AS fileVersionId, payload_path AS payloadPath, sha256, size FROM snapshot_items WHERE snapshot_id = ? ORDER BY payload_path')
      .all(row.id);
    return {
      snapshotId: row.id,
      sequence: row.sequence,
      bagName: row.bag_name,
      full: row.full === 1,
      items,
      tagFiles: tagFilesSchema.parse(JSON.parse(row.tag_files_json)),
      rootHash: row.root_hash,
      files: row.files,
      bytes: row.bytes,
      startedAt: row.started_at,
    };
  }

  private applianceId(): string {
    const row = this.db.prepare<[], { value: string }>("SELECT value FROM appliance_facts WHERE key = 'appliance_id'").get();
    if (row !== undefined) return row.value;
    this.db.prepare("INSERT OR IGNORE INTO appliance_facts (key, value) VALUES ('appliance_id', ?)").run(randomUUID());
    return this.db.prepare<[], { value: string }>("SELECT value FROM appliance_facts WHERE key = 'appliance_id'").get()?.value ?? 'unknown';
  }

  async previewCopy(targets: readonly DriveTarget[], full = false): Promise<CopyPreview> {
    const rows = this.snapshotRows();
    const drives = [];
    for (const target of targets) {
      const out = (await missingDriveError(target)) !== undefined;
      drives.push({ drive: target.role, out, present: out ? new Set<string>() : await this.scanDrive(this.electionDir(target), rows) });
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

  /** Complete bags on a drive: a marker whose root hash matches the one recorded for that bag. */
  private async scanDrive(electionDir: string, rows: readonly SnapshotRow[]): Promise<Set<string>> {
    const present = new Set<string>();
    let names: string[];
    try {
      names = await readdir(join(electionDir, 'snapshots'));
    } catch {
      return present;
    }
    const byName = new Map(rows.map((r) => [r.bag_name, r]));
    for (const name of names) {
      const row = byName.get(name);
      if (row === undefined || !bagNamePattern.test(name)) continue;
      // Bounded, no links, no FIFOs: the drive may be hostile (the evidence check comes next).
      const marker = await readBounded(join(electionDir, 'snapshots', name, completeMarkerName), 64 * 1024);
      if (marker.ok && marker.value.toString('utf8') === markerText({ bagName: row.bag_name, rootHash: row.root_hash, sequence: row.sequence })) present.add(name);
    }
    return present;
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
    this.db
      .prepare(`UPDATE snapshot_drive_writes SET state = 'failed', error_code = 'interrupted', error_message = 'The appliance stopped while writing (crash or power loss); finished by recovery.', finished_at = ? WHERE state = 'writing'`)
      .run(startedAt.toISOString());

    // --- What each drive lacks, and the new bag ---
    let rows = this.snapshotRows();
    const drives: DriveRun[] = [];
    for (const target of request.drives) {
      const electionDir = this.electionDir(target);
      const gone = missing.get(target.role);
      const run: DriveRun = { target, electionDir, error: undefined, present: gone === undefined ? await this.scanDrive(electionDir, rows) : new Set(), written: [] };
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
      logEvent(this.logger, LogEvent.SnapshotFailed, { code: pre.error.code, msg: pre.error.message }, 'warn');
      return pre;
    }
    if (newSnapshot && drives.every((d) => d.error !== undefined)) {
      const none = alertNoDriveLeft(drives, this.alerts);
      logEvent(this.logger, LogEvent.SnapshotFailed, { code: none.code, msg: none.message }, 'warn');
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
        applianceId: this.applianceId(),
        previousRootHash: last?.root_hash ?? null,
        previousBagName: last?.bag_name ?? null,
        key: this.key,
      });
      if (!planned.ok) {
        // Nothing was written yet; scheduled snapshots would otherwise fail unseen.
        this.alerts.raise({ severity: 'critical', code: planned.error.code, message: `No snapshot could be signed, so nothing was written to the drives. ${planned.error.message}`, action: planned.error.action });
        logEvent(this.logger, LogEvent.SnapshotFailed, { code: planned.error.code, msg: planned.error.message }, 'error');
        return planned;
      }
      const built = planned.value;
      const snapshotId = this.db.transaction(() => {
        const info = this.db
          .prepare(
            `INSERT INTO snapshots (election, sequence, bag_name, reason, actor, full, state, started_at, files, bytes, root_hash, previous_root_hash, tag_files_json)
             VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)`,
          )
          .run(this.config.election.name, sequence, bagName, request.reason, request.actor, request.full === true ? 1 : 0, built.startedAt, built.files, built.bytes, built.rootHash, last?.root_hash ?? null, JSON.stringify(built.tagFiles));
        const id = Number(info.lastInsertRowid);
        const ins = this.db.prepare('INSERT INTO snapshot_items (snapshot_id, file_version_id, payload_path, sha256, size) VALUES (?, ?, ?, ?, ?)');
        for (const it of built.items) ins.run(id, it.fileVersionId, it.payloadPath, it.sha256, it.size);
        return id;
      })();
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
      this.alerts.raise({ severity: 'critical', code: e.operatorError.code, message: e.operatorError.message, action: e.operatorError.action });
      logEvent(this.logger, LogEvent.SnapshotFailed, { code: e.operatorError.code, msg: e.operatorError.message }, 'error');
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
      logEvent(this.logger, LogEvent.SnapshotDriveDegraded, { role: d.target.role, code: d.error.code, msg: d.error.message }, 'warn');
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
      logEvent(this.logger, LogEvent.SnapshotFailed, { bagName: newBag.bagName, msg: messages }, 'error');
      return err(operatorError('snapshot-failed', `Snapshot ${newBag.bagName} could not be written to either drive. ${messages}`, 'Fix or replace the drives and start again; the snapshot is finished then, nothing is lost.'));
    }
    if (outcome !== undefined && newBag !== undefined) {
      logEvent(this.logger, LogEvent.SnapshotFinished, { sequence: outcome.sequence, bagName: outcome.bagName, rootHash: outcome.rootHash, files: outcome.files, bytes: outcome.bytes, perDrive: perDrive.map((p) => `${p.role}:${p.state}`) });
      this.audit.record(request.actor, 'snapshot.finished', { bagName: outcome.bagName, rootHash: outcome.rootHash, perDrive: perDrive.map((p) => `${p.role}:${p.state}`) });
    }
    return ok({ outcome, written, perDrive });
  }

  /** Pending snapshots become complete/degraded once their marker is on one or more drives. */
  private settlePending(rows: readonly SnapshotRow[], drives: readonly DriveRun[]): void {
    for (const r of rows) {
      if (r.state === 'complete') continue;
      const holders = drives.filter((d) => d.present.has(r.bag_name)).length;
      if (holders === 0) continue;
      const state = holders >= 2 ? 'complete' : 'degraded';
      if (state === r.state) continue;
      this.db.prepare('UPDATE snapshots SET state = ?, finished_at = coalesce(finished_at, ?) WHERE id = ?').run(state, this.now().toISOString(), r.id);
      crashPoint('settled');
    }
  }

  private async preflight(
    drives: readonly DriveRun[],
    existing: readonly PlannedBag[],
    toWrite: ReadonlyMap<string, readonly DriveRun[]>,
    newSizes: readonly number[],
    newVersions: readonly CatalogVersion[],
  ): Promise<Result<true>> {
    // File-system limits first: a FAT32 drive cannot take a 4 GiB file whatever its free space.
    for (const d of drives) {
      const fs = fileSystemOf(d.target.root);
      if (fs === undefined || !isFatFileSystem(fs.fsType)) continue;
      const sizes = [...newSizes, ...existing.filter((b) => (toWrite.get(b.bagName) ?? []).includes(d)).flatMap((b) => b.items.map((it) => it.size))];
      const largest = Math.max(0, ...sizes);
      if (largest > fat32MaxFileSize) {
        const big = newVersions.find((v) => v.size > fat32MaxFileSize);
        return err(operatorError('drive-fat32-file-too-large', `Drive ${d.target.role} is FAT32, which cannot hold files of 4 GiB or more; ${big ? `${big.rootLabel}/${big.relPath} is ${humanBytes(big.size)}` : `a file is ${humanBytes(largest)}`}.`, 'Use drives formatted as exFAT for this election.'));
      }
    }
    for (const d of drives) {
      const pub = join(d.electionDir, publicKeyFileName);
      if (existsSync(pub) && readFileSync(pub, 'utf8') !== publicKeyFile(this.key)) {
        dropOut(d, operatorError('drive-other-appliance', `Drive ${d.target.role} holds snapshots of "${this.config.election.name}" signed by another appliance key, so it gets nothing from this snapshot.`, `Use a drive ${d.target.role} prepared for this appliance (key ${keyIdHex(this.key.keyId)}), or an empty one.`), this.logger);
        continue;
      }
      let space: { freeBytes: number | null; blockSize: number };
      try {
        await mkdir(join(d.electionDir, 'snapshots'), { recursive: true });
        const readOnly = await readOnlyDriveError(d.target.role, d.electionDir);
        if (readOnly !== undefined) {
          dropOut(d, readOnly, this.logger);
          continue;
        }
        space = await freeSpace(d.target.root);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        const readOnly = code === 'EROFS' || code === 'EACCES' || code === 'EPERM' ? await readOnlyDriveError(d.target.role, d.target.root) : undefined;
        dropOut(d, readOnly ?? driveError(d.target.role, d.target.root, e), this.logger);
        continue;
      }
      const bs = Math.max(512, space.blockSize);
      const round = (n: number) => Math.ceil(n / bs) * bs + bs;
      let need = 1024 * 1024;
      let largest = 0;
      let longest = '';
      for (const bag of existing) {
        if (!(toWrite.get(bag.bagName) ?? []).includes(d)) continue;
        for (const it of bag.items) {
          need += round(it.size);
          largest = Math.max(largest, it.size);
          if (it.payloadPath.length > longest.length) longest = it.payloadPath;
        }
        for (const t of Object.values(bag.tagFiles)) need += round(Buffer.byteLength(t));
      }
      for (const s of newSizes) {
        need += round(s);
        largest = Math.max(largest, s);
      }
      need += round(newVersions.length * 200) * 3; // manifest, files list, index growth
      if (space.freeBytes === null) {
        logEvent(this.logger, LogEvent.SnapshotProgress, { phase: 'preflight', role: d.target.role, msg: `drive ${d.target.role} does not report its free space; writing without the space check (a full drive is then handled as a failed drive)` }, 'warn');
      } else if (need > space.freeBytes) {
        dropOut(d, tooSmallError(d.target.role, space.freeBytes, need), this.logger);
        continue;
      }
      const prefix = Buffer.byteLength(join(d.electionDir, 'snapshots', '000000-00000000T000000Z')) + 1;
      for (const v of newVersions) if (Buffer.byteLength(v.relPath) * 3 + prefix + 64 > 4000) longest = `${v.rootLabel}/${v.relPath}`;
      if (longest !== '' && Buffer.byteLength(longest) + prefix > 4000) {
        return err(operatorError('drive-path-too-long', `The path ${longest} is too long to store on drive ${d.target.role}.`, 'Shorten the folder names of the export, or mount the drive at a shorter path.'));
      }
    }
    return ok(true);
  }

  /** Public key and README (before bags) or the cumulative index (after): atomic replace. */
  private async writeDriveFiles(d: DriveRun, index: boolean): Promise<void> {
    if (d.error !== undefined) return;
    try {
      await mkdir(join(d.electionDir, 'snapshots'), { recursive: true });
      if (!index) {
        const pub = publicKeyFile(this.key);
        const readme = driveReadme(this.config.election.name, keyIdHex(this.key.keyId));
        const pubPath = join(d.electionDir, publicKeyFileName);
        if (!existsSync(pubPath) || readFileSync(pubPath, 'utf8') !== pub) await writeFileAtomic(pubPath, pub);
        for (const p of [join(d.electionDir, driveReadmeName), join(d.target.root, 'ballotsafe', driveReadmeName)]) {
          if (!existsSync(p) || readFileSync(p, 'utf8') !== readme) await writeFileAtomic(p, readme);
        }
        return;
      }
      const rows = this.snapshotRows().filter((r) => d.present.has(r.bag_name));
      const bags = rows.map((r) => {
        const tsv = parseFilesTsv(this.loadBag(r).tagFiles[filesTsvName] ?? '');
        const records: FileRecord[] = typeof tsv === 'string' ? [] : tsv;
        return { sequence: r.sequence, bagName: r.bag_name, rootHash: r.root_hash, records };
      });
      const files = await cumulativeFiles(this.config.election.name, bags, (c, trusted) => this.key.sign(c, trusted));
      if (!files.ok) {
        d.error = files.error;
        return;
      }
      for (const [name, content] of files.value) {
        await writeFileAtomic(join(d.electionDir, name), content);
        if (name === cumulativeIndexName) crashPoint('index');
      }
      await syncFilesystem(d.electionDir);
    } catch (e) {
      d.error = driveError(d.target.role, d.target.root, e);
    }
  }

  /** Writes one bag to the given drives: data (one read, n writers), sync, read-back, tag files, marker. */
  private async writeBag(bag: PlannedBag, targets: readonly DriveRun[], purpose: 'snapshot' | 'catch-up' | 'recovery', progress: ProgressTracker): Promise<void> {
    const startedAt = this.now().toISOString();
    const rowIds = new Map<DriveRun, number>();
    for (const d of targets) {
      const info = this.db
        .prepare(`INSERT INTO snapshot_drive_writes (snapshot_id, role, drive_root, serial, uuid, label, purpose, state, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'writing', ?)`)
        .run(bag.snapshotId, d.target.role, d.target.root, d.target.serial ?? null, d.target.uuid ?? null, d.target.label ?? null, purpose, startedAt);
      rowIds.set(d, Number(info.lastInsertRowid));
    }
    const bagDir = (d: DriveRun) => join(d.electionDir, 'snapshots', bag.bagName);
    const fail = (d: DriveRun, e: unknown) => {
      if (d.error !== undefined) return;
      d.error = e instanceof DriveFailure ? e.error : driveError(d.target.role, d.target.root, e);
      logEvent(this.logger, LogEvent.SnapshotDriveDegraded, { role: d.target.role, bagName: bag.bagName, code: d.error.code, msg: d.error.message }, 'warn');
    };
    const live = () => targets.filter((d) => d.error === undefined);
    const forEachLive = async (fn: (d: DriveRun) => Promise<void>) => {
      await Promise.all(live().map((d) => fn(d).catch((e: unknown) => fail(d, e))));
    };

    // Directories. A leftover marker from an earlier, different attempt cannot exist (the marker
    // is only written once everything matches), so existing files are simply overwritten.
    const dirs = [...new Set(bag.items.map((it) => dirname(it.payloadPath)))].sort();
    await forEachLive(async (d) => {
      await mkdir(join(bagDir(d), 'data'), { recursive: true });
      for (const rel of dirs) await mkdir(join(bagDir(d), rel), { recursive: true });
    });
    crashPoint('dirs');

    // Data: each vault object read once, each chunk written to every live drive before the next read.
    progress.phase('writing');
    let next = 0;
    const worker = async () => {
      const buffer = Buffer.allocUnsafe(1 << 20);
      for (;;) {
        const i = next++;
        const item = bag.items[i];
        if (item === undefined || live().length === 0) return;
        await this.copyItem(bag, item, live(), bagDir, fail, buffer, progress);
        crashPoint('file');
      }
    };
    await Promise.all(Array.from({ length: this.concurrency }, worker));

    // Per drive, without waiting for the other: fsync everything, then read every copy back from
    // the drive (page cache dropped first) and compare with the catalog hash.
    progress.phase('syncing');
    await forEachLive(async (d) => {
      await syncFilesystem(bagDir(d));
      // Every file, then directories deepest first (FUSE drives get each fsync; syncfs may not reach them).
      let i = 0;
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          for (let item = bag.items[i++]; item !== undefined; item = bag.items[i++]) await fsyncPath(join(bagDir(d), item.payloadPath));
        }),
      );
      const all = new Set<string>(['data', '.']);
      for (const rel of dirs) for (let p = rel; p !== '.' && p !== ''; p = dirname(p)) all.add(p);
      const ordered = [...all].sort((a, b) => b.split('/').length - a.split('/').length);
      for (const rel of ordered) await fsyncPath(join(bagDir(d), rel));
      await syncFilesystem(bagDir(d));
      crashPoint('synced');
      if (progress.currentPhase() === 'syncing') progress.phase('verifying');
      if (this.readBackFromMedia) await evictFromCache(bagDir(d));
      let idx = 0;
      const buffer = Array.from({ length: this.concurrency }, () => Buffer.allocUnsafe(1 << 20));
      await Promise.all(
        buffer.map(async (buf) => {
          for (;;) {
            const item = bag.items[idx++];
            if (item === undefined || d.error !== undefined) return;
            const got = await hashFile(join(bagDir(d), item.payloadPath), buf);
            if (got.sha256 !== item.sha256 || got.size !== item.size) {
              throw new DriveFailure(operatorError('drive-readback-mismatch', `Drive ${d.target.role}: ${item.payloadPath} in ${bag.bagName} read back different from what was written (${got.size} bytes, sha256 ${got.sha256}; expected ${item.size} bytes, ${item.sha256}).`, `Replace drive ${d.target.role}; it does not keep what is written to it.`));
            }
            progress.verified(d, 1, item.size);
          }
        }),
      );
      crashPoint('readback');
      // Tag files (manifests, signature) after the data, then the completion marker last.
      if (progress.currentPhase() === 'verifying') progress.phase('manifests');
      for (const name of tagWriteOrder) {
        await writeFileDurable(join(bagDir(d), name), bag.tagFiles[name] ?? '');
        crashPoint('tag');
      }
      await fsyncPath(bagDir(d));
      await syncFilesystem(bagDir(d));
      // Atomic: a crash while the other drive's chain runs must not leave a half marker (read as tampering).
      await writeFileAtomic(join(bagDir(d), completeMarkerName), markerText(bag));
      await fsyncPath(bagDir(d));
      await syncFilesystem(bagDir(d));
      crashPoint('marker');
    });

    const finishedAt = this.now().toISOString();
    for (const d of targets) {
      this.db
        .prepare('UPDATE snapshot_drive_writes SET state = ?, error_code = ?, error_message = ?, finished_at = ? WHERE id = ?')
        .run(d.error === undefined ? 'complete' : 'failed', d.error?.code ?? null, d.error?.message ?? null, finishedAt, rowIds.get(d) ?? -1);
    }
  }

  private async copyItem(
    bag: PlannedBag,
    item: PlannedItem,
    drives: readonly DriveRun[],
    bagDir: (d: DriveRun) => string,
    fail: (d: DriveRun, e: unknown) => void,
    buffer: Buffer,
    progress: ProgressTracker,
  ): Promise<void> {
    let src: FileHandle;
    try {
      src = await open(vaultObjectPath(this.vaultDir, item.sha256), 'r');
    } catch (e) {
      throw new VaultError(operatorError('vault-object-missing', `The appliance's vault has lost the captured file for ${item.payloadPath} (sha256 ${item.sha256}): ${(e as Error).message}`, 'Call technical support: the appliance disk may be failing. The drives already written stay valid.'));
    }
    const dests = new Map<DriveRun, FileHandle>();
    try {
      await Promise.all(
        drives.map(async (d) => {
          try {
            // O_NOFOLLOW: a link planted on a drive must not redirect the write (the evidence check refuses links too).
            dests.set(d, await open(join(bagDir(d), item.payloadPath), constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o666));
          } catch (e) {
            fail(d, e);
          }
        }),
      );
      let pos = 0;
      for (;;) {
        let bytesRead: number;
        try {
          ({ bytesRead } = await src.read(buffer, 0, buffer.length, pos));
        } catch (e) {
          throw new VaultError(operatorError('vault-read-error', `Reading the vault object for ${item.payloadPath} failed: ${(e as Error).message}`, 'Call technical support: the appliance disk may be failing.'));
        }
        if (bytesRead === 0) break;
        const chunk = buffer.subarray(0, bytesRead);
        const at = pos;
        await Promise.all(
          [...dests].map(async ([d, fh]) => {
            if (d.error !== undefined) return;
            try {
              let off = 0;
              while (off < chunk.length) off += (await fh.write(chunk, off, chunk.length - off, at + off)).bytesWritten;
            } catch (e) {
              fail(d, e);
            }
          }),
        );
        pos += bytesRead;
        crashPoint('chunk');
        progress.wrote(0, bytesRead);
        if ([...dests.keys()].every((d) => d.error !== undefined)) break;
      }
      // fsync comes in the syncing phase: one syncfs first writes everything back in one sweep,
      // so the per-file fsyncs after it do not each force a journal commit.
      progress.wrote(1, 0);
    } finally {
      await src.close().catch(() => undefined);
      await Promise.all([...dests.values()].map((fh) => fh.close().catch(() => undefined)));
    }
    void bag;
  }
}

class DriveFailure extends Error {
  constructor(readonly error: OperatorError) {
    super(error.message);
  }
}

export type { DriveRole };
