/**
 * TEST ONLY. The custody state for the web test fakes: facts read from the fake drives, the fake
 * engine's outcomes and the catalog, then the real decision (custody/state.ts custodyState). So the
 * Snapshot page's "safe to remove" in app tests comes from the same rules as on the appliance.
 */
import type { CustodyFacts, DriveFacts, SnapshotFacts } from '../custody/facts.ts';
import { custodyState, type CustodyState, type StateOptions } from '../custody/state.ts';
import type { SnapshotOutcome } from '../snapshot/api.ts';
import type { CatalogReader } from './catalogReader.ts';
import type { CustodyRecord, DrivesProvider } from './deps.ts';

export interface FakeCustodySources {
  readonly drives: DrivesProvider;
  /** Newest first, as the fake engine keeps them. */
  readonly outcomes: () => readonly SnapshotOutcome[];
  readonly catalog: CatalogReader;
  readonly records: () => readonly CustodyRecord[];
  readonly isSnapshotRunning: () => boolean;
}

/** The facts the fakes stand for: every drive enrolled, what a drive holds = the snapshots it completed. */
export async function fakeCustodyFacts(src: FakeCustodySources): Promise<CustodyFacts> {
  const outcomes = src.outcomes();
  const newestOutcome = outcomes[0];
  const listed = await src.drives.list();
  const drives: DriveFacts[] = (['A', 'B'] as const).map((role) => {
    const d = listed.find((x) => x.role === role);
    const verified = outcomes.find((o) => o.perDrive.some((p) => p.role === role && p.state === 'complete'));
    const write = newestOutcome?.perDrive.find((p) => p.role === role);
    return {
      role,
      enrolled: d?.enrolled ?? false,
      present: d?.present ?? false,
      identity: 'ok',
      label: d?.label ?? null,
      serial: d?.serial ?? null,
      mountPoint: d?.mountPoint ?? null,
      lastVerified: verified === undefined ? null : { sequence: verified.sequence, at: verified.finishedAt },
      newestWrite: write === undefined ? null : { state: write.state, message: write.error?.message ?? null },
      failedReturnCheck: null,
      notOnDrive: src.catalog.capturedSince(verified?.startedAt ?? null),
      listError: null,
    };
  });
  const newest: SnapshotFacts | null =
    newestOutcome === undefined
      ? null
      : {
          sequence: newestOutcome.sequence,
          state: newestOutcome.perDrive.every((p) => p.state === 'complete') ? 'complete' : 'degraded',
          rootHash: newestOutcome.rootHash,
          bagName: newestOutcome.bagName,
          files: newestOutcome.files,
          bytes: newestOutcome.bytes,
          startedAt: newestOutcome.startedAt,
          finishedAt: newestOutcome.finishedAt,
        };
  const lacking = drives.reduce((most, d) => (d.notOnDrive.files > most.files ? d.notOnDrive : most), { files: 0, bytes: 0 });
  const record = newest === null ? undefined : src.records().find((r) => r.snapshotSequence === newest.sequence);
  return {
    drives,
    capturedFiles: src.catalog.capturedSince(null).files,
    notOnDrives: lacking,
    newestSnapshot: newest,
    pendingSnapshots: [],
    newestHandOff: record === undefined ? null : { custodyId: record.id, at: record.recordedAt },
    snapshotRunning: src.isSnapshotRunning(),
  };
}

export function fakeCustodyState(src: FakeCustodySources): (format: StateOptions) => Promise<CustodyState> {
  return async (format) => custodyState(await fakeCustodyFacts(src), format);
}
