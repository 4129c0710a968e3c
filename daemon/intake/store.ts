import { z } from 'zod';
import type { Db } from '../core/db/database.ts';

export interface ExportStick {
  readonly id: string;
  readonly serial: string | null;
  readonly fsUuid: string | null;
  readonly label: string | null;
  readonly description: string;
  readonly ems: string;
  readonly enrolledAt: string;
  readonly enrolledBy: string;
}

export type IntakeStatus = 'reading' | 'captured' | 'incomplete' | 'refused';

/** The custody record of one intake from an export stick. */
export interface StickIntake {
  readonly id: number;
  readonly stickId: string;
  readonly rootLabel: string;
  readonly serial: string | null;
  readonly fsUuid: string | null;
  readonly ems: string;
  readonly broughtBy: string | null;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly status: IntakeStatus;
  /** Files captured into the vault from this stick, and their bytes. */
  readonly fileCount: number;
  readonly totalBytes: number;
  /** Regular files found on the stick (null until it was listed). */
  readonly filesOnStick: number | null;
  /** SHA-256 of the sorted `sha256sum` lines of every file (only when everything was captured). */
  readonly manifestSha256: string | null;
  readonly linksNotFollowed: number;
  readonly specialFiles: number;
  readonly message: string;
  /** True only once the stick is unmounted (or was never mounted): it may be pulled out. */
  readonly removable: boolean;
}

// Rows are read back through a schema: the database is an edge like any other.
const stickRow = z.object({
  id: z.string(),
  serial: z.string().nullable(),
  fs_uuid: z.string().nullable(),
  label: z.string().nullable(),
  description: z.string(),
  ems: z.string(),
  enrolled_at: z.string(),
  enrolled_by: z.string(),
});

const intakeRow = z.object({
  id: z.number().int(),
  stick_id: z.string(),
  root_label: z.string(),
  serial: z.string().nullable(),
  fs_uuid: z.string().nullable(),
  ems: z.string(),
  brought_by: z.string().nullable(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  status: z.enum(['reading', 'captured', 'incomplete', 'refused']),
  file_count: z.number().int(),
  total_bytes: z.number().int(),
  files_on_stick: z.number().int().nullable(),
  manifest_sha256: z.string().nullable(),
  links_not_followed: z.number().int(),
  special_files: z.number().int(),
  message: z.string(),
  removable: z.union([z.literal(0), z.literal(1)]),
});

const toStick = (r: z.infer<typeof stickRow>): ExportStick => ({
  id: r.id,
  serial: r.serial,
  fsUuid: r.fs_uuid,
  label: r.label,
  description: r.description,
  ems: r.ems,
  enrolledAt: r.enrolled_at,
  enrolledBy: r.enrolled_by,
});

const toIntake = (r: z.infer<typeof intakeRow>): StickIntake => ({
  id: r.id,
  stickId: r.stick_id,
  rootLabel: r.root_label,
  serial: r.serial,
  fsUuid: r.fs_uuid,
  ems: r.ems,
  broughtBy: r.brought_by,
  startedAt: r.started_at,
  finishedAt: r.finished_at,
  status: r.status,
  fileCount: r.file_count,
  totalBytes: r.total_bytes,
  filesOnStick: r.files_on_stick,
  manifestSha256: r.manifest_sha256,
  linksNotFollowed: r.links_not_followed,
  specialFiles: r.special_files,
  message: r.message,
  removable: r.removable === 1,
});

export interface IntakeOutcome {
  readonly status: Exclude<IntakeStatus, 'reading'>;
  readonly fileCount: number;
  readonly totalBytes: number;
  readonly filesOnStick: number | null;
  readonly manifestSha256: string | null;
  readonly linksNotFollowed: number;
  readonly specialFiles: number;
  readonly message: string;
}

/** SQLite access for export sticks and their intakes. */
export class IntakeStore {
  constructor(private readonly db: Db) {}

  activeSticks(): ExportStick[] {
    return this.db.prepare('SELECT * FROM export_sticks WHERE retired_at IS NULL ORDER BY enrolled_at').all().map((r) => toStick(stickRow.parse(r)));
  }

  /** A stick is known by its serial; one without a serial (card readers, test images) by its file-system UUID. */
  findStick(serial: string | null, fsUuid: string | null): ExportStick | undefined {
    const row =
      serial !== null
        ? this.db.prepare('SELECT * FROM export_sticks WHERE retired_at IS NULL AND serial = ?').get(serial)
        : fsUuid !== null
          ? this.db.prepare('SELECT * FROM export_sticks WHERE retired_at IS NULL AND serial IS NULL AND fs_uuid = ?').get(fsUuid)
          : undefined;
    return row === undefined ? undefined : toStick(stickRow.parse(row));
  }

  enrollStick(stick: ExportStick): void {
    this.db.transaction(() => {
      const old = this.findStick(stick.serial, stick.fsUuid);
      if (old !== undefined) this.db.prepare('UPDATE export_sticks SET retired_at = ? WHERE id = ?').run(stick.enrolledAt, old.id);
      this.db
        .prepare('INSERT INTO export_sticks (id, serial, fs_uuid, label, description, ems, enrolled_at, enrolled_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(stick.id, stick.serial, stick.fsUuid, stick.label, stick.description, stick.ems, stick.enrolledAt, stick.enrolledBy);
    })();
  }

  /** Starts an intake record; its capture root is named after its id ("export-stick-7"). */
  begin(stick: ExportStick, seen: { serial: string | null; fsUuid: string | null }, broughtBy: string | null, at: string): StickIntake {
    const id = this.db.transaction(() => {
      const next = (this.db.prepare('SELECT COALESCE(MAX(id), 0) + 1 AS n FROM stick_intakes').get() as { n: number }).n;
      this.db
        .prepare(`INSERT INTO stick_intakes (id, stick_id, root_label, serial, fs_uuid, ems, brought_by, started_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'reading')`)
        .run(next, stick.id, `export-stick-${next}`, seen.serial, seen.fsUuid, stick.ems, broughtBy, at);
      return next;
    })();
    const made = this.byId(id);
    if (made === undefined) throw new Error('intake row missing after insert');
    return made;
  }

  finish(id: number, outcome: IntakeOutcome, at: string): void {
    this.db
      .prepare(
        `UPDATE stick_intakes SET status = ?, finished_at = ?, file_count = ?, total_bytes = ?, files_on_stick = ?, manifest_sha256 = ?,
           links_not_followed = ?, special_files = ?, message = ? WHERE id = ?`,
      )
      .run(outcome.status, at, outcome.fileCount, outcome.totalBytes, outcome.filesOnStick, outcome.manifestSha256, outcome.linksNotFollowed, outcome.specialFiles, outcome.message, id);
  }

  markRemovable(id: number): void {
    this.db.prepare('UPDATE stick_intakes SET removable = 1 WHERE id = ?').run(id);
  }

  /** Who brought the stick is entered once; a later correction goes through the audit log only. */
  setBroughtBy(id: number, name: string): boolean {
    return this.db.prepare('UPDATE stick_intakes SET brought_by = ? WHERE id = ? AND brought_by IS NULL').run(name, id).changes === 1;
  }

  byId(id: number): StickIntake | undefined {
    const row = this.db.prepare('SELECT * FROM stick_intakes WHERE id = ?').get(id);
    return row === undefined ? undefined : toIntake(intakeRow.parse(row));
  }

  intakes(limit = 200): StickIntake[] {
    return this.db.prepare('SELECT * FROM stick_intakes ORDER BY id DESC LIMIT ?').all(limit).map((r) => toIntake(intakeRow.parse(r)));
  }
}
