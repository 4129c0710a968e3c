import { z } from 'zod';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { readIdentity } from '../drives/identity.ts';
import type { DriveService, DriveView } from '../drives/service.ts';
import { driveRoles, type DriveRole } from '../drives/types.ts';

/** What is true about one drive role now: read from the drive service and the database. */
export interface DriveFacts {
  readonly role: DriveRole;
  /** An active enrollment exists for this role. */
  readonly enrolled: boolean;
  /** The enrolled drive of this role is plugged in (folder drives: its folder exists). */
  readonly present: boolean;
  /** Folder drives: the identity file read now; USB: matched by serial and file-system id. */
  readonly identity: 'ok' | 'missing' | 'mismatch' | 'not-checked';
  readonly label: string | null;
  readonly serial: string | null;
  readonly mountPoint: string | null;
  /** Newest snapshot written completely and read back on this role. */
  readonly lastVerified: { readonly sequence: number; readonly at: string } | null;
  /** This role's own outcome for the newest snapshot (snapshot_drive_writes), null when never attempted. */
  readonly newestWrite: { readonly state: 'writing' | 'complete' | 'failed'; readonly message: string | null } | null;
  /** The last check when the drive came back from the safe, when it failed after its last verified write. */
  readonly failedReturnCheck: { readonly at: string; readonly summary: string } | null;
  /** Captured file versions in no completed snapshot on this role. */
  readonly notOnDrive: { readonly files: number; readonly bytes: number };
  /** Service text when the drives could not be listed at all. */
  readonly listError: string | null;
}

export interface SnapshotFacts {
  readonly sequence: number;
  readonly state: 'pending' | 'complete' | 'degraded';
  readonly rootHash: string;
  readonly bagName: string;
  readonly files: number;
  readonly bytes: number;
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

export interface CustodyFacts {
  readonly drives: readonly DriveFacts[];
  readonly capturedFiles: number;
  /** Captured versions not on both drives (in no completed snapshot on A, or on B). */
  readonly notOnDrives: { readonly files: number; readonly bytes: number };
  readonly newestSnapshot: SnapshotFacts | null;
  /** Unfinished snapshots (a crash mid-write leaves one 'pending'). */
  readonly pendingSnapshots: readonly number[];
  /** The custody record of the newest snapshot, when it was handed off. */
  readonly newestHandOff: { readonly custodyId: number; readonly at: string } | null;
  readonly snapshotRunning: boolean;
}

const snapshotRow = z.object({
  sequence: z.number().int(),
  state: z.enum(['pending', 'complete', 'degraded']),
  rootHash: z.string(),
  bagName: z.string(),
  files: z.number().int(),
  bytes: z.number().int(),
  startedAt: z.string(),
  finishedAt: z.string().nullable(),
});

const totalsRow = z.object({ files: z.number().int(), bytes: z.number().int() });
const onDrivesRow = z.object({ filesA: z.number().int(), bytesA: z.number().int(), filesB: z.number().int(), bytesB: z.number().int(), filesBoth: z.number().int(), bytesBoth: z.number().int() });

/** Snapshots of this election whose write to that role completed (read back): what is "on" that drive. */
const doneOn = (role: DriveRole) => `SELECT w.snapshot_id FROM snapshot_drive_writes w JOIN snapshots s ON s.id = w.snapshot_id
   WHERE s.election = @election AND w.role = '${role}' AND w.state = 'complete'`;

/** One pass over the snapshot items of completed writes (not one lookup per captured file). */
const onDrivesSql = `SELECT coalesce(sum(inA), 0) AS filesA, coalesce(sum(inA * size), 0) AS bytesA,
        coalesce(sum(inB), 0) AS filesB, coalesce(sum(inB * size), 0) AS bytesB,
        coalesce(sum(inA * inB), 0) AS filesBoth, coalesce(sum(inA * inB * size), 0) AS bytesBoth
   FROM (SELECT si.file_version_id, max(si.snapshot_id IN (${doneOn('A')})) AS inA, max(si.snapshot_id IN (${doneOn('B')})) AS inB, max(si.size) AS size
           FROM snapshot_items si
          WHERE si.snapshot_id IN (${doneOn('A')} UNION ${doneOn('B')})
          GROUP BY si.file_version_id)`;

/** Reads the facts the custody state is computed from. Nothing here decides anything. */
export class CustodyFactsReader {
  constructor(
    private readonly db: Db,
    private readonly config: Config,
    private readonly drives: DriveService | undefined,
    private readonly isSnapshotRunning: () => boolean,
  ) {}

  async read(): Promise<CustodyFacts> {
    const election = this.config.election.name;
    const total = totalsRow.parse(this.db.prepare('SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM file_versions').get());
    const on = onDrivesRow.parse(this.db.prepare(onDrivesSql).get({ election }));
    const notOn = (files: number, bytes: number) => ({ files: Math.max(0, total.files - files), bytes: Math.max(0, total.bytes - bytes) });
    const snapshots = z.array(snapshotRow).parse(
      this.db
        .prepare(
          `SELECT sequence, state, root_hash AS rootHash, bag_name AS bagName, files, bytes, started_at AS startedAt, finished_at AS finishedAt
             FROM snapshots WHERE election = ? AND (state = 'pending' OR sequence = (SELECT max(sequence) FROM snapshots WHERE election = ?))
            ORDER BY sequence DESC`,
        )
        .all(election, election),
    );
    const newest = snapshots[0] ?? null;
    const handOff =
      newest === null
        ? undefined
        : z
            .object({ id: z.number().int(), recorded_at: z.string() })
            .optional()
            .parse(this.db.prepare('SELECT id, recorded_at FROM custody_records WHERE snapshot_sequence = ? ORDER BY id LIMIT 1').get(newest.sequence));
    const listed = this.drives === undefined ? undefined : await this.drives.listDrives();
    const drives: DriveFacts[] = [];
    for (const role of driveRoles) {
      const notOnDrive = role === 'A' ? notOn(on.filesA, on.bytesA) : notOn(on.filesB, on.bytesB);
      drives.push(await this.driveFacts(role, listed?.ok === true ? listed.value : [], listed?.ok === false ? listed.error.message : listed === undefined ? 'Drive management is not set up.' : null, notOnDrive, newest));
    }
    return {
      drives,
      capturedFiles: total.files,
      notOnDrives: notOn(on.filesBoth, on.bytesBoth),
      newestSnapshot: newest,
      pendingSnapshots: snapshots.filter((s) => s.state === 'pending').map((s) => s.sequence),
      newestHandOff: handOff === undefined ? null : { custodyId: handOff.id, at: handOff.recorded_at },
      snapshotRunning: this.isSnapshotRunning(),
    };
  }

  private async driveFacts(role: DriveRole, views: readonly DriveView[], listError: string | null, notOnDrive: DriveFacts['notOnDrive'], newest: SnapshotFacts | null): Promise<DriveFacts> {
    const enrolled = this.drives?.store.activeDrives().filter((d) => d.role === role) ?? [];
    const view = views.find((v) => v.enrolled?.role === role && v.status === 'enrolled');
    let identity: DriveFacts['identity'] = 'not-checked';
    // A drive whose mount is dead (pulled mid-session: I/O error, not "no such file") is not there, not a wrong drive.
    let unreadable = false;
    if (view !== undefined && view.kind === 'folder' && view.path !== null && view.enrolled !== null) {
      const id = await readIdentity(view.path);
      unreadable = !id.ok && id.error.code === 'drive-unreadable';
      identity = !id.ok || id.value === null ? 'missing' : id.value.driveId === view.enrolled.id && id.value.role === role ? 'ok' : 'mismatch';
    } else if (view !== undefined) {
      identity = 'ok';
    }
    const verified = z
      .object({ sequence: z.number().int(), at: z.string().nullable() })
      .optional()
      .parse(
        this.db
          .prepare(
            `SELECT s.sequence AS sequence, max(w.finished_at) AS at FROM snapshot_drive_writes w JOIN snapshots s ON s.id = w.snapshot_id
              WHERE s.election = ? AND w.role = ? AND w.state = 'complete' GROUP BY s.sequence ORDER BY s.sequence DESC LIMIT 1`,
          )
          .get(this.config.election.name, role),
      );
    const lastVerified = verified === undefined ? null : { sequence: verified.sequence, at: verified.at ?? '' };
    const write =
      newest === null
        ? undefined
        : z
            .object({ state: z.enum(['writing', 'complete', 'failed']), message: z.string().nullable() })
            .optional()
            .parse(
              this.db
                .prepare(
                  // a completed write (e.g. a catch-up) outranks earlier failures of the same snapshot
                  `SELECT w.state AS state, w.error_message AS message FROM snapshot_drive_writes w JOIN snapshots s ON s.id = w.snapshot_id
                    WHERE s.election = ? AND s.sequence = ? AND w.role = ? ORDER BY (w.state = 'complete') DESC, w.id DESC LIMIT 1`,
                )
                .get(this.config.election.name, newest.sequence, role),
            );
    const enrolledIds = enrolled.map((d) => d.id);
    const lastReturn = enrolledIds.map((id) => this.drives?.store.returns(id, 1)[0]).find((r) => r !== undefined);
    const failedReturnCheck = lastReturn !== undefined && !lastReturn.ok && (lastVerified === null || lastReturn.checkedAt > lastVerified.at) ? { at: lastReturn.checkedAt, summary: lastReturn.summary } : null;
    const first = enrolled[0];
    return {
      role,
      enrolled: enrolled.length > 0,
      present: view !== undefined && !unreadable,
      identity: unreadable ? 'not-checked' : identity,
      label: view?.label ?? first?.label ?? null,
      serial: view?.serial ?? first?.serial ?? null,
      mountPoint: view?.path ?? null,
      lastVerified,
      newestWrite: write ?? null,
      failedReturnCheck,
      notOnDrive,
      listError,
    };
  }
}
