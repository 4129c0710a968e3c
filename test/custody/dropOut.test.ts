/**
 * Issue #15: a drive that cannot take a snapshot (too full before it starts, write-protected, not
 * there) drops out before anything is written: the other drive still gets the snapshot and a
 * critical alert says what to do. Real tmpfs mounts (root only), the real engine, the triggers.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SnapshotTriggers } from '../../daemon/drives/triggers.ts';
import { runnerOver } from '../../daemon/drives/testSupport.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk, err, ok, operatorError } from '../../daemon/core/result.ts';
import { verifyPath } from '../../daemon/snapshot/verify.ts';
import { AlertLog } from '../../daemon/core/state/alerts.ts';
import { folderDrives, makeAppliance, type Appliance } from '../snapshot/fixture.ts';
import { TestMounts } from '../snapshot/mounts.ts';

const isRoot = process.getuid?.() === 0;

function addFiles(app: Appliance, batch: number, files: number, size: number): void {
  for (let i = 0; i < files; i++) {
    const buf = Buffer.alloc(size, (batch * 31 + i) & 0xff);
    buf.writeUInt32BE(batch * 1000 + i, 0);
    app.addFile('central-scan', `Batch${batch}/Image${i}.tif`, buf);
  }
}

const bags = (root: string) => readdirSync(join(root, 'ballotsafe', 'test-election', 'snapshots'));

describe.skipIf(!isRoot)('a drive that cannot take the snapshot drops out before writing', () => {
  let mounts: TestMounts;
  let app: Appliance;
  beforeEach(() => {
    mounts = new TestMounts();
    app = makeAppliance();
  });
  afterEach(() => {
    app.close();
    mounts.cleanup();
  });
  const openAlerts = () => new AlertLog(app.db, silentLogger()).open();

  it('scheduled runs with a full drive B still write drive A, and raise a critical alert saying what to do', async () => {
    const a = mounts.tmpfs('16m');
    const b = mounts.tmpfs('1m');
    addFiles(app, 1, 20, 100_000);
    const engine = app.engine();
    const triggers = new SnapshotTriggers(
      { ...runnerOver(engine, async () => ok(folderDrives(a.mountPoint, b.mountPoint))), handOff: async () => err(operatorError('x', 'x')), logger: silentLogger() },
      { schedules: [], settledAfterMinutes: null },
    );
    const first = assertOk(await triggers.requestSnapshot({ reason: 'schedule', actor: 'system' }));
    expect(first.outcome.perDrive.map((d) => `${d.role}:${d.state}`)).toEqual(['A:complete', 'B:failed']);
    expect(first.outcome.perDrive[1]?.error?.code).toBe('drive-too-small');
    expect(bags(a.mountPoint)).toHaveLength(1);
    expect(bags(b.mountPoint)).toEqual([]);
    expect((await verifyPath(a.mountPoint)).ok).toBe(true);
    const alerts = openAlerts();
    expect(alerts).toEqual([expect.objectContaining({ severity: 'critical', code: 'snapshot-drive-failed' })]);
    expect(alerts[0]?.message).toMatch(/Drive B has [\d.]+ [KMG]B free; this snapshot needs about [\d.]+ [KMG]B.*Drive A holds a complete, verified copy/s);
    expect(alerts[0]?.action).toMatch(/Replace drive B .*End-of-day snapshot/);
    expect(alerts[0]?.message).not.toContain(b.mountPoint);
  });

  it('a write-protected drive drops out; drive A gets the snapshot', async () => {
    const a = mounts.tmpfs('16m');
    const b = mounts.tmpfs('16m');
    addFiles(app, 1, 3, 10_000);
    assertOk(await app.engine().run({ reason: 'operator', actor: 't', drives: folderDrives(a.mountPoint, b.mountPoint) }));
    expect(spawnSync('mount', ['-o', 'remount,ro', b.mountPoint]).status).toBe(0);
    addFiles(app, 2, 3, 10_000);
    const r = assertOk(await app.engine().run({ reason: 'operator', actor: 't', drives: folderDrives(a.mountPoint, b.mountPoint) }));
    expect(r.perDrive[0]).toEqual({ role: 'A', state: 'complete' });
    expect(r.perDrive[1]?.error?.code).toBe('drive-read-only');
    expect(r.perDrive[1]?.error?.message).toBe('Drive B is write-protected (read-only), so it gets nothing from this snapshot.');
    expect(bags(a.mountPoint)).toHaveLength(2);
    expect(bags(b.mountPoint)).toHaveLength(1);
    expect(openAlerts().map((x) => x.code)).toEqual(['snapshot-drive-failed']);
  });

  it('a drive that is not there drops out; with neither drive usable nothing is written and the alert is raised', async () => {
    const a = mounts.tmpfs('16m');
    addFiles(app, 1, 3, 10_000);
    const one = assertOk(await app.engine().run({ reason: 'schedule', actor: 'system', drives: folderDrives(a.mountPoint, join(a.mountPoint, '..', 'no-such-drive')) }));
    expect(one.perDrive.map((d) => d.state)).toEqual(['complete', 'failed']);
    expect(one.perDrive[1]?.error?.code).toBe('drive-missing');
    const small = mounts.tmpfs('1m');
    const tiny = mounts.tmpfs('1m');
    addFiles(app, 2, 20, 100_000);
    const none = await app.engine().run({ reason: 'schedule', actor: 'system', drives: folderDrives(small.mountPoint, tiny.mountPoint) });
    expect(!none.ok && none.error.code).toBe('drive-too-small');
    expect(bags(small.mountPoint)).toEqual([]);
    expect(app.engine().listSnapshots()).toHaveLength(1);
    expect(openAlerts().filter((x) => x.severity === 'critical').length).toBeGreaterThanOrEqual(3);
  });
});
