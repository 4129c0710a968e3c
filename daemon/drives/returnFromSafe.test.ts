import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import { dataPaths, parseConfig } from '../core/config.ts';
import { openStateDatabase, type Db } from '../runtime/stateDatabase.ts';
import { silentLogger } from '../core/log/logger.ts';
import { assertOk, ok, type Result } from '../core/result.ts';
import { SnapshotEngine } from '../snapshot/engine.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { AuditLog } from '../core/state/auditLog.ts';
import { discoverDrives, systemSources } from './discovery.ts';
import { spawnDriveHelper } from './helperClient.ts';
import { DriveWatcher } from './hotplug.ts';
import { DriveService, type DriveReturn } from './service.ts';
import { attach, canUseLoopDevices, runnerOver, isMountPoint, makeLoopImage, tempDir, unmountAllOf, type LoopImage } from './testSupport.ts';
import { SnapshotTriggers } from './triggers.ts';
import type { DriveCandidate } from './types.ts';
import { verifyDriveWithEngine } from './wiring.ts';

/** Puts a file into the catalog and the vault the way capture does (the engine reads both). */
function catalogFile(db: Db, vault: string, root: string, relPath: string, kind: string, bytes: Buffer): void {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const path = vaultObjectPath(vault, sha);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  const at = new Date().toISOString();
  db.prepare(
    `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
     VALUES (?, ?, ?, ?, '0', '0', '1', ?, ?, ?, ?)`,
  ).run(root, relPath, Buffer.from(relPath), bytes.length, sha, kind, at, at);
}

function findFile(dir: string, name: string): string | undefined {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      const f = findFile(p, name);
      if (f !== undefined) return f;
    } else if (e.name === name) return p;
  }
  return undefined;
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
  let triggers: SnapshotTriggers;
  const mine = () => new Set([...images.map((i) => i.device), ...reattached].filter((d): d is string => d !== null));
  // Other tests (and other teams) attach loop devices at the same time: only look at ours.
  const discover = async (): Promise<Result<DriveCandidate[]>> => {
    const r = await discoverDrives(systemSources, { allowLoop: true });
    const own = mine();
    return r.ok ? ok(r.value.filter((c) => own.has(c.disk))) : r;
  };

  beforeAll(async () => {
    images.push(makeLoopImage(dir.path, 'drive-a', { label: 'NEW-A' }), makeLoopImage(dir.path, 'drive-b', { label: 'NEW-B' }));
    const config = assertOk(parseConfig({ dataDir: 'var', election: { name: 'gen-2026', title: 'General 2026' }, drives: { mode: 'usb' } }, dir.path));
    db = openStateDatabase(dataPaths(config).database);
    const vault = dataPaths(config).vault;
    catalogFile(db, vault, 'central-scan', 'Tabulator00001/Batch001/ballot-0001.tif', 'ballot-image', Buffer.from('II*\u0000 image one'));
    catalogFile(db, vault, 'central-scan', 'Tabulator00001/Batch001/ballot-0002.tif', 'ballot-image', Buffer.from('II*\u0000 image two'));
    catalogFile(db, vault, 'cvr-exports', 'CvrExport_0.json', 'cvr', Buffer.from('{"Version":"5.17","Sessions":[]}'));
    // The real snapshot engine and its offline verify.
    const engine = new SnapshotEngine({ db, config, logger: silentLogger() });
    svc = new DriveService({
      config,
      db,
      logger: silentLogger(),
      helper: spawnDriveHelper({ env }),
      discover,
      mountBase: base,
      verify: verifyDriveWithEngine,
      isSnapshotRunning: () => engine.isBusy(),
    });
    triggers = new SnapshotTriggers(
      { ...runnerOver(engine, () => svc.prepareTargets()), handOff: (o, r) => svc.handOff(o, r), logger: silentLogger() },
      config.snapshot,
    );
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

  it('enrolls, snapshots with the real engine, hands off, sees detach and re-attach, and flags the tampered drive with the real verify', async () => {
    const [a, b] = images;
    if (a?.device == null || b?.device == null) throw new Error('loop setup failed');
    expect(watcher.current().map((c) => c.disk).sort()).toEqual([a.device, b.device].sort());

    // Enroll: identity file written, drive left unmounted.
    const ea = assertOk(await svc.enroll({ target: a.device, role: 'A', operator: 'maria' }));
    const eb = assertOk(await svc.enroll({ target: b.device, role: 'B', operator: 'maria' }));
    expect(ea.fsUuid).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    expect(isMountPoint(join(base, 'A'))).toBe(false);

    // Poll close: the real engine writes and verifies both drives, then both are ejected and custody recorded.
    const done = await triggers.requestSnapshot({ reason: 'poll-close', actor: 'maria', handOff: { operator: 'maria', witness: 'joe', destinations: { A: 'Clerk safe', B: 'Sheriff safe' } } });
    if (!done.ok) throw new Error(JSON.stringify(done.error));
    expect(done.value.outcome.perDrive.map((d) => d.state)).toEqual(['complete', 'complete']);
    const custody = done.value.custody;
    expect(custody?.rootHash).toBe(done.value.outcome.rootHash);
    expect(custody?.drives.map((d) => [d.role, d.uuid, d.ejected])).toEqual([
      ['A', ea.fsUuid, true],
      ['B', eb.fsUuid, true],
    ]);
    expect(isMountPoint(join(base, 'A')) || isMountPoint(join(base, 'B'))).toBe(false);

    // In the safe, someone alters a ballot image on drive B.
    const tamper = join(dir.path, 'tamper');
    mkdirSync(tamper);
    execFileSync('mount.exfat-fuse', [b.device, tamper], { stdio: 'ignore' });
    try {
      const victim = findFile(tamper, 'ballot-0002.tif');
      if (victim === undefined) throw new Error('snapshot file not found on drive B');
      writeFileSync(victim, 'II*\u0000 image 2wo'); // same size, different bytes
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
    expect(ra.ok && ra.value).toMatchObject({ driveId: ea.id, ok: true, problems: [] });
    expect(ra.ok && ra.value.filesChecked).toBeGreaterThanOrEqual(3);
    expect(rb.ok && rb.value).toMatchObject({ driveId: eb.id, ok: false });
    if (rb.ok) {
      expect(rb.value.problems).toHaveLength(1);
      expect(rb.value.problems[0]).toMatch(/^BAD .*ballot-0002\.tif/);
    }
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
