import { z } from 'zod';
import type { Config } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import type { DriveService } from '../drives/service.ts';
import { handOffNeedsWitness } from '../drives/handOffWitness.ts';
import { driveRoles, type DriveRole } from '../drives/types.ts';
import type { CustodyRecord } from '../drives/store.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { CopyPreview, DriveTarget, SnapshotOutcome, SnapshotProgress, SnapshotReason } from '../snapshot/api.ts';
import { resolveDriveAlerts } from '../core/state/alertResolution.ts';
import { AuditLog } from '../core/state/auditLog.ts';
import { driveWritesOf, snapshotBySequence } from '../snapshot/store.ts';
import { CustodyFactsReader } from './facts.ts';
import { CustodyStore } from './store.ts';
import type { SnapshotJobs } from './snapshotJobs.ts';
import { custodyState, type CustodyState, type Permission, type StateOptions } from './state.ts';

export interface HandOffInput {
  readonly sequence: number;
  readonly operator: string;
  /** Required: two people see the drives leave. Empty is refused before anything happens. */
  readonly witness: string;
  readonly destinations: Readonly<Record<DriveRole, string>>;
  readonly seals?: Readonly<Partial<Record<DriveRole, string>>>;
}

export interface CustodyWorkflowOptions {
  readonly db: Db;
  readonly config: Config;
  readonly logger: Logger;
  readonly drives: DriveService;
  readonly isSnapshotRunning: () => boolean;
  /** The one job runner every snapshot goes through (UI, CLI, schedules, demo); needed by runSnapshot/startSnapshot. */
  readonly snapshots?: SnapshotJobs;
}

/** What a caller may ask for: the drives are always the workflow's own choice, after its checks. */
export interface SnapshotStartRequest {
  readonly reason: SnapshotReason;
  readonly actor: string;
  readonly full?: boolean;
}

/** A claim older than this belongs to a hand-off that died half-way (crash): it may be taken over. */
const staleClaimMs = 10 * 60_000;

const plain: StateOptions = { time: (iso) => new Date(iso).toLocaleString('en-US', { dateStyle: 'medium', timeStyle: 'short' }), bytes: (n) => `${Math.round(n / 1e6)} MB` };

const refused = (p: Permission) => (p.allowed ? operatorError('refused', 'Refused.') : operatorError(p.code, p.reason, p.next));

/**
 * The guarded custody actions: each checks the one custody state first (server-side, whoever
 * asks: web, CLI, schedule) and refuses with the reason and the next step.
 */
export class CustodyWorkflow {
  private readonly facts: CustodyFactsReader;
  private readonly audit: AuditLog;
  private readonly store: CustodyStore;
  /** Set between the custody checks and the job runner taking the run: the one busy guard covers that gap too. */
  private starting = false;

  constructor(private readonly opts: CustodyWorkflowOptions) {
    this.facts = new CustodyFactsReader(opts.db, opts.config, opts.drives, opts.isSnapshotRunning);
    this.audit = new AuditLog(opts.db, opts.logger);
    this.store = new CustodyStore(opts.db);
  }

  async state(format: StateOptions = plain): Promise<CustodyState> {
    const facts = await this.facts.read();
    // "Drive B was not there" alerts lose their cause when the enrolled drive B is back.
    for (const d of facts.drives) {
      if (d.present && d.enrolled && d.identity !== 'missing' && d.identity !== 'mismatch') {
        resolveDriveAlerts(this.opts.db, this.opts.logger, this.audit, { code: 'snapshot-drive-failed', role: d.role, cause: 'drive-missing', why: `Drive ${d.role} is plugged in again.` });
      }
    }
    return custodyState(facts, format);
  }

  /** The drives for a snapshot, after the custody checks (e.g. "drive B is not plugged in"). */
  async snapshotTargets(): Promise<Result<DriveTarget[]>> {
    const p = (await this.state()).actions.snapshot;
    if (!p.allowed) return this.refuse('snapshot', p);
    return this.opts.drives.prepareTargets();
  }

  /** What End-of-day would write now, after the same checks and drive preparation as the run; null when it would be refused. */
  async previewSnapshot(full = false): Promise<CopyPreview | null> {
    if (this.isSnapshotBusy() || !(await this.state()).actions.snapshot.allowed) return null;
    const targets = await this.opts.drives.prepareTargets();
    if (!targets.ok) return null;
    return (await this.opts.snapshots?.preview(targets.value, full)) ?? null;
  }

  /** True while a snapshot runs or is being started through this workflow. */
  isSnapshotBusy(): boolean {
    return this.starting || this.opts.isSnapshotRunning();
  }

  /**
   * The only way a snapshot starts: the custody checks (enrolled, plugged in, identity), the
   * drives' own preparation, then the one job runner. Refusals are audited once, here; the engine
   * writes the run's one `snapshot.requested` entry.
   */
  async runSnapshot(request: SnapshotStartRequest, onProgress?: (p: SnapshotProgress) => void): Promise<Result<SnapshotOutcome>> {
    return this.begin(request, (jobs, drives) => jobs.run({ ...request, drives }, onProgress));
  }

  /** Like runSnapshot, but answers as soon as the run has started (the web button). */
  async startSnapshot(request: SnapshotStartRequest): Promise<Result<{ startedAt: string }>> {
    return this.begin(request, async (jobs, drives) => jobs.start({ ...request, drives }));
  }

  private async begin<T>(request: SnapshotStartRequest, go: (jobs: SnapshotJobs, drives: DriveTarget[]) => Promise<Result<T>>): Promise<Result<T>> {
    const jobs = this.opts.snapshots;
    if (jobs === undefined) throw new Error('CustodyWorkflow: snapshots (the job runner) was not wired');
    if (this.isSnapshotBusy()) return this.refuseSnapshot(request, { allowed: false, code: 'snapshot-busy', reason: 'A snapshot is already running.', next: 'Wait for it to finish; its progress is on the Snapshot page.' });
    this.starting = true;
    let running: Promise<Result<T>>;
    try {
      const state = await this.state();
      const p = state.actions.snapshot;
      if (!p.allowed) return this.refuseSnapshot(request, p);
      const targets = await this.opts.drives.prepareEachTarget();
      if (!targets.ok) {
        this.audit.record(request.actor, 'snapshot.refused', { reason: request.reason, code: targets.error.code });
        return targets;
      }
      // A drive the custody state leaves out drops out in the engine, before writing, with the same words the screens show.
      const drives = targets.value.map((t) => {
        const out = state.snapshotLeavesOut.find((d) => d.role === t.role);
        return out === undefined ? t : { ...t, unavailable: operatorError(out.code, out.reason, out.next) };
      });
      // The job runner marks itself running before its first await, so the guard has no gap.
      running = go(jobs, drives);
    } finally {
      this.starting = false;
    }
    return running;
  }

  private refuseSnapshot<T>(request: SnapshotStartRequest, p: Permission): Result<T> {
    this.audit.record(request.actor, 'snapshot.refused', { reason: request.reason, code: p.allowed ? 'refused' : p.code });
    return this.refuse('snapshot', p);
  }

  async eject(role: DriveRole, actor: string, confirmed: boolean): Promise<Result<{ message: string }>> {
    const p = (await this.state()).actions.eject[role];
    if (!p.allowed && !(p.confirmable === true && confirmed)) return this.refuse('eject', p);
    const r = await this.opts.drives.eject([role], actor);
    if (!r.ok) return r;
    const poweredOff = r.value.some((o) => o.poweredOff);
    return ok({ message: `Drive ${role} is ejected${poweredOff ? ' and powered off' : ''}: you can remove it.` });
  }

  /** Hands off the newest snapshot's drives: at most once per snapshot, also under parallel requests. */
  async handOff(input: HandOffInput): Promise<Result<CustodyRecord>> {
    if (input.witness.trim() === '') {
      const e = handOffNeedsWitness();
      return this.refuse('handoff', { allowed: false, code: e.code, reason: e.message, next: e.action ?? '' });
    }
    const state = await this.state();
    const newest = state.newestSnapshot;
    if (newest === null || input.sequence > newest.sequence) {
      return this.refuse('handoff', { allowed: false, code: 'snapshot-unknown', reason: `There is no snapshot #${input.sequence}.`, next: 'Pick a snapshot on the History page.' });
    }
    if (input.sequence !== newest.sequence) {
      return this.refuse('handoff', { allowed: false, code: 'handoff-not-newest', reason: `Snapshot #${input.sequence} is not the newest; only snapshot #${newest.sequence} can be handed off.`, next: `Hand off snapshot #${newest.sequence} from the Snapshot page.` });
    }
    if (!state.actions.handOff.allowed) return this.refuse('handoff', state.actions.handOff);
    if (!this.claim(input.sequence, input.operator)) {
      return this.refuse('handoff', { allowed: false, code: 'already-handed-off', reason: `The drives of snapshot #${input.sequence} are being handed off or were already handed off.`, next: 'Open the Custody log to see the record.' });
    }
    const outcome = this.outcomeFromWrites(input.sequence);
    if (!outcome.ok) {
      this.release(input.sequence);
      return outcome;
    }
    const r = await this.opts.drives.handOff(outcome.value, { operator: input.operator, witness: input.witness.trim(), destinations: input.destinations, ...(input.seals === undefined ? {} : { seals: input.seals }) });
    if (!r.ok) this.release(input.sequence);
    return r;
  }

  /** Takes the database claim on a snapshot's hand-off; false when another hand-off holds it or finished it. */
  private claim(sequence: number, actor: string): boolean {
    const now = new Date();
    return this.store.claimHandOff(sequence, actor, now.toISOString(), new Date(now.getTime() - staleClaimMs).toISOString());
  }

  private release(sequence: number): void {
    this.store.releaseHandOff(sequence);
  }

  /** Each drive's real outcome for the snapshot, from snapshot_drive_writes (a completed catch-up counts). */
  private outcomeFromWrites(sequence: number): Result<SnapshotOutcome> {
    const election = this.opts.config.election.name;
    const s = z
      .object({ id: z.number().int(), rootHash: z.string(), bagName: z.string(), files: z.number().int(), bytes: z.number().int(), startedAt: z.string(), finishedAt: z.string().nullable() })
      .optional()
      .parse(snapshotBySequence(this.opts.db, election, sequence));
    if (s === undefined) return err(operatorError('snapshot-unknown', `There is no snapshot #${sequence}.`, 'Pick a snapshot on the History page.'));
    const writes = z.array(z.object({ role: z.enum(['A', 'B']), state: z.string(), message: z.string().nullable() })).parse(driveWritesOf(this.opts.db, s.id));
    const perDrive = driveRoles.map((role) => {
      const mine = writes.filter((w) => w.role === role);
      if (mine.some((w) => w.state === 'complete')) return { role, state: 'complete' as const };
      const last = mine[mine.length - 1];
      return { role, state: 'failed' as const, error: operatorError('drive-not-verified', last?.message ?? `Snapshot #${sequence} was never written to drive ${role}.`) };
    });
    return ok({ sequence, rootHash: s.rootHash, bagName: s.bagName, files: s.files, bytes: s.bytes, startedAt: s.startedAt, finishedAt: s.finishedAt ?? s.startedAt, perDrive });
  }

  private refuse<T>(action: string, p: Permission): Result<T> {
    const e = refused(p);
    logEvent(this.opts.logger, LogEvent.CustodyRefused, { action, code: e.code, error: e.message }, 'warn');
    return err(e);
  }
}
