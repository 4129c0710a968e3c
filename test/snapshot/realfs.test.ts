import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { vaultObjectPath } from '../../daemon/capture/vaultLayout.ts';
import { dataPaths } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { z } from 'zod';
import { AlertLog, alertDetails } from '../../daemon/core/state/alerts.ts';
import { verifyPath } from '../../daemon/snapshot/verify.ts';
import { folderDrives, makeAppliance, type Appliance } from './fixture.ts';
import { TestMounts } from './mounts.ts';

const isRoot = process.getuid?.() === 0;

function sh(cmd: string, cwd: string): { code: number; out: string } {
  const r = spawnSync('sh', ['-c', cmd], { cwd, encoding: 'utf8' });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function checkWithStandardTools(drive: string): void {
  const election = join(drive, 'ballotsafe', 'test-election');
  expect(sh('sha256sum -c --quiet cumulative-manifest-sha256.txt', election)).toEqual({ code: 0, out: '' });
  for (const bag of readdirSync(join(election, 'snapshots'))) {
    const r = sh('sha256sum -c --quiet tagmanifest-sha256.txt && sha256sum -c --quiet manifest-sha256.txt && minisign -Vm tagmanifest-sha256.txt -p ../../ballotsafe-appliance.pub', join(election, 'snapshots', bag));
    expect(r.out).toContain('Signature and comment signature verified');
    expect(r.code).toBe(0);
  }
}

function addBatch(app: Appliance, batch: number, files: number, size: number): void {
  for (let i = 0; i < files; i++) {
    const buf = Buffer.alloc(size, (batch * 31 + i) & 0xff);
    buf.writeUInt32BE(batch * 1000 + i, 0);
    app.addFile('central-scan', `Tabulator00001/Batch${String(batch).padStart(3, '0')}/Image${String(i).padStart(5, '0')}.tif`, buf);
  }
}

const oddNames = ['odd/a:b?c*"d|e<f>g\\h.tif', 'odd/CON', 'odd/aux.json', 'odd/dots...', 'odd/Ünïcödé ballot.tif', 'odd/Case.TIF', 'odd/case.tif', `odd/${'long-name-'.repeat(30)}.tif`];

describe.skipIf(!isRoot)('snapshots on real removable-media file systems', () => {
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

  it('writes the same verifiable bags to an exFAT drive and a FAT32 drive, odd names included', async () => {
    const a = mounts.exfat(64);
    const b = mounts.fat32(64);
    addBatch(app, 1, 20, 30_000);
    for (const [i, p] of oddNames.entries()) app.addFile('central-scan', p, `odd ${i}`);
    const engine = app.engine();
    const first = assertOk(await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(a.mountPoint, b.mountPoint) }));
    expect(first.perDrive.map((d) => d.state)).toEqual(['complete', 'complete']);
    addBatch(app, 2, 5, 30_000);
    const second = assertOk(await engine.run({ reason: 'poll-close', actor: 't', drives: folderDrives(a.mountPoint, b.mountPoint) }));
    expect(second.files).toBe(5);
    for (const d of [a, b]) {
      checkWithStandardTools(d.mountPoint);
      const rep = await verifyPath(d.mountPoint);
      expect(rep.problems).toEqual([]);
      expect(rep.files).toBe(33);
    }
    expect(sh(`diff -r "${a.mountPoint}" "${b.mountPoint}"`, mounts.base)).toEqual({ code: 0, out: '' });
  });

  it('refuses a 4 GiB file for a FAT32 drive before writing anything', async () => {
    const a = mounts.exfat(16);
    const b = mounts.fat32(40);
    // A sparse 4 GiB vault object: the check happens in preflight, before any byte is read.
    const sha = 'f'.repeat(64);
    const obj = vaultObjectPath(dataPaths(app.config).vault, sha);
    mkdirSync(join(obj, '..'), { recursive: true });
    const fd = openSync(obj, 'w');
    writeSync(fd, Buffer.from([0]), 0, 1, 4 * 1024 ** 3);
    closeSync(fd);
    app.db
      .prepare(`INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at) VALUES ('cvr-exports', 'big.zip', X'00', ?, '0', '0', '1', ?, 'cvr', 't', 't')`)
      .run(4 * 1024 ** 3 + 1, sha);
    const res = await app.engine().run({ reason: 'operator', actor: 't', drives: folderDrives(a.mountPoint, b.mountPoint) });
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.error.code).toBe('drive-fat32-file-too-large');
      expect(res.error.message).toContain('cvr-exports/big.zip');
      expect(res.error.action).toMatch(/exFAT/);
    }
    expect(existsSync(join(b.mountPoint, 'ballotsafe', 'test-election', 'snapshots')) ? readdirSync(join(b.mountPoint, 'ballotsafe', 'test-election', 'snapshots')) : []).toEqual([]);
  });

  it('drops a drive that is too small before writing, saying how much is needed; the other drive gets the snapshot', async () => {
    // Issue #15: this used to refuse the whole snapshot (drive A got nothing, no alert).
    const a = mounts.tmpfs('16m');
    const b = mounts.tmpfs('2m');
    addBatch(app, 1, 30, 100_000);
    const res = assertOk(await app.engine().run({ reason: 'operator', actor: 't', drives: folderDrives(a.mountPoint, b.mountPoint) }));
    expect(res.perDrive[0]).toEqual({ role: 'A', state: 'complete' });
    expect(res.perDrive[1]?.error?.code).toBe('drive-too-small');
    expect(res.perDrive[1]?.error?.message).toMatch(/Drive B has [\d.]+ [KMG]B free; this snapshot needs about [\d.]+ [KMG]B/);
    expect(readdirSync(join(b.mountPoint, 'ballotsafe', 'test-election', 'snapshots'))).toEqual([]);
    expect((await verifyPath(a.mountPoint)).ok).toBe(true);
    expect(app.engine().listSnapshots()[0]?.state).toBe('degraded');
  });

  it('finishes on drive A when drive B fills up mid-write, raises an alert, and catches B up later', async () => {
    const a = mounts.tmpfs('16m');
    const b = mounts.tmpfs('8m');
    addBatch(app, 1, 40, 100_000);
    const engine = app.engine({ progressIntervalMs: 0 });
    let filled = false;
    const res = assertOk(
      await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(a.mountPoint, b.mountPoint) }, (p) => {
        if (!filled && p.phase === 'writing' && p.filesDone >= 5) {
          filled = true; // someone else's files fill drive B after the preflight
          spawnSync('dd', ['if=/dev/zero', `of=${join(b.mountPoint, 'filler.bin')}`, 'bs=1M', 'count=16'], { stdio: 'ignore' });
        }
      }),
    );
    expect(filled).toBe(true);
    expect(res.perDrive[0]).toEqual({ role: 'A', state: 'complete' });
    expect(res.perDrive[1]?.state).toBe('failed');
    expect(res.perDrive[1]?.error?.code).toBe('drive-full');
    const alerts = new AlertLog(app.db, silentLogger()).open();
    expect(alerts).toEqual([expect.objectContaining({ code: 'snapshot-drive-failed', severity: 'critical' })]);
    expect(alerts[0]?.message).toMatch(/Drive B .*full.*Drive A holds a complete, verified copy/s);
    expect((await verifyPath(a.mountPoint)).ok).toBe(true);
    expect((await verifyPath(b.mountPoint)).problems).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'INCOMPLETE' })]));
    expect(engine.listSnapshots()[0]?.state).toBe('degraded');

    // Space is freed (or a replacement drive): the next snapshot brings B level first.
    rmSync(join(b.mountPoint, 'filler.bin'));
    addBatch(app, 2, 3, 100_000);
    const next = assertOk(await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(a.mountPoint, b.mountPoint) }));
    expect(next.sequence).toBe(2);
    expect(next.perDrive.map((d) => d.state)).toEqual(['complete', 'complete']);
    expect((await verifyPath(b.mountPoint)).problems).toEqual([]);
    expect(sh(`diff -r "${a.mountPoint}" "${b.mountPoint}"`, mounts.base)).toEqual({ code: 0, out: '' });
    expect(engine.listSnapshots().map((s) => s.state)).toEqual(['complete', 'complete']);
  });

  it('finishes on drive A when drive B is pulled mid-write (FUSE process killed), then catches up the replugged drive', async () => {
    const a = mounts.exfat(64);
    const b = mounts.exfat(64);
    addBatch(app, 1, 60, 200_000);
    const engine = app.engine({ progressIntervalMs: 0 });
    let pulled = false;
    const res = assertOk(
      await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(a.mountPoint, b.mountPoint) }, (p) => {
        if (!pulled && p.phase === 'writing' && p.filesDone >= 3) {
          pulled = true;
          mounts.pull(b);
        }
      }),
    );
    expect(pulled).toBe(true);
    expect(res.perDrive[0]).toEqual({ role: 'A', state: 'complete' });
    expect(res.perDrive[1]?.state).toBe('failed');
    expect(res.perDrive[1]?.error?.message).toMatch(/Drive B/);
    expect(res.perDrive[1]?.error?.code).toBe('drive-removed');
    // The clerk's alert says which drive in words; the mount point and the system's error are for the technician.
    expect(res.perDrive[1]?.error?.technician).toContain(b.mountPoint);
    const open = new AlertLog(app.db, silentLogger()).open();
    expect(open.map((x) => x.code)).toEqual(['snapshot-drive-failed']);
    const seen = `${open[0]?.message ?? ''} ${open[0]?.subject ?? ''} ${open[0]?.action ?? ''}`;
    expect(seen).toContain('Drive B');
    expect(seen).not.toContain(mounts.base);
    expect(seen).not.toMatch(/\bE[A-Z]{3,}\b/);
    // ...and reach the alert's collapsed "Details for the technician".
    expect(alertDetails(open[0]!, z.object({ technician: z.string() }))?.technician).toContain(b.mountPoint);
    checkWithStandardTools(a.mountPoint);
    expect((await verifyPath(a.mountPoint)).problems).toEqual([]);

    mounts.replug(b);
    // The daemon's start-up recovery (or the next snapshot) brings B level without a new snapshot.
    const rec = assertOk(await engine.recover(folderDrives(a.mountPoint, b.mountPoint)));
    expect(rec.written).toEqual([`B:${res.bagName}`]);
    expect((await verifyPath(b.mountPoint)).problems).toEqual([]);
    checkWithStandardTools(b.mountPoint);
    expect(sh(`diff -r "${a.mountPoint}" "${b.mountPoint}"`, mounts.base)).toEqual({ code: 0, out: '' });
    writeFileSync(join(mounts.base, 'done'), 'x');
  });
});
