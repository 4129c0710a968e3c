import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../core/config.ts';
import { silentLogger } from '../core/log/logger.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { DriveTarget, SnapshotOutcome, SnapshotRequest, SnapshotService } from '../snapshot/api.ts';
import type { CustodyRecord } from './store.ts';
import { runnerOver } from './testSupport.ts';
import { SnapshotTriggers, validateSchedules } from './triggers.ts';

/** A snapshot engine stand-in whose runs finish when the test says so. */
class ControlledSnapshots implements SnapshotService {
  readonly requests: SnapshotRequest[] = [];
  private pending: ((r: Result<SnapshotOutcome>) => void)[] = [];
  private busy = false;
  isBusy() {
    return this.busy;
  }
  run(request: SnapshotRequest): Promise<Result<SnapshotOutcome>> {
    if (this.busy) return Promise.resolve(err(operatorError('snapshot-busy', 'busy')));
    this.busy = true;
    this.requests.push(request);
    return new Promise((resolve) => this.pending.push(resolve));
  }
  finish(outcome: Partial<SnapshotOutcome> = {}) {
    const r = this.pending.shift();
    if (r === undefined) throw new Error('no snapshot running');
    this.busy = false;
    r(
      ok({
        sequence: this.requests.length,
        rootHash: 'b'.repeat(64),
        bagName: 'bag',
        files: 1,
        bytes: 1,
        startedAt: '',
        finishedAt: '',
        perDrive: [
          { role: 'A', state: 'complete' },
          { role: 'B', state: 'complete' },
        ],
        ...outcome,
      }),
    );
  }
}

const targets: DriveTarget[] = [
  { role: 'A', root: '/media/ballotsafe/A' },
  { role: 'B', root: '/media/ballotsafe/B' },
];

function setup(schedules: string[], settledAfterMinutes: number | null = null) {
  const snapshots = new ControlledSnapshots();
  const handOffs: string[] = [];
  const background: string[] = [];
  const triggers = new SnapshotTriggers(
    {
      ...runnerOver(snapshots, async () => ok(targets)),
      handOff: async (outcome, req) => {
        handOffs.push(`${outcome.sequence}:${req.operator}`);
        return ok({ id: 1, recordedAt: '', snapshotSequence: outcome.sequence, rootHash: outcome.rootHash, bagName: outcome.bagName, operator: req.operator, witness: null, drives: [], signingKeyId: null } satisfies CustodyRecord);
      },
      logger: silentLogger(),
      onBackgroundResult: (reason, r) => background.push(`${reason}:${r.ok ? 'ok' : r.error.code}`),
    },
    { schedules, settledAfterMinutes },
  );
  return { snapshots, triggers, handOffs, background };
}

/** Lets promise callbacks run between fake-timer steps. */
const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

describe('schedule validation', () => {
  it('names the config key of a bad cron expression at load time', () => {
    const r = parseConfig({ snapshot: { schedules: ['0 22 * * *', '61 25 * * *'] } });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.message).toContain('snapshot.schedules.1: is not a valid cron expression');
    expect(parseConfig({ snapshot: { schedules: ['0 22 * * *', '*/15 7-21 * * 1-5'] } }).ok).toBe(true);
    const v = validateSchedules(['nonsense']);
    expect(!v.ok && v.error.message).toContain('snapshot.schedules.0: "nonsense"');
    const t = setup(['every day']).triggers.start();
    expect(t.ok).toBe(false);
  });
});

describe('SnapshotTriggers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date(2026, 10, 3, 21, 58, 30));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('fires the cron schedule at 22:00 and not before', async () => {
    const { snapshots, triggers, background } = setup(['0 22 * * *']);
    expect(triggers.start().ok).toBe(true);
    await vi.advanceTimersByTimeAsync(60_000); // 21:59:30
    expect(snapshots.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(45_000); // 22:00:15
    expect(snapshots.requests).toHaveLength(1);
    expect(snapshots.requests[0]).toMatchObject({ reason: 'schedule', actor: 'system', drives: targets });
    snapshots.finish();
    await flush();
    expect(background).toEqual(['schedule:ok']);
    // Next day, same time.
    await vi.advanceTimersByTimeAsync(24 * 3600_000);
    expect(snapshots.requests).toHaveLength(2);
    triggers.stop();
  });

  it('answers "busy" to a second request while one runs, and runs it afterwards when asked to wait', async () => {
    const { snapshots, triggers, handOffs } = setup([]);
    const first = triggers.requestSnapshot({ reason: 'operator', actor: 'maria' });
    await flush();
    expect(triggers.isBusy()).toBe(true);
    const second = await triggers.requestSnapshot({ reason: 'poll-close', actor: 'joe' });
    expect(second.ok).toBe(false);
    if (!second.ok) {
      expect(second.error.code).toBe('snapshot-busy');
      expect(second.error.action).toContain('Wait for it to finish');
    }
    const waiting = triggers.requestSnapshot({ reason: 'end-of-day', actor: 'joe', wait: true, handOff: { operator: 'joe', witness: 'sam', destinations: { A: 'x', B: 'y' } } });
    await flush();
    expect(snapshots.requests).toHaveLength(1);
    snapshots.finish();
    expect((await first).ok).toBe(true);
    await flush();
    expect(snapshots.requests.map((r) => r.reason)).toEqual(['operator', 'end-of-day']);
    snapshots.finish();
    const done = await waiting;
    expect(done.ok && done.value.custody?.operator).toBe('joe');
    expect(handOffs).toEqual(['2:joe']);
    expect(triggers.isBusy()).toBe(false);
  });

  it('skips a schedule that fires during a running snapshot, with a busy result', async () => {
    const { snapshots, triggers, background } = setup(['0 22 * * *']);
    triggers.start();
    void triggers.requestSnapshot({ reason: 'operator', actor: 'maria' });
    await vi.advanceTimersByTimeAsync(120_000);
    expect(snapshots.requests).toHaveLength(1);
    expect(background).toEqual(['schedule:snapshot-busy']);
    triggers.stop();
  });

  it('starts the export-settled snapshot N minutes after the last new file', async () => {
    const { snapshots, triggers } = setup([], 10);
    triggers.onFileCaptured();
    await vi.advanceTimersByTimeAsync(9 * 60_000);
    triggers.onFileCaptured(); // a new file restarts the wait
    await vi.advanceTimersByTimeAsync(9 * 60_000);
    expect(snapshots.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(60_000 + 1);
    expect(snapshots.requests.map((r) => r.reason)).toEqual(['export-settled']);
    triggers.stop();
  });

  it('is off when settledAfterMinutes is null', async () => {
    const { snapshots, triggers } = setup([], null);
    triggers.onFileCaptured();
    await vi.advanceTimersByTimeAsync(48 * 3600_000);
    expect(snapshots.requests).toHaveLength(0);
  });

  it('passes drive refusals through without starting a snapshot', async () => {
    const s = setup([]);
    const refusing = new SnapshotTriggers(
      { ...runnerOver(s.snapshots, async () => err(operatorError('drive-unknown', 'not enrolled', 'enroll it'))), handOff: async () => err(operatorError('x', 'x')), logger: silentLogger() },
      { schedules: [], settledAfterMinutes: null },
    );
    const r = await refusing.requestSnapshot({ reason: 'poll-close', actor: 'maria' });
    expect(!r.ok && r.error.code).toBe('drive-unknown');
    expect(s.snapshots.requests).toHaveLength(0);
    expect(refusing.isBusy()).toBe(false);
  });
});
