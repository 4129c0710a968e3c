import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureService } from '../../daemon/capture/captureService.ts';
import { vaultObjectPath } from '../../daemon/capture/vaultLayout.ts';
import { dataPaths, parseConfig, type Config } from '../../daemon/core/config.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { discoverDrives, systemSources } from '../../daemon/drives/discovery.ts';
import { spawnTransport } from '../../daemon/drives/helperClient.ts';
import { DriveWatcher } from '../../daemon/drives/hotplug.ts';
import { attach, canUseLoopDevices, isMountPoint, mountOptions, tempDir, unmountAllOf } from '../../daemon/drives/testSupport.ts';
import type { DriveCandidate } from '../../daemon/drives/types.ts';
import { IntakeService, type StickCapturer } from '../../daemon/intake/intakeService.ts';
import { stickHelperOver } from '../../daemon/intake/stickHelper.ts';
import type { StickIntake } from '../../daemon/intake/store.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk, ok, type Result } from '../../daemon/core/result.ts';

/**
 * Export sticks on real file systems: exFAT images (mount.exfat-fuse) and an ext4 image (the one
 * stick format that can hold symlinks), "plugged in" by attaching a loop device while the
 * hot-plug watcher runs, mounted by the real root helper script, captured by the real engine.
 */

const sh = (cmd: string, args: string[], opts: { cwd?: string } = {}) => execFileSync(cmd, args, { encoding: 'utf8', ...opts });

/** What an auditor would run on the stick: every file's sha256sum line, sorted, hashed. */
const coreutilsManifest = (dir: string) => sh('sh', ['-c', "find . -type f -printf '%P\\0' | xargs -0 sha256sum | LC_ALL=C sort | sha256sum | cut -d' ' -f1"], { cwd: dir }).trim();

/** An exFAT stick image filled through a temporary rw mount; returns the coreutils manifest hash of its files. */
function makeExfatStick(dir: string, name: string, files: Record<string, Buffer | string>): { image: string; manifest: string } {
  const image = join(dir, `${name}.img`);
  sh('truncate', ['-s', '32M', image]);
  sh('mkfs.exfat', ['-L', name.slice(0, 11), image]);
  const loop = attach(image);
  const mp = join(dir, `fill-${name}`);
  mkdirSync(mp, { recursive: true });
  try {
    sh('mount.exfat-fuse', [loop, mp]);
    for (const [rel, body] of Object.entries(files)) {
      mkdirSync(join(mp, rel, '..'), { recursive: true });
      writeFileSync(join(mp, rel), body);
    }
    const manifest = coreutilsManifest(mp);
    return { image, manifest };
  } finally {
    unmountAllOf(loop);
    sh('losetup', ['-d', loop]);
  }
}

async function waitFor<T>(what: string, get: () => T | undefined, ms = 30_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = get();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function fusePidFor(loop: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (/mount\.exfat-fuse$/.test(args[0] ?? '') && args.includes(loop)) return Number(entry);
    } catch {
      /* process gone */
    }
  }
  return undefined;
}

describe.skipIf(!canUseLoopDevices)('export stick intake on plug-in (real file systems, real helper)', () => {
  const dir = tempDir('bs-stick-');
  const base = join(dir.path, 'media');
  const env = { BALLOTSAFE_HELPER_MOUNT_BASE: base, BALLOTSAFE_HELPER_USER: 'root', BALLOTSAFE_HELPER_ALLOW_LOOP: '1' };
  const stickMount = join(base, 'stick');
  const loops: string[] = [];
  let config: Config;
  let db: Db;
  let capture: CaptureService;
  let intake: IntakeService;
  let watcher: DriveWatcher;
  let stopWatching: (() => void) | undefined;
  const results: Result<StickIntake>[] = [];
  /** Mount options seen while the capture ran (the stick must be read-only and inert). */
  const optionsDuringCapture: string[][] = [];
  /** Set by a test: runs when the first chunk of a file on the stick has been read. */
  let onFirstChunk: ((root: string, rel: string) => void) | undefined;

  // Other tests attach loop devices at the same time: only look at ours.
  const discover = async (): Promise<Result<DriveCandidate[]>> => {
    const r = await discoverDrives(systemSources, { allowLoop: true });
    return r.ok ? ok(r.value.filter((c) => loops.includes(c.disk))) : r;
  };
  const plugIn = (image: string): string => {
    const loop = attach(image);
    loops.push(loop);
    return loop;
  };
  const unplug = (loop: string) => {
    unmountAllOf(loop);
    try {
      execFileSync('losetup', ['-d', loop], { stdio: 'ignore' });
    } catch {
      /* already gone */
    }
  };
  const candidateFor = async (loop: string) => waitFor(`${loop} listed`, () => watcher.current().find((c) => c.disk === loop && c.uuid !== null));

  beforeAll(async () => {
    config = assertOk(
      parseConfig(
        { dataDir: 'var', roots: [{ label: 'ems-share', path: 'share' }], drives: { mode: 'usb' }, capture: { settleMs: 200, rootRetryMs: 500, minFreeBytes: 0, lowSpaceWarnBytes: 0 } },
        dir.path,
      ),
    );
    mkdirSync(join(dir.path, 'share'), { recursive: true });
    db = openStateDatabase(dataPaths(config).database);
    capture = new CaptureService({ config, db, logger: silentLogger(), watch: false, hooks: { afterFirstChunk: (root, rel) => onFirstChunk?.(root, rel) } });
    assertOk(await capture.start());
    const capturer: StickCapturer = {
      captureOnce: (root, o) => {
        optionsDuringCapture.push(mountOptions(root.path));
        return capture.captureOnce(root, o);
      },
    };
    intake = new IntakeService({ db, logger: silentLogger(), helper: stickHelperOver(spawnTransport({ env })), capture: capturer, discover, captureTimeoutMs: 60_000 });
    watcher = new DriveWatcher(discover, silentLogger(), 200);
    await watcher.start({ udevadm: true });
    stopWatching = intake.watch(watcher, (r) => results.push(r));
  });

  afterAll(async () => {
    stopWatching?.();
    watcher?.stop();
    for (const l of loops) unplug(l);
    await capture?.stop();
    db?.close();
    dir.remove();
  });

  const promptFor = (c: DriveCandidate) =>
    db.prepare(`SELECT message, action FROM alerts WHERE code = 'stick-not-enrolled' AND subject = ?`).get(c.serial ?? c.uuid ?? c.device) as { message: string; action: string } | undefined;
  const intakeCount = () => intake.store.intakes().length;
  const finished = (n: number) => waitFor(`intake ${n} finished`, () => results.length >= n ? results[n - 1] : undefined, 60_000);

  it('captures an enrolled exFAT stick on plug-in and records its custody; an unknown stick is not read', async () => {
    const files = {
      'CVR/CvrExport_0.json': '{"Version":"5.17","Sessions":[]}',
      'CVR/CvrExport_1.json': '{"Version":"5.17","Sessions":[{"TabulatorId":1}]}',
      'Images/Tabulator00001/Batch001/ballot-0001.tif': Buffer.alloc(300_000, 7),
      'Résultats officiels — comté.csv': 'contest,choice,votes\n',
      'empty.txt': '',
    };
    const stick = makeExfatStick(dir.path, 'EMSSTICK', files);
    // Enroll: plugged in once, enrolled (as the supervisor would), then pulled.
    const first = plugIn(stick.image);
    const cand = await candidateFor(first);
    // Not yet enrolled: a plain prompt, nothing read, nothing mounted.
    const prompt = await waitFor('the not-enrolled prompt', () => promptFor(cand));
    expect(prompt.message).toContain('Nothing was read from it');
    expect(prompt.action).toContain('enroll it as an export stick');
    expect(intakeCount()).toBe(0);
    expect(isMountPoint(stickMount)).toBe(false);
    const enrolled = assertOk(await intake.enroll({ device: cand.device, ems: 'Dominion EMS, counting room', operator: 'supervisor' }));
    expect(enrolled.fsUuid).toBe(cand.uuid);
    unplug(first);
    await waitFor('unplug seen', () => (watcher.current().some((c) => c.disk === first) ? undefined : true));

    // Election night: the stick comes over from the EMS and is plugged in.
    const again = plugIn(stick.image);
    const r = assertOk(await finished(1));
    expect(r.status).toBe('captured');
    expect(r.filesOnStick).toBe(5);
    expect(r.fileCount).toBe(5);
    expect(r.totalBytes).toBe(Object.values(files).reduce((n, b) => n + Buffer.byteLength(b), 0));
    expect(r.manifestSha256).toBe(stick.manifest);
    expect(r.ems).toBe('Dominion EMS, counting room');
    expect(r.fsUuid).toBe(cand.uuid);
    expect(r.removable).toBe(true);
    expect(isMountPoint(stickMount)).toBe(false);
    // It was read-only and inert while read.
    const opts = optionsDuringCapture.at(-1) ?? [];
    for (const f of ['ro', 'nosuid', 'nodev', 'noexec']) expect(opts).toContain(f);
    // Every file is in the vault under the intake's own root, byte for byte.
    const rows = db.prepare(`SELECT rel_path, sha256, size FROM file_versions WHERE root_label = ? AND status = 'current'`).all(r.rootLabel) as { rel_path: string; sha256: string; size: number }[];
    expect(rows.map((x) => x.rel_path).sort()).toEqual(Object.keys(files).sort());
    for (const row of rows) expect(readFileSync(vaultObjectPath(dataPaths(config).vault, row.sha256))).toEqual(Buffer.from(files[row.rel_path as keyof typeof files]));
    // The custody record is in the audit log too.
    const audit = db.prepare(`SELECT details_json FROM audit_log WHERE action = 'stick.intake'`).all() as { details_json: string }[];
    const entry = JSON.parse(audit.at(-1)?.details_json ?? '{}') as Record<string, unknown>;
    expect(entry).toMatchObject({ status: 'captured', fileCount: 5, manifestSha256: stick.manifest, ems: 'Dominion EMS, counting room', removable: true });
    // Who brought it is entered afterwards, once.
    assertOk(intake.setBroughtBy(r.id, 'Pat Jones (EMS technician)', 'clerk'));
    expect(intake.setBroughtBy(r.id, 'someone else', 'clerk').ok).toBe(false);
    expect(intake.store.byId(r.id)?.broughtBy).toBe('Pat Jones (EMS technician)');
    unplug(again);

    // The daemon keeps watching its mounted share: a new export there is still captured.
    writeFileSync(join(dir.path, 'share', 'after-stick.csv'), 'still watched\n');
    assertOk(await capture.scanAll());
    await capture.settle(5000);
    expect(db.prepare(`SELECT COUNT(*) AS n FROM file_versions WHERE root_label = 'ems-share' AND rel_path = 'after-stick.csv'`).get()).toEqual({ n: 1 });
  }, 120_000);

  it('does not follow a symlink on the stick (an ext4 stick pointing at the appliance\'s files)', async () => {
    const secret = join(dir.path, 'appliance-secret.txt');
    writeFileSync(secret, 'SIGNING KEY — must never reach the vault');
    mkdirSync(join(dir.path, 'secret-folder'), { recursive: true });
    writeFileSync(join(dir.path, 'secret-folder', 'inside.txt'), 'also secret');
    const src = join(dir.path, 'ext4-src');
    mkdirSync(join(src, 'CVR'), { recursive: true });
    writeFileSync(join(src, 'CVR', 'CvrExport_0.json'), '{"Version":"5.17"}');
    symlinkSync(secret, join(src, 'CVR', 'CvrExport_1.json'));
    symlinkSync(join(dir.path, 'secret-folder'), join(src, 'Images'));
    const manifest = coreutilsManifest(src); // find -type f does not count links either
    const image = join(dir.path, 'ext4stick.img');
    sh('truncate', ['-s', '16M', image]);
    sh('mkfs.ext4', ['-q', '-F', '-L', 'LINUXSTICK', '-d', src, image]);
    const loop = plugIn(image);
    const cand = await candidateFor(loop);
    await waitFor('the not-enrolled prompt', () => promptFor(cand));
    assertOk(await intake.enroll({ device: cand.device, ems: 'Linux EMS', operator: 'supervisor' }));
    unplug(loop);
    await waitFor('unplug seen', () => (watcher.current().some((c) => c.disk === loop) ? undefined : true));
    const before = results.length;
    plugIn(image);
    const r = assertOk(await finished(before + 1));
    expect(r.status).toBe('captured');
    expect(r.fileCount).toBe(1);
    expect(r.linksNotFollowed).toBe(2);
    expect(r.manifestSha256).toBe(manifest);
    expect(r.message).toContain('2 links on the stick were not followed');
    expect(optionsDuringCapture.at(-1)).toContain('nosymfollow');
    // Nothing the links point at was read: no catalog row holds the secrets' hashes or paths.
    const secretSha = sh('sha256sum', [secret]).slice(0, 64);
    expect(db.prepare('SELECT COUNT(*) AS n FROM file_versions WHERE sha256 = ? OR rel_path LIKE ?').get(secretSha, '%inside.txt')).toEqual({ n: 0 });
    // The links are listed with their targets.
    const links = db.prepare('SELECT rel_path, target FROM symlinks WHERE root_label = ? ORDER BY rel_path').all(r.rootLabel) as { rel_path: string; target: string }[];
    expect(links.map((l) => l.rel_path)).toEqual(['CVR/CvrExport_1.json', 'Images']);
    expect(r.removable).toBe(true);
  }, 120_000);

  it('a stick pulled mid-copy (its FUSE process killed) is recorded incomplete with an alert, never captured', async () => {
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 4; i++) files[`Images/ballot-${i}.tif`] = Buffer.alloc(3 * 1024 * 1024, i + 1);
    const stick = makeExfatStick(dir.path, 'PULLME', files);
    const loop = plugIn(stick.image);
    const cand = await candidateFor(loop);
    await waitFor('the not-enrolled prompt', () => promptFor(cand));
    assertOk(await intake.enroll({ device: cand.device, ems: 'ES&S EMS', operator: 'supervisor' }));
    unplug(loop);
    await waitFor('unplug seen', () => (watcher.current().some((c) => c.disk === loop) ? undefined : true));
    const before = results.length;
    const loop2 = plugIn(stick.image);
    let killed = false;
    onFirstChunk = (root) => {
      if (killed || !root.startsWith('export-stick-')) return;
      const pid = fusePidFor(loop2);
      if (pid === undefined) return;
      killed = true;
      process.kill(pid, 'SIGKILL');
    };
    const r = assertOk(await finished(before + 1));
    onFirstChunk = undefined;
    expect(killed).toBe(true);
    expect(r.status).toBe('incomplete');
    expect(r.manifestSha256).toBeNull();
    expect(r.fileCount).toBeLessThan(4);
    expect(r.filesOnStick).toBe(4);
    expect(r.message).toContain('removed');
    const alert = db.prepare(`SELECT severity, message FROM alerts WHERE code = 'stick-intake-incomplete' ORDER BY id DESC`).get() as { severity: string; message: string } | undefined;
    expect(alert?.severity).toBe('critical');
    expect(alert?.message).toContain('INCOMPLETE');
    // The engine's per-file alerts about the dead stick ("give read permission") are folded into that one.
    const open = db.prepare(`SELECT code, subject FROM alerts WHERE acknowledged_at IS NULL AND subject LIKE ?`).all(`${r.rootLabel}%`);
    expect(open).toEqual([]);
    expect(r.removable).toBe(true);
    expect(isMountPoint(stickMount)).toBe(false);
  }, 120_000);

  it('a damaged stick is not read and the record says why', async () => {
    const stick = makeExfatStick(dir.path, 'DAMAGED', { 'CVR/CvrExport_0.json': '{}' });
    const loop = plugIn(stick.image);
    const cand = await candidateFor(loop);
    await waitFor('the not-enrolled prompt', () => promptFor(cand));
    assertOk(await intake.enroll({ device: cand.device, ems: 'Hart EMS', operator: 'supervisor' }));
    unplug(loop);
    await waitFor('unplug seen', () => (watcher.current().some((c) => c.disk === loop) ? undefined : true));
    // One byte of the boot region flipped: the file-system id still reads, the volume checksum fails.
    execFileSync('dd', ['of=' + stick.image, 'bs=1', 'seek=300', 'conv=notrunc'], { input: Buffer.from([0xaa]), stdio: ['pipe', 'ignore', 'ignore'] });
    const before = results.length;
    plugIn(stick.image);
    const r = assertOk(await finished(before + 1));
    expect(r.status).toBe('refused');
    expect(r.fileCount).toBe(0);
    expect(r.manifestSha256).toBeNull();
    expect(r.message).toContain('could not be read');
    expect(r.message).toContain('Try another USB port');
    expect(r.removable).toBe(true);
    const alert = db.prepare(`SELECT message FROM alerts WHERE code = 'stick-intake-refused' ORDER BY id DESC`).get() as { message: string } | undefined;
    expect(alert?.message).toContain('Hart EMS');
  }, 120_000);
});
