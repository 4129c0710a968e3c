import { z } from 'zod';
import type { Db } from '../core/db/database.ts';
import { applianceId } from '../core/applianceFacts.ts';
import type { DriveRole } from './types.ts';

export interface EnrolledDrive {
  readonly id: string;
  readonly role: DriveRole;
  readonly rotationSet: number | null;
  readonly kind: 'usb' | 'folder';
  readonly serial: string | null;
  readonly fsUuid: string | null;
  readonly label: string | null;
  readonly folderPath: string | null;
  readonly enrolledAt: string;
  readonly enrolledBy: string;
}

interface EnrolledRow {
  id: string;
  role: DriveRole;
  rotation_set: number | null;
  kind: 'usb' | 'folder';
  serial: string | null;
  fs_uuid: string | null;
  label: string | null;
  folder_path: string | null;
  enrolled_at: string;
  enrolled_by: string;
}

const fromRow = (r: EnrolledRow): EnrolledDrive => ({
  id: r.id,
  role: r.role,
  rotationSet: r.rotation_set,
  kind: r.kind,
  serial: r.serial,
  fsUuid: r.fs_uuid,
  label: r.label,
  folderPath: r.folder_path,
  enrolledAt: r.enrolled_at,
  enrolledBy: r.enrolled_by,
});

export const custodyDriveSchema = z
  .object({
    role: z.enum(['A', 'B']),
    driveId: z.string().nullable(),
    serial: z.string().nullable(),
    uuid: z.string().nullable(),
    destination: z.string(),
    ejected: z.boolean(),
    poweredOff: z.boolean(),
    /** Seal or evidence-bag number the drive was sealed in (hand-offs recorded since issue #15). */
    seal: z.string().max(60).optional(),
  })
  .strict();
export type CustodyDrive = z.infer<typeof custodyDriveSchema>;

export interface CustodyRecord {
  readonly id: number;
  readonly recordedAt: string;
  readonly snapshotSequence: number;
  readonly rootHash: string;
  readonly bagName: string;
  readonly operator: string;
  readonly witness: string | null;
  readonly drives: readonly CustodyDrive[];
  /** The appliance key that signed the snapshot (minisign key id, hex); null on records from before it was kept. */
  readonly signingKeyId: string | null;
}

export interface DriveReturn {
  readonly id: number;
  readonly driveId: string;
  readonly checkedAt: string;
  readonly ok: boolean;
  readonly filesChecked: number;
  readonly summary: string;
  readonly problems: readonly string[];
}

/** SQLite access for enrolled drives, custody records and return checks. */
export class DriveStore {
  constructor(private readonly db: Db) {}

  activeDrives(): EnrolledDrive[] {
    return this.db.prepare<[], EnrolledRow>('SELECT * FROM enrolled_drives WHERE retired_at IS NULL ORDER BY role, rotation_set, enrolled_at').all().map(fromRow);
  }

  byId(id: string): EnrolledDrive | undefined {
    const row = this.db.prepare<[string], EnrolledRow>('SELECT * FROM enrolled_drives WHERE id = ?').get(id);
    return row === undefined ? undefined : fromRow(row);
  }

  /** An active USB drive with this file-system UUID and serial (serial may be absent, e.g. loop images). */
  findUsb(serial: string | null, fsUuid: string | null): EnrolledDrive | undefined {
    if (fsUuid === null) return undefined;
    const row = this.db
      .prepare<[string, string | null], EnrolledRow>(
        `SELECT * FROM enrolled_drives WHERE retired_at IS NULL AND kind = 'usb' AND fs_uuid = ? AND serial IS ?`,
      )
      .get(fsUuid, serial);
    return row === undefined ? undefined : fromRow(row);
  }

  findFolder(path: string): EnrolledDrive | undefined {
    const row = this.db.prepare<[string], EnrolledRow>(`SELECT * FROM enrolled_drives WHERE retired_at IS NULL AND kind = 'folder' AND folder_path = ?`).get(path);
    return row === undefined ? undefined : fromRow(row);
  }

  /** Adds a drive; an earlier active enrollment of the same drive is retired in the same transaction. */
  enroll(drive: EnrolledDrive, replaces: readonly string[]): void {
    this.db.transaction(() => {
      const retire = this.db.prepare(`UPDATE enrolled_drives SET retired_at = ?, retired_reason = ? WHERE id = ? AND retired_at IS NULL`);
      for (const id of replaces) retire.run(drive.enrolledAt, `re-enrolled as ${drive.id}`, id);
      this.db
        .prepare(
          `INSERT INTO enrolled_drives (id, role, rotation_set, kind, serial, fs_uuid, label, folder_path, enrolled_at, enrolled_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(drive.id, drive.role, drive.rotationSet, drive.kind, drive.serial, drive.fsUuid, drive.label, drive.folderPath, drive.enrolledAt, drive.enrolledBy);
    })();
  }

  addCustody(record: Omit<CustodyRecord, 'id'>): number {
    const info = this.db
      .prepare(
        `INSERT INTO custody_records (recorded_at, snapshot_sequence, root_hash, bag_name, operator, witness, drives_json, signing_key_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(record.recordedAt, record.snapshotSequence, record.rootHash, record.bagName, record.operator, record.witness, JSON.stringify(record.drives), record.signingKeyId);
    return Number(info.lastInsertRowid);
  }

  /** The first custody record of a snapshot (its hand-off), as id and time; undefined when never handed off. */
  firstHandOffOf(sequence: number): { id: number; recorded_at: string } | undefined {
    return this.db.prepare<[number], { id: number; recorded_at: string }>('SELECT id, recorded_at FROM custody_records WHERE snapshot_sequence = ? ORDER BY id LIMIT 1').get(sequence);
  }

  custody(limit = 200): CustodyRecord[] {
    type Row = { id: number; recorded_at: string; snapshot_sequence: number; root_hash: string; bag_name: string; operator: string; witness: string | null; drives_json: string; signing_key_id: string | null };
    return this.db
      .prepare<[number], Row>('SELECT * FROM custody_records ORDER BY id DESC LIMIT ?')
      .all(limit)
      .map((r) => ({
        id: r.id,
        recordedAt: r.recorded_at,
        snapshotSequence: r.snapshot_sequence,
        rootHash: r.root_hash,
        bagName: r.bag_name,
        operator: r.operator,
        witness: r.witness,
        drives: z.array(custodyDriveSchema).parse(JSON.parse(r.drives_json)),
        signingKeyId: z.string().regex(/^[0-9A-F]{16}$/).nullable().parse(r.signing_key_id),
      }));
  }

  custodyById(id: number): CustodyRecord | undefined {
    return this.custody(1_000_000).find((r) => r.id === id);
  }

  addReturn(ret: Omit<DriveReturn, 'id'>): number {
    const info = this.db
      .prepare('INSERT INTO drive_returns (drive_id, checked_at, ok, files_checked, summary, problems_json) VALUES (?, ?, ?, ?, ?, ?)')
      .run(ret.driveId, ret.checkedAt, ret.ok ? 1 : 0, ret.filesChecked, ret.summary, JSON.stringify(ret.problems));
    return Number(info.lastInsertRowid);
  }

  returns(driveId?: string, limit = 200): DriveReturn[] {
    type Row = { id: number; drive_id: string; checked_at: string; ok: number; files_checked: number; summary: string; problems_json: string };
    const rows =
      driveId === undefined
        ? this.db.prepare<[number], Row>('SELECT * FROM drive_returns ORDER BY id DESC LIMIT ?').all(limit)
        : this.db.prepare<[string, number], Row>('SELECT * FROM drive_returns WHERE drive_id = ? ORDER BY id DESC LIMIT ?').all(driveId, limit);
    return rows.map((r) => ({
      id: r.id,
      driveId: r.drive_id,
      checkedAt: r.checked_at,
      ok: r.ok === 1,
      filesChecked: r.files_checked,
      summary: r.summary,
      problems: z.array(z.string()).parse(JSON.parse(r.problems_json)),
    }));
  }

  /** The appliance's id (written once; goes into every identity file). */
  applianceId(newId: () => string): string {
    return applianceId(this.db, newId);
  }
}
