import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../core/config.ts';
import { openStateDatabase, type Db } from '../runtime/stateDatabase.ts';
import { silentLogger } from '../core/log/logger.ts';
import { assertOk, err, ok, operatorError } from '../core/result.ts';
import type { SnapshotOutcome } from '../snapshot/api.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { AuditLog } from '../core/state/auditLog.ts';
import type { DriveHelper, HelperReply } from './helperClient.ts';
import { identityRelPath } from './identity.ts';
import { DriveService } from './service.ts';
import { tempDir } from './testSupport.ts';
import type { DriveCandidate, DriveRole } from './types.ts';

const outcome = (over: Partial<SnapshotOutcome> = {}): SnapshotOutcome => ({
  sequence: 3,
  rootHash: 'a'.repeat(64),
  bagName: '000003-20261103T220000Z',
  files: 10,
  bytes: 1000,
  startedAt: '2026-11-03T22:00:00Z',
  finishedAt: '2026-11-03T22:01:00Z',
  perDrive: [
    { role: 'A', state: 'complete' },
    { role: 'B', state: 'complete' },
  ],
  ...over,
});

describe('DriveService with folder drives', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: Db;
  let config: Config;
  let svc: DriveService;
  beforeEach(() => {
    dir = tempDir('bs-drives-');
    config = assertOk(parseConfig({ drives: { mode: 'folders', a: 'drive-a', b: 'drive-b' } }, dir.path));
    db = openStateDatabase(':memory:');
    svc = new DriveService({ config, db, logger: silentLogger() });
  });
  afterEach(() => {
    db.close();
    dir.remove();
  });

  it('lists both folders as unknown until enrolled, then as enrolled', async () => {
    const before = assertOk(await svc.listDrives());
    expect(before.map((d) => [d.path, d.status])).toEqual([
      [join(dir.path, 'drive-a'), 'missing'],
      [join(dir.path, 'drive-b'), 'missing'],
    ]);
    const a = assertOk(await svc.enroll({ target: 'A', role: 'A', operator: 'maria' }));
    const after = assertOk(await svc.listDrives());
    expect(after.map((d) => d.status)).toEqual(['enrolled', 'missing']);
    expect(after[0]?.enrolled?.id).toBe(a.id);
    const identity = JSON.parse(readFileSync(join(dir.path, 'drive-a', identityRelPath), 'utf8')) as Record<string, unknown>;
    expect(identity).toMatchObject({ format: 'ballotsafe-drive-identity/1', driveId: a.id, role: 'A', rotationSet: null, enrolledBy: 'maria', election: 'sample-election' });
    expect(identity['applianceId']).toBe(svc.applianceId());
    const audit = new AuditLog(db, silentLogger()).recent();
    expect(audit[0]).toMatchObject({ actor: 'maria', action: 'drive.enrolled' });
  });

  it('refuses the wrong role, a format request and unknown folders, saying what to do', async () => {
    const wrong = await svc.enroll({ target: 'A', role: 'B', operator: 'maria' });
    expect(!wrong.ok && wrong.error.code).toBe('drive-wrong-role');
    if (!wrong.ok) expect(wrong.error.action).toContain('Enroll it as drive A');
    const fmt = await svc.enroll({ target: 'B', role: 'B', operator: 'maria', formatExfat: { confirmEraseEverything: true } });
    expect(!fmt.ok && fmt.error.code).toBe('format-not-possible');
    const other = await svc.enroll({ target: '/somewhere/else', role: 'A', operator: 'maria' });
    expect(!other.ok && other.error.code).toBe('drive-not-found');
  });

  it('prepares snapshot targets only when both drives are enrolled and carry the right identity', async () => {
    const missing = await svc.prepareTargets();
    expect(!missing.ok && missing.error.code).toBe('drive-unknown');
    if (!missing.ok) expect(missing.error.action).toBe('Enroll it as drive A: on the Drives page press "Enroll a drive".');
    assertOk(await svc.enroll({ target: 'A', role: 'A', operator: 'maria' }));
    assertOk(await svc.enroll({ target: join(dir.path, 'drive-b'), role: 'B', operator: 'maria' }));
    const targets = assertOk(await svc.prepareTargets());
    expect(targets).toEqual([
      { role: 'A', root: join(dir.path, 'drive-a') },
      { role: 'B', root: join(dir.path, 'drive-b') },
    ]);

    // Someone swaps the identity files: drive B's identity in A's folder.
    const idA = readFileSync(join(dir.path, 'drive-a', identityRelPath));
    const idB = readFileSync(join(dir.path, 'drive-b', identityRelPath));
    writeFileSync(join(dir.path, 'drive-a', identityRelPath), idB);
    const swapped = await svc.prepareTargets();
    expect(!swapped.ok && swapped.error.code).toBe('drive-wrong-role');
    if (!swapped.ok) expect(swapped.error.message).toContain('is drive B');
    writeFileSync(join(dir.path, 'drive-a', identityRelPath), idA);

    // A drive enrolled on another appliance.
    const foreign = JSON.parse(idA.toString()) as Record<string, unknown>;
    writeFileSync(join(dir.path, 'drive-a', identityRelPath), JSON.stringify({ ...foreign, applianceId: 'other-appliance' }));
    const f = await svc.prepareTargets();
    expect(!f.ok && f.error.code).toBe('drive-foreign');
    writeFileSync(join(dir.path, 'drive-a', identityRelPath), 'not json');
    const dmg = await svc.prepareTargets();
    expect(!dmg.ok && dmg.error.code).toBe('drive-identity-damaged');
  });

  it('re-enrolling retires the earlier enrollment of that role', async () => {
    const first = assertOk(await svc.enroll({ target: 'A', role: 'A', operator: 'maria' }));
    const second = assertOk(await svc.enroll({ target: 'A', role: 'A', operator: 'joe' }));
    expect(svc.store.activeDrives().map((d) => d.id)).toEqual([second.id]);
    expect(svc.store.byId(first.id)?.id).toBe(first.id);
  });

  it('hands off a verified snapshot: custody record in the database and the audit log', async () => {
    assertOk(await svc.enroll({ target: 'A', role: 'A', operator: 'maria' }));
    assertOk(await svc.enroll({ target: 'B', role: 'B', operator: 'maria' }));
    const rec = assertOk(await svc.handOff(outcome(), { operator: 'maria', witness: 'joe', destinations: { A: 'Clerk safe', B: 'Sheriff safe' } }));
    expect(rec).toMatchObject({ snapshotSequence: 3, rootHash: 'a'.repeat(64), operator: 'maria', witness: 'joe' });
    expect(rec.drives.map((d) => [d.role, d.destination, d.ejected])).toEqual([
      ['A', 'Clerk safe', true],
      ['B', 'Sheriff safe', true],
    ]);
    expect(svc.custodyRecords()).toEqual([rec]);
    expect(svc.custodyRecord(rec.id)).toEqual(rec);
    const audit = new AuditLog(db, silentLogger()).recent();
    expect(audit[0]?.action).toBe('custody.recorded');
    expect(JSON.parse(audit[0]?.details_json ?? '{}')).toMatchObject({ custodyId: rec.id, rootHash: 'a'.repeat(64) });
    // Custody records cannot be edited afterwards.
    expect(() => db.prepare('UPDATE custody_records SET operator = ?').run('mallory')).toThrow(/append-only/);
  });

  it('refuses to hand off a snapshot that failed on a drive, or without names', async () => {
    assertOk(await svc.enroll({ target: 'A', role: 'A', operator: 'maria' }));
    assertOk(await svc.enroll({ target: 'B', role: 'B', operator: 'maria' }));
    const failed = outcome({ perDrive: [{ role: 'A', state: 'complete' }, { role: 'B', state: 'failed', error: operatorError('drive-full', 'full') }] });
    const r = await svc.handOff(failed, { operator: 'maria', witness: 'joe', destinations: { A: 'x', B: 'y' } });
    expect(!r.ok && r.error.code).toBe('snapshot-not-verified');
    if (!r.ok) expect(r.error.message).toContain('drive B');
    const r2 = await svc.handOff(outcome(), { operator: ' ', witness: 'joe', destinations: { A: 'x', B: 'y' } });
    expect(!r2.ok && r2.error.code).toBe('handoff-incomplete');
    // No witness, whoever asks (a schedule or a script can leave it out): refused in plain words.
    const r3 = await svc.handOff(outcome(), { operator: 'maria', witness: '  ', destinations: { A: 'x', B: 'y' } });
    expect(!r3.ok && r3.error.code).toBe('handoff-no-witness');
    if (!r3.ok) expect(`${r3.error.message} ${r3.error.action ?? ''}`).toMatch(/witness.*sees the drives leave.*Write the name/);
    expect(svc.custodyRecords()).toEqual([]);
  });

  it('verifies a returned folder drive and raises an alert when it fails', async () => {
    const a = assertOk(await svc.enroll({ target: 'A', role: 'A', operator: 'maria' }));
    let answer: { ok: boolean; problems: string[] } = { ok: true, problems: [] };
    const verifying = new DriveService({
      config,
      db,
      logger: silentLogger(),
      verify: async (root) => (root === join(dir.path, 'drive-a') ? ok({ ok: answer.ok, filesChecked: 7, problems: answer.problems }) : err(operatorError('x', 'wrong root'))),
    });
    const good = assertOk(await verifying.verifyReturned('A', 'maria'));
    expect(good).toMatchObject({ driveId: a.id, ok: true, filesChecked: 7 });
    expect(new AlertLog(db, silentLogger()).open()).toEqual([]);
    answer = { ok: false, problems: ['000001/data/x.tif: SHA-256 mismatch'] };
    const bad = assertOk(await verifying.verifyReturned('A', 'maria'));
    expect(bad.ok).toBe(false);
    const alerts = new AlertLog(db, silentLogger()).open();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'critical', code: 'drive-return-verify-failed' });
    expect(alerts[0]?.message).toContain('x.tif');
    expect(verifying.store.returns(a.id).map((r) => r.ok)).toEqual([false, true]);
    const views = assertOk(await verifying.listDrives());
    expect(views[0]?.lastReturn?.ok).toBe(false);
  });
});

/** A scripted stand-in for the root helper: records requests, mounts by making folders. */
class FakeHelper implements DriveHelper {
  readonly calls: string[] = [];
  constructor(
    private readonly base: string,
    private readonly drives: DriveCandidate[],
  ) {}
  private setMount(device: string, mp: string | null) {
    const i = this.drives.findIndex((d) => d.device === device);
    const d = this.drives[i];
    if (d !== undefined) this.drives[i] = { ...d, mountpoint: mp };
  }
  async mount(device: string, role: DriveRole) {
    this.calls.push(`mount ${device} ${role}`);
    const mp = join(this.base, 'store', device.replace(/\//g, '_'));
    mkdirSync(mp, { recursive: true });
    this.setMount(device, join(this.base, role));
    // The "mount": a symlink from the role mount point to the drive's folder.
    const { symlinkSync, rmSync } = await import('node:fs');
    rmSync(join(this.base, role), { force: true });
    symlinkSync(mp, join(this.base, role));
    return ok<HelperReply>({ mountpoint: join(this.base, role), fstype: 'exfat', nosymfollow: true });
  }
  async unmount(role: DriveRole) {
    this.calls.push(`unmount ${role}`);
    const d = this.drives.find((x) => x.mountpoint === join(this.base, role));
    if (d !== undefined) this.setMount(d.device, null);
    return ok<HelperReply>({ mountpoint: join(this.base, role) });
  }
  async eject(device: string) {
    this.calls.push(`eject ${device}`);
    this.setMount(device, null);
    return ok<HelperReply>({ poweredOff: true });
  }
  async formatExfat(device: string, label: string) {
    this.calls.push(`format-exfat ${device} ${label}`);
    const i = this.drives.findIndex((d) => d.device === device);
    const d = this.drives[i];
    if (d !== undefined) this.drives[i] = { ...d, fstype: 'exfat', uuid: 'F0F0-0001', label };
    return ok<HelperReply>({ uuid: 'F0F0-0001', label });
  }
}

const stick = (n: number, over: Partial<DriveCandidate> = {}): DriveCandidate => ({
  device: `/dev/sd${'bcdef'[n]}1`,
  disk: `/dev/sd${'bcdef'[n]}`,
  serial: `SERIAL${n}`,
  uuid: `AAAA-000${n}`,
  fstype: 'exfat',
  label: null,
  sizeBytes: 32e9,
  vendor: 'SanDisk',
  model: 'Cruzer Blade',
  mountpoint: null,
  ...over,
});

describe('DriveService with USB drives (scripted helper and drive list)', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: Db;
  let drives: DriveCandidate[];
  let helper: FakeHelper;
  let svc: DriveService;
  let snapshotRunning = false;
  beforeEach(() => {
    dir = tempDir('bs-usb-');
    db = openStateDatabase(':memory:');
    drives = [stick(0), stick(1), stick(2, { fstype: null, uuid: null })];
    helper = new FakeHelper(dir.path, drives);
    svc = new DriveService({
      config: assertOk(parseConfig({ drives: { mode: 'usb' } }, dir.path)),
      db,
      logger: silentLogger(),
      helper,
      discover: async () => ok([...drives]),
      mountBase: dir.path,
      isSnapshotRunning: () => snapshotRunning,
    });
  });
  afterEach(() => {
    db.close();
    dir.remove();
  });

  it('enrolls by device, records serial and UUID, and leaves the drive unmounted', async () => {
    const a = assertOk(await svc.enroll({ target: '/dev/sdb', role: 'A', rotationSet: 1, operator: 'maria' }));
    expect(a).toMatchObject({ role: 'A', rotationSet: 1, kind: 'usb', serial: 'SERIAL0', fsUuid: 'AAAA-0000' });
    expect(helper.calls).toEqual(['mount /dev/sdb1 A', 'unmount A']);
    expect(svc.store.findUsb('SERIAL0', 'AAAA-0000')?.id).toBe(a.id);
    const list = assertOk(await svc.listDrives());
    expect(list.map((d) => d.status)).toEqual(['enrolled', 'unknown', 'unknown']);
    expect(list[0]?.description).toBe('SanDisk Cruzer Blade');
  });

  it('formats only with explicit confirmation, and refuses a drive without a file system otherwise', async () => {
    const no = await svc.enroll({ target: '/dev/sdd1', role: 'B', operator: 'maria' });
    expect(!no.ok && no.error.code).toBe('drive-needs-format');
    if (!no.ok) expect(no.error.action).toContain('press "Enroll a drive" and type ERASE');
    expect(helper.calls).toEqual([]);
    // It happens to be mounted as drive B: unmounted, formatted, mounted again for the identity file.
    drives[2] = { ...(drives[2] as DriveCandidate), mountpoint: join(dir.path, 'B') };
    const yes = assertOk(await svc.enroll({ target: '/dev/sdd1', role: 'B', operator: 'maria', formatExfat: { confirmEraseEverything: true } }));
    expect(yes.fsUuid).toBe('F0F0-0001');
    expect(helper.calls).toEqual(['unmount B', 'format-exfat /dev/sdd1 BSAFE-B', 'mount /dev/sdd1 B', 'unmount B']);
    expect(JSON.parse(readFileSync(join(dir.path, 'store', '_dev_sdd1', identityRelPath), 'utf8'))).toMatchObject({ driveId: yes.id, fsUuid: 'F0F0-0001' });
  });

  it('refuses an unknown drive with the enroll command to run, and wrong pairs', async () => {
    assertOk(await svc.enroll({ target: '/dev/sdb1', role: 'A', operator: 'maria' }));
    const r = await svc.prepareTargets();
    expect(!r.ok && r.error.code).toBe('drive-unknown');
    if (!r.ok) expect(r.error.action).toContain('If this is a new drive B (/dev/sdc1), enroll it as drive B: on the Drives page press "Enroll a drive".');
    assertOk(await svc.enroll({ target: '/dev/sdc1', role: 'B', rotationSet: 2, operator: 'maria' }));
    const sets = await svc.prepareTargets();
    expect(!sets.ok && sets.error.code).toBe('drive-set-mismatch');
    assertOk(await svc.enroll({ target: '/dev/sdc1', role: 'B', operator: 'maria' }));
    helper.calls.length = 0;
    const targets = assertOk(await svc.prepareTargets());
    expect(targets).toEqual([
      { role: 'A', root: join(dir.path, 'A'), serial: 'SERIAL0', uuid: 'AAAA-0000' },
      { role: 'B', root: join(dir.path, 'B'), serial: 'SERIAL1', uuid: 'AAAA-0001' },
    ]);
    expect(helper.calls).toEqual(['mount /dev/sdb1 A', 'mount /dev/sdc1 B']);
    // Already mounted in their roles: a second prepare mounts nothing.
    helper.calls.length = 0;
    assertOk(await svc.prepareTargets());
    expect(helper.calls).toEqual([]);
  });

  it('refuses two drives of the same role, and a drive whose identity file does not match', async () => {
    assertOk(await svc.enroll({ target: '/dev/sdb1', role: 'A', rotationSet: 1, operator: 'maria' }));
    assertOk(await svc.enroll({ target: '/dev/sdc1', role: 'A', rotationSet: 2, operator: 'maria' }));
    const dup = await svc.prepareTargets();
    expect(!dup.ok && dup.error.code).toBe('drive-duplicate-role');
    // Back to one drive per role; then drive A's identity file is replaced by a copy from elsewhere.
    assertOk(await svc.enroll({ target: '/dev/sdc1', role: 'B', rotationSet: 1, operator: 'maria' }));
    assertOk(await svc.prepareTargets());
    const file = join(dir.path, 'store', '_dev_sdb1', identityRelPath);
    const id = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...id, driveId: '00000000-0000-4000-8000-000000000000' }));
    const mism = await svc.prepareTargets();
    expect(!mism.ok && mism.error.code).toBe('drive-identity-mismatch');
  });

  it('ejects both drives and writes custody with serials; no eject while a snapshot runs', async () => {
    assertOk(await svc.enroll({ target: '/dev/sdb1', role: 'A', operator: 'maria' }));
    assertOk(await svc.enroll({ target: '/dev/sdc1', role: 'B', operator: 'maria' }));
    assertOk(await svc.prepareTargets());
    snapshotRunning = true;
    const busy = await svc.eject();
    expect(!busy.ok && busy.error.code).toBe('snapshot-busy');
    snapshotRunning = false;
    helper.calls.length = 0;
    const rec = assertOk(await svc.handOff(outcome(), { operator: 'maria', witness: 'joe', destinations: { A: 'Clerk safe', B: 'Sheriff safe' } }));
    expect(helper.calls).toEqual(['eject /dev/sdb1', 'eject /dev/sdc1']);
    expect(rec.drives).toEqual([
      { role: 'A', driveId: expect.any(String), serial: 'SERIAL0', uuid: 'AAAA-0000', destination: 'Clerk safe', ejected: true, poweredOff: true },
      { role: 'B', driveId: expect.any(String), serial: 'SERIAL1', uuid: 'AAAA-0001', destination: 'Sheriff safe', ejected: true, poweredOff: true },
    ]);
  });

  it('does not verify a returned drive that is not enrolled', async () => {
    const v = new DriveService({ config: assertOk(parseConfig({ drives: { mode: 'usb' } })), db, logger: silentLogger(), helper, discover: async () => ok(drives), mountBase: dir.path, verify: async () => ok({ ok: true, filesChecked: 0, problems: [] }) });
    const r = await v.verifyReturned(stick(1));
    expect(!r.ok && r.error.code).toBe('drive-unknown');
    expect(helper.calls).toEqual([]);
  });
});
