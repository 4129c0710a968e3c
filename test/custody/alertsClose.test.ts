/**
 * Issue #15: alerts close themselves when their cause is gone (with an audit entry saying so), and
 * a cause that repeats (a refused drive left plugged in) updates one alert instead of adding one
 * per snapshot. Real engine, real folder drives and tmpfs mounts, real database.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { AlertLog } from '../../daemon/core/state/alerts.ts';
import { AuditLog } from '../../daemon/core/state/auditLog.ts';
import { bagDirs, electionDirOf } from '../security/verifyForge.ts';
import { folderDrives, makeAppliance, type Appliance } from '../snapshot/fixture.ts';
import { TestMounts } from '../snapshot/mounts.ts';
import { makeCustodyRig, type CustodyRig } from './rig.ts';

const isRoot = process.getuid?.() === 0;

function addFiles(app: Appliance, batch: number, files: number, size: number): void {
  for (let i = 0; i < files; i++) {
    const buf = Buffer.alloc(size, (batch * 31 + i) & 0xff);
    buf.writeUInt32BE(batch * 1000 + i, 0);
    app.addFile('central-scan', `Batch${batch}/Image${i}.tif`, buf);
  }
}

const resolvedEntries = (audit: AuditLog) => audit.recent(100).filter((e) => e.action === 'alert.resolved');

describe('alerts about a drive on the appliance', () => {
  let app: Appliance;
  let a: string;
  let b: string;
  beforeEach(() => {
    app = makeAppliance();
    a = join(app.dir, 'drive-a');
    b = join(app.dir, 'drive-b');
    mkdirSync(a);
    mkdirSync(b);
  });
  afterEach(() => app?.close());
  const alerts = () => new AlertLog(app.db, silentLogger());
  const audit = () => new AuditLog(app.db, silentLogger());

  it('a drive refused as altered and left plugged in keeps ONE open critical alert that counts the snapshots', async () => {
    app.addFile('central-scan', 'T1/B1/img1.tif', Buffer.alloc(20_000, 1));
    assertOk(await app.engine({ readBackFromMedia: false }).run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) }));
    const img = join(bagDirs(electionDirOf(b))[0] ?? '', 'data', 'central-scan', 'T1', 'B1', 'img1.tif');
    const bytes = readFileSync(img);
    bytes[100] = (bytes[100] ?? 0) ^ 0x01;
    writeFileSync(img, bytes);
    for (let run = 2; run <= 4; run++) {
      app.addFile('central-scan', `T1/B${run}/img.tif`, Buffer.alloc(1000, run));
      const r = assertOk(await app.engine({ readBackFromMedia: false }).run({ reason: 'schedule', actor: 'system', drives: folderDrives(a, b) }));
      expect(r.perDrive.map((d) => d.state)).toEqual(['complete', 'failed']);
    }
    const open = alerts().open().filter((x) => x.code === 'drive-evidence-mismatch');
    expect(open).toHaveLength(1);
    expect(open[0]?.severity).toBe('critical');
    expect(open[0]?.message).toContain('Drive B does not match what was written to it');
    expect(open[0]?.message).toContain('Refused at 3 snapshots so far');
  });

  it("a snapshot's 'drive got nothing' alert closes when a later snapshot brings that drive level, and the audit log says so", async () => {
    app.addFile('central-scan', 'T1/B1/img1.tif', Buffer.alloc(2000, 1));
    rmSync(b, { recursive: true });
    const first = assertOk(await app.engine().run({ reason: 'schedule', actor: 'system', drives: folderDrives(a, b) }));
    expect(first.perDrive.map((d) => d.state)).toEqual(['complete', 'failed']);
    // Same cause again: still one alert.
    app.addFile('central-scan', 'T1/B2/img2.tif', Buffer.alloc(2000, 2));
    assertOk(await app.engine().run({ reason: 'schedule', actor: 'system', drives: folderDrives(a, b) }));
    expect(alerts().open().map((x) => x.code)).toEqual(['snapshot-drive-failed']);
    expect(alerts().open()[0]?.message).toContain('This happened at 2 snapshots in a row');
    mkdirSync(b);
    const caughtUp = assertOk(await app.engine().run({ reason: 'end-of-day', actor: 'olivia', drives: folderDrives(a, b) }));
    expect(caughtUp.perDrive.map((d) => d.state)).toEqual(['complete', 'complete']);
    expect(alerts().open()).toEqual([]);
    const closed = alerts().all().find((x) => x.code === 'snapshot-drive-failed');
    expect(closed?.acknowledged_by).toBe('ballotsafe (cause gone)');
    const entries = resolvedEntries(audit());
    expect(entries).toHaveLength(1);
    expect(JSON.stringify(entries[0])).toContain('Drive B took snapshot #3, read back and verified: it holds every captured file again.');
  });

  it.skipIf(!isRoot)('a drive that filled up mid-write: its alert closes once the catch-up brought it level', async () => {
    const mounts = new TestMounts();
    try {
      const ta = mounts.tmpfs('16m');
      const tb = mounts.tmpfs('8m');
      addFiles(app, 1, 40, 100_000);
      const engine = app.engine({ progressIntervalMs: 0 });
      let filled = false;
      const res = assertOk(
        await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(ta.mountPoint, tb.mountPoint) }, (p) => {
          if (!filled && p.phase === 'writing' && p.filesDone >= 5) {
            filled = true;
            spawnSync('dd', ['if=/dev/zero', `of=${join(tb.mountPoint, 'filler.bin')}`, 'bs=1M', 'count=16'], { stdio: 'ignore' });
          }
        }),
      );
      expect(res.perDrive[1]?.error?.code).toBe('drive-full');
      expect(alerts().open().map((x) => x.code)).toEqual(['snapshot-drive-failed']);
      rmSync(join(tb.mountPoint, 'filler.bin'));
      addFiles(app, 2, 3, 100_000);
      const next = assertOk(await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(ta.mountPoint, tb.mountPoint) }));
      expect(next.perDrive.map((d) => d.state)).toEqual(['complete', 'complete']);
      expect(alerts().open()).toEqual([]);
      expect(resolvedEntries(audit())).toHaveLength(1);
    } finally {
      mounts.cleanup();
    }
  });
});

describe('an alert about a drive that was not there', () => {
  let rig: CustodyRig;
  beforeEach(async () => {
    rig = await makeCustodyRig();
  });
  afterEach(() => rig.cleanup());

  it('closes when the enrolled drive is plugged back in (the overview reads the custody state)', async () => {
    await rig.enroll();
    rig.capture(2);
    expect((await rig.snapshot()).status).toBe(202);
    rig.unplug('B');
    rig.capture(1);
    // The drive disappears after the checks (or a schedule ran the engine): it drops out of the snapshot.
    const folders = folderDrives(rig.config.drives.mode === 'folders' ? rig.config.drives.a : '', rig.config.drives.mode === 'folders' ? rig.config.drives.b : '');
    const r = assertOk(await rig.engine.run({ reason: 'schedule', actor: 'system', drives: folders }));
    expect(r.perDrive.map((d) => d.state)).toEqual(['complete', 'failed']);
    const log = new AlertLog(rig.db, silentLogger());
    expect(log.open().map((x) => x.code)).toEqual(['snapshot-drive-failed']);
    expect((await rig.get('/')).status).toBe(200);
    expect(log.open()).toHaveLength(1); // still not there: still open
    rig.plugIn('B');
    expect((await rig.get('/')).status).toBe(200);
    expect(log.open()).toEqual([]);
    expect(JSON.stringify(resolvedEntries(new AuditLog(rig.db, silentLogger())))).toContain('Drive B is plugged in again.');
  });
});
