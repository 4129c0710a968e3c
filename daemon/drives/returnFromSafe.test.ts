import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.ts';
import { openDatabase, type Db } from '../db/database.ts';
import { silentLogger } from '../log/logger.ts';
import { assertOk, ok, type Result } from '../result.ts';
import type { SnapshotOutcome } from '../snapshot/api.ts';
import { AlertLog } from '../state/alerts.ts';
import { AuditLog } from '../state/auditLog.ts';
import { discoverDrives, systemSources } from './discovery.ts';
import { spawnDriveHelper } from './helperClient.ts';
import { DriveWatcher } from './hotplug.ts';
import { DriveService, type DriveReturn } from './service.ts';
import { attach, canUseLoopDevices, isMountPoint, makeLoopImage, tempDir, unmountAllOf, type LoopImage } from './testSupport.ts';
import type { DriveCandidate, DriveVerifyReport } from './types.ts';

/**
 * The snapshot engine's `verify` is not in the tree yet, so this is a minimal stand-in written for
 * the test: re-hash every entry of every manifest-sha256.txt on the drive.
 */
async function minimalVerify(root: string): Promise<Result<DriveVerifyReport>> {
  const problems: string[] = [];
  let files = 0;
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : e.name === 'manifest-sha256.txt' ? [join(d, e.name)] : []));
  for (const manifest of walk(root)) {
    for (const line of readFileSync(manifest, 'utf8').split('\n').filter(Boolean)) {
      const [hash, path] = [line.slice(0, 64), line.slice(66)];
      files++;
      try {
        const got = createHash('sha256').update(readFileSync(join(dirname(manifest), path))).digest('hex');
        if (got !== hash) problems.push(`${path}: SHA-256 mismatch`);
      } catch {
        problems.push(`${path}: missing`);
      }
    }
  }
  return ok({ ok: problems.length === 0 && files > 0, filesChecked: files, problems: files === 0 ? ['no snapshot on the drive'] : problems });
}

/** Writes a tiny bag the way the engine would (data + manifest), standing in for a snapshot run. */
function writeBag(root: string): void {
  const bag = join(root, 'sample-election', '000001-20261103T220000Z');
  mkdirSync(join(bag, 'data', 'central-scan'), { recursive: true });
  const files: Record<string, string> = { 'data/central-scan/ballot-0001.tif': 'II*\u0000 image one', 'data/central-scan/ballot-0002.tif': 'II*\u0000 image two', 'data/cvr.json': '{"cvr":1}' };
  let manifest = '';
  for (const [p, body] of Object.entries(files)) {
    writeFileSync(join(bag, p), body);
    manifest += `${createHash('sha256').update(body).digest('hex')}  ${p}\n`;
  }
  writeFileSync(join(bag, 'manifest-sha256.txt'), manifest);
}

async function waitFor<T>(what: string, get: () => T | undefined, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!canUseLoopDevices)('drives to the safe and back, on real exFAT images', () => {
  const dir = tempDir('bs-return-');
  const base = join(dir.path, 'media');
  const env = { BALLOTSAFE_HELPER_MOUNT_BASE: base, BALLOTSAFE_HELPER_USER: 'root', BALLOTSAFE_HELPER_ALLOW_LOOP: '1' };
  const images: LoopImage[] = [];
  const reattached: string[] = [];
  let db: Db;
  let svc: DriveService;
  let watcher: DriveWatcher;
  const mine = () => new Set([...images.map((i) => i.device), ...reattached].filter((d): d is string => d !== null));
  // Other tests (and other teams) attach loop devices at the same time: only look at ours.
  const discover = async (): Promise<Result<DriveCandidate[]>> => {
    const r = await discoverDrives(systemSources, { allowLoop: true });
    const own = mine();
    return r.ok ? ok(r.value.filter((c) => own.has(c.disk))) : r;
  };

  beforeAll(async () => {
    images.push(makeLoopImage(dir.path, 'drive-a', { label: 'NEW-A' }), makeLoopImage(dir.path, 'drive-b', { label: 'NEW-B' }));
    db = openDatabase(join(dir.path, 'ballotsafe.db'));
    svc = new DriveService({
      config: assertOk(parseConfig({ drives: { mode: 'usb' } }, dir.path)),
      db,
      logger: silentLogger(),
      helper: spawnDriveHelper({ env }),
      discover,
      mountBase: base,
      verify: minimalVerify,
    });
    watcher = new DriveWatcher(discover, silentLogger(), 200);
    await watcher.start({ udevadm: true });
  });

  afterAll(() => {
    watcher?.stop();
    for (const i of images) i.detach();
    for (const d of reattached) {
      unmountAllOf(d);
      try {
        execFileSync('losetup', ['-d', d], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    db?.close();
    dir.remove();
  });

  it('enrolls, snapshots, ejects with custody, detects detach and re-attach, and flags the corrupted drive', async () => {
    const [a, b] = images;
    if (a?.device == null || b?.device == null) throw new Error('loop setup failed');
    expect(watcher.current().map((c) => c.disk).sort()).toEqual([a.device, b.device].sort());

    // Enroll: identity file written, drive left unmounted.
    const ea = assertOk(await svc.enroll({ target: a.device, role: 'A', operator: 'maria' }));
    const eb = assertOk(await svc.enroll({ target: b.device, role: 'B', operator: 'maria' }));
    expect(ea.fsUuid).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(isMountPoint(join(base, 'A'))).toBe(false);

    // Snapshot: both mounted at their roles; the stand-in engine writes a bag to each.
    const targets = assertOk(await svc.prepareTargets());
    expect(targets.map((t) => [t.role, t.root, t.uuid])).toEqual([
      ['A', join(base, 'A'), ea.fsUuid],
      ['B', join(base, 'B'), eb.fsUuid],
    ]);
    for (const t of targets) writeBag(t.root);
    const outcome: SnapshotOutcome = { sequence: 1, rootHash: 'c'.repeat(64), bagName: '000001-20261103T220000Z', files: 3, bytes: 40, startedAt: '', finishedAt: '', perDrive: [{ role: 'A', state: 'complete' }, { role: 'B', state: 'complete' }] };
    const custody = assertOk(await svc.handOff(outcome, { operator: 'maria', destinations: { A: 'Clerk safe', B: 'Sheriff safe' } }));
    expect(custody.drives.map((d) => [d.role, d.uuid, d.ejected])).toEqual([
      ['A', ea.fsUuid, true],
      ['B', eb.fsUuid, true],
    ]);
    expect(isMountPoint(join(base, 'A')) || isMountPoint(join(base, 'B'))).toBe(false);

    // In the safe, someone alters a ballot image on drive B.
    const tamper = join(dir.path, 'tamper');
    mkdirSync(tamper);
    execFileSync('mount.exfat-fuse', [b.device, tamper], { stdio: 'ignore' });
    try {
      writeFileSync(join(tamper, 'sample-election', '000001-20261103T220000Z', 'data', 'central-scan', 'ballot-0002.tif'), 'II*\u0000 altered');
    } finally {
      execFileSync('umount', [tamper]);
    }

    // Unplug both (detach the loop devices): the poller notices.
    const detached: string[] = [];
    watcher.on('detached', (c) => detached.push(c.disk));
    const oldA = a.device;
    const oldB = b.device;
    a.detach();
    b.detach();
    await waitFor('detach events', () => (detached.length >= 2 ? detached : undefined));
    expect(detached.sort()).toEqual([oldA, oldB].sort());

    // Plug them back in: each enrolled drive is verified automatically.
    const results = new Map<string, Result<DriveReturn>>();
    svc.watchReturns(watcher, (r, c) => results.set(c.uuid ?? c.device, r));
    reattached.push(attach(a.image));
    reattached.push(attach(b.image));
    await watcher.scanNow();
    const ra = await waitFor('drive A check', () => results.get(ea.fsUuid ?? ''));
    const rb = await waitFor('drive B check', () => results.get(eb.fsUuid ?? ''));
    expect(ra.ok && ra.value).toMatchObject({ driveId: ea.id, ok: true, filesChecked: 3 });
    expect(rb.ok && rb.value).toMatchObject({ driveId: eb.id, ok: false, filesChecked: 3 });
    if (rb.ok) expect(rb.value.problems).toEqual(['data/central-scan/ballot-0002.tif: SHA-256 mismatch']);
    // Checked and unmounted again.
    expect(isMountPoint(join(base, 'A')) || isMountPoint(join(base, 'B'))).toBe(false);

    const alerts = new AlertLog(db, silentLogger()).open();
    expect(alerts.map((x) => [x.severity, x.code])).toEqual([['critical', 'drive-return-verify-failed']]);
    expect(alerts[0]?.message).toContain('Drive B');
    expect(svc.store.returns().map((r) => [r.driveId, r.ok])).toEqual([
      [eb.id, false],
      [ea.id, true],
    ]);
    const actions = new AuditLog(db, silentLogger()).recent().map((e) => e.action);
    expect(actions.filter((x) => x === 'drive.returned')).toHaveLength(2);
    expect(actions).toContain('custody.recorded');
  });
});
