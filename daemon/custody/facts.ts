import { z } from 'zod';
import type { Config } from '../config.ts';
import type { Db } from '../db/database.ts';
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

const countsRow = z.object({
  total: z.number().int(),
  filesA: z.number().int().nullable(),
  bytesA: z.number().int().nullable(),
  filesB: z.number().int().nullable(),
  bytesB: z.number().int().nullable(),
  filesAny: z.number().int().nullable(),
  bytesAny: z.number().int().nullable(),
});

/** "On a drive" means: in a snapshot of this election whose write to that role completed (read back). */
const onRole = (role: DriveRole) => `EXISTS (SELECT 1 FROM snapshot_items si
    JOIN snapshots s ON s.id = si.snapshot_id AND s.election = @election
    JOIN snapshot_drive_writes w ON w.snapshot_id = si.snapshot_id AND w.role = '${role}' AND w.state = 'complete'
   WHERE si.file_version_id = fv.id)`;

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
    const counts = countsRow.parse(
      this.db
        .prepare(
          `SELECT count(*) AS total,
                  sum(CASE WHEN inA = 0 THEN 1 ELSE 0 END) AS filesA, sum(CASE WHEN inA = 0 THEN size ELSE 0 END) AS bytesA,
                  sum(CASE WHEN inB = 0 THEN 1 ELSE 0 END) AS filesB, sum(CASE WHEN inB = 0 THEN size ELSE 0 END) AS bytesB,
                  sum(CASE WHEN inA = 0 OR inB = 0 THEN 1 ELSE 0 END) AS filesAny, sum(CASE WHEN inA = 0 OR inB = 0 THEN size ELSE 0 END) AS bytesAny
             FROM (SELECT fv.size AS size, ${onRole('A')} AS inA, ${onRole('B')} AS inB FROM file_versions fv)`,
        )
        .get({ election }),
    );
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
      const notOnDrive = role === 'A' ? { files: counts.filesA ?? 0, bytes: counts.bytesA ?? 0 } : { files: counts.filesB ?? 0, bytes: counts.bytesB ?? 0 };
      drives.push(await this.driveFacts(role, listed?.ok === true ? listed.value : [], listed?.ok === false ? listed.error.message : listed === undefined ? 'Drive management is not set up.' : null, notOnDrive, newest));
    }
    return {
      drives,
      capturedFiles: counts.total,
      notOnDrives: { files: counts.filesAny ?? 0, bytes: counts.bytesAny ?? 0 },
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
    if (view !== undefined && view.kind === 'folder' && view.path !== null && view.enrolled !== null) {
      const id = await readIdentity(view.path);
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
      present: view !== undefined,
      identity,
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
