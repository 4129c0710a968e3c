import { z } from 'zod';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { CatalogStore } from '../capture/catalogStore.ts';
import { readIdentity } from '../drives/identity.ts';
import { DriveStore } from '../drives/store.ts';
import type { DriveService, DriveView } from '../drives/service.ts';
import { driveRoles, type DriveRole } from '../drives/types.ts';
import { filesOnDrives, lastCompleteWriteOn, newestAndPendingSnapshots, writeOutcomeOn } from '../snapshot/store.ts';

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
    const total = totalsRow.parse(new CatalogStore(this.db).totals());
    const on = onDrivesRow.parse(filesOnDrives(this.db, election));
    const notOn = (files: number, bytes: number) => ({ files: Math.max(0, total.files - files), bytes: Math.max(0, total.bytes - bytes) });
    const snapshots = z.array(snapshotRow).parse(newestAndPendingSnapshots(this.db, election));
    const newest = snapshots[0] ?? null;
    const handOff =
      newest === null
        ? undefined
        : z
            .object({ id: z.number().int(), recorded_at: z.string() })
            .optional()
            .parse(new DriveStore(this.db).firstHandOffOf(newest.sequence));
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
      .parse(lastCompleteWriteOn(this.db, this.config.election.name, role));
    const lastVerified = verified === undefined ? null : { sequence: verified.sequence, at: verified.at ?? '' };
    const write =
      newest === null
        ? undefined
        : z
            .object({ state: z.enum(['writing', 'complete', 'failed']), message: z.string().nullable() })
            .optional()
            .parse(writeOutcomeOn(this.db, this.config.election.name, newest.sequence, role));
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
