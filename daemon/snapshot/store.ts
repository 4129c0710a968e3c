/**
 * The snapshot engine's rows: snapshots, their items, and each drive write, read and written
 * here only (plus the appliance id a bag names).
 */
import { z } from 'zod';
import type { Db } from '../core/db/database.ts';
import type { OperatorError } from '../core/result.ts';
import type { DriveTarget, SnapshotReason } from './api.ts';
import { crashPoint } from './crashPoints.ts';
import type { PlannedBag, PlannedItem } from './plan.ts';

const tagFilesSchema = z.record(z.string(), z.string());

export interface SnapshotRow {
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

export function snapshotRows(db: Db, election: string): SnapshotRow[] {
  return db.prepare<[string], SnapshotRow>('SELECT * FROM snapshots WHERE election = ? ORDER BY sequence').all(election);
}

export function loadBag(db: Db, row: SnapshotRow): PlannedBag {
  const items = db
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


/** The file versions held by any snapshot (pending or sealed): what an incremental snapshot leaves out. */
export function fileVersionIdsInSnapshots(db: Db): Set<number> {
  const ids = new Set<number>();
  for (const r of db.prepare<[], { id: number }>('SELECT DISTINCT file_version_id AS id FROM snapshot_items').iterate()) ids.add(r.id);
  return ids;
}

/** Snapshots that reached at least one drive, oldest first, as recorded (the caller checks the rows against their signature). */
export function snapshotsOnADrive(db: Db, election: string): unknown[] {
  return db.prepare("SELECT sequence, bag_name, root_hash, previous_root_hash, tag_files_json FROM snapshots WHERE election = ? AND state IN ('complete', 'degraded') ORDER BY sequence").all(election);
}

/** Snapshot rows for status pages and tests, newest first. */
export function listSnapshots(db: Db, election: string): Array<{ sequence: number; bagName: string; state: string; rootHash: string; files: number; bytes: number; startedAt: string; finishedAt: string | null }> {
  return db
    .prepare<[string], { sequence: number; bagName: string; state: string; rootHash: string; files: number; bytes: number; startedAt: string; finishedAt: string | null }>(
      `SELECT sequence, bag_name AS bagName, state, root_hash AS rootHash, files, bytes, started_at AS startedAt, finished_at AS finishedAt
       FROM snapshots WHERE election = ? ORDER BY sequence DESC`,
    )
    .all(election);
}

/** Drive writes left 'writing' by a crash or power loss (the caller holds the lock: none is running). */
export function failInterruptedWrites(db: Db, at: string): void {
  db
    .prepare(`UPDATE snapshot_drive_writes SET state = 'failed', error_code = 'interrupted', error_message = 'The appliance stopped while writing (crash or power loss); finished by recovery.', finished_at = ? WHERE state = 'writing'`)
    .run(at);
}

/** Records the planned bag and its items before anything is written; returns its snapshot id. */
export function recordPlannedBag(
  db: Db,
  bag: { readonly election: string; readonly reason: SnapshotReason; readonly actor: string; readonly previousRootHash: string | null },
  built: Omit<PlannedBag, 'snapshotId'>,
): number {
  return db.transaction(() => {
    const info = db
      .prepare(
        `INSERT INTO snapshots (election, sequence, bag_name, reason, actor, full, state, started_at, files, bytes, root_hash, previous_root_hash, tag_files_json)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?)`,
      )
      .run(bag.election, built.sequence, built.bagName, bag.reason, bag.actor, built.full ? 1 : 0, built.startedAt, built.files, built.bytes, built.rootHash, bag.previousRootHash, JSON.stringify(built.tagFiles));
    const id = Number(info.lastInsertRowid);
    const ins = db.prepare('INSERT INTO snapshot_items (snapshot_id, file_version_id, payload_path, sha256, size) VALUES (?, ?, ?, ?, ?)');
    for (const it of built.items) ins.run(id, it.fileVersionId, it.payloadPath, it.sha256, it.size);
    return id;
  })();
}

/** Pending snapshots become complete/degraded once their marker is on one or more drives. */
export function settlePending(db: Db, rows: readonly SnapshotRow[], drives: readonly { readonly present: ReadonlySet<string> }[], now: () => Date): void {
  for (const r of rows) {
    if (r.state === 'complete') continue;
    const holders = drives.filter((d) => d.present.has(r.bag_name)).length;
    if (holders === 0) continue;
    const state = holders >= 2 ? 'complete' : 'degraded';
    if (state === r.state) continue;
    db.prepare('UPDATE snapshots SET state = ?, finished_at = coalesce(finished_at, ?) WHERE id = ?').run(state, now().toISOString(), r.id);
    crashPoint('settled');
  }
}

/** One drive's write of one bag, begun ('writing'); returns its row id. */
export function startDriveWrite(db: Db, snapshotId: number, target: DriveTarget, purpose: 'snapshot' | 'catch-up' | 'recovery', startedAt: string): number {
  const info = db
    .prepare(`INSERT INTO snapshot_drive_writes (snapshot_id, role, drive_root, serial, uuid, label, purpose, state, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'writing', ?)`)
    .run(snapshotId, target.role, target.root, target.serial ?? null, target.uuid ?? null, target.label ?? null, purpose, startedAt);
  return Number(info.lastInsertRowid);
}

export function finishDriveWrite(db: Db, id: number, error: OperatorError | undefined, finishedAt: string): void {
  db
    .prepare('UPDATE snapshot_drive_writes SET state = ?, error_code = ?, error_message = ?, finished_at = ? WHERE id = ?')
    .run(error === undefined ? 'complete' : 'failed', error?.code ?? null, error?.message ?? null, finishedAt, id);
}

/** Which drive a write record belongs to: USB by serial and file-system UUID, folders by path. */
export interface DriveRecordKey {
  readonly role: 'A' | 'B';
  readonly serial: string | null;
  readonly uuid: string | null;
  readonly folderPath: string | null;
  /** Only writes since this time (the enrollment): an earlier drive with the same id was another drive. */
  readonly since: string;
}

/**
 * Root hashes of the snapshots this appliance wrote completely to one drive (of the configured
 * election): what a returning drive must still hold.
 */
export function rootHashesWrittenTo(db: Db, election: string, drive: DriveRecordKey): Array<{ bagName: string; rootHash: string }> {
  const usb = drive.serial !== null || drive.uuid !== null;
  return db
    .prepare<[string, string, string, number, string, string, string], { bagName: string; rootHash: string }>(
      `SELECT DISTINCT s.bag_name AS bagName, s.root_hash AS rootHash, s.sequence
       FROM snapshot_drive_writes w JOIN snapshots s ON s.id = w.snapshot_id
       WHERE w.state = 'complete' AND s.election = ? AND w.role = ? AND w.started_at >= ?
         AND CASE WHEN ? = 1 THEN coalesce(w.serial, '') = ? AND coalesce(w.uuid, '') = ? ELSE w.drive_root = ? END
       ORDER BY s.sequence`,
    )
    .all(election, drive.role, drive.since, usb ? 1 : 0, drive.serial ?? '', drive.uuid ?? '', drive.folderPath ?? '')
    .map((r) => ({ bagName: r.bagName, rootHash: r.rootHash }));
}

// --- Read models for custody (issue #17: custody asks here rather than naming the snapshot tables). Rows are
// returned as SQLite gives them; the caller checks them with its schema.

/** Snapshots of this election whose write to that role completed (read back): what is "on" that drive. */
const doneOn = (role: 'A' | 'B') => `SELECT w.snapshot_id FROM snapshot_drive_writes w JOIN snapshots s ON s.id = w.snapshot_id
   WHERE s.election = @election AND w.role = '${role}' AND w.state = 'complete'`;

/** One pass over the snapshot items of completed writes (not one lookup per captured file). */
const onDrivesSql = `SELECT coalesce(sum(inA), 0) AS filesA, coalesce(sum(inA * size), 0) AS bytesA,
        coalesce(sum(inB), 0) AS filesB, coalesce(sum(inB * size), 0) AS bytesB,
        coalesce(sum(inA * inB), 0) AS filesBoth, coalesce(sum(inA * inB * size), 0) AS bytesBoth
   FROM (SELECT si.file_version_id, max(si.snapshot_id IN (${doneOn('A')})) AS inA, max(si.snapshot_id IN (${doneOn('B')})) AS inB, max(si.size) AS size
           FROM snapshot_items si
          WHERE si.snapshot_id IN (${doneOn('A')} UNION ${doneOn('B')})
          GROUP BY si.file_version_id)`;

/** Files and bytes on drive A, on B, and on both (in a completed, read-back write): filesA, bytesA, filesB, bytesB, filesBoth, bytesBoth. */
export function filesOnDrives(db: Db, election: string): unknown {
  return db.prepare(onDrivesSql).get({ election });
}

/** The newest snapshot and every unfinished one, newest first. */
export function newestAndPendingSnapshots(db: Db, election: string): unknown[] {
  return db
    .prepare(
      `SELECT sequence, state, root_hash AS rootHash, bag_name AS bagName, files, bytes, started_at AS startedAt, finished_at AS finishedAt
         FROM snapshots WHERE election = ? AND (state = 'pending' OR sequence = (SELECT max(sequence) FROM snapshots WHERE election = ?))
        ORDER BY sequence DESC`,
    )
    .all(election, election);
}

/** The newest snapshot written completely to this role, and when (sequence, at). */
export function lastCompleteWriteOn(db: Db, election: string, role: 'A' | 'B'): unknown {
  return db
    .prepare(
      `SELECT s.sequence AS sequence, max(w.finished_at) AS at FROM snapshot_drive_writes w JOIN snapshots s ON s.id = w.snapshot_id
        WHERE s.election = ? AND w.role = ? AND w.state = 'complete' GROUP BY s.sequence ORDER BY s.sequence DESC LIMIT 1`,
    )
    .get(election, role);
}

/** This role's outcome for one snapshot (state, message): a completed write (e.g. a catch-up) outranks earlier failures. */
export function writeOutcomeOn(db: Db, election: string, sequence: number, role: 'A' | 'B'): unknown {
  return db
    .prepare(
      `SELECT w.state AS state, w.error_message AS message FROM snapshot_drive_writes w JOIN snapshots s ON s.id = w.snapshot_id
        WHERE s.election = ? AND s.sequence = ? AND w.role = ? ORDER BY (w.state = 'complete') DESC, w.id DESC LIMIT 1`,
    )
    .get(election, sequence, role);
}

/** One snapshot by sequence: id, rootHash, bagName, files, bytes, startedAt, finishedAt. */
export function snapshotBySequence(db: Db, election: string, sequence: number): unknown {
  return db
    .prepare('SELECT id, root_hash AS rootHash, bag_name AS bagName, files, bytes, started_at AS startedAt, finished_at AS finishedAt FROM snapshots WHERE election = ? AND sequence = ?')
    .get(election, sequence);
}

/** Every drive write of one snapshot, oldest first: role, state, message. */
export function driveWritesOf(db: Db, snapshotId: number): unknown[] {
  return db.prepare('SELECT role, state, error_message AS message FROM snapshot_drive_writes WHERE snapshot_id = ? ORDER BY id').all(snapshotId);
}
