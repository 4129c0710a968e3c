import { spawn, spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helperScriptPath, socketDriveHelper, spawnDriveHelper } from './helperClient.ts';
import { canUseLoopDevices, isMountPoint, isRoot, makeLoopImage, mountOptions, tempDir, type LoopImage } from './testSupport.ts';

/** Runs the helper script exactly as the socket unit would: request on stdin, reply on stdout. */
function runHelper(input: string, env: Record<string, string> = {}) {
  const r = spawnSync('/bin/sh', [helperScriptPath], { input, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env }, timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function shellcheckAvailable(): boolean {
  return spawnSync('shellcheck', ['--version']).status === 0;
}

describe.skipIf(!shellcheckAvailable())('ballotsafe-drive-helper source', () => {
  it('is shellcheck-clean as POSIX sh', () => {
    const r = spawnSync('shellcheck', ['-s', 'sh', helperScriptPath], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe.skipIf(!isRoot)('ballotsafe-drive-helper rejects malformed requests (run as root)', () => {
  const dir = tempDir('bs-helper-');
  const canary = join(dir.path, 'pwned');
  const base = join(dir.path, 'media');
  const env = { BALLOTSAFE_HELPER_MOUNT_BASE: base, BALLOTSAFE_HELPER_USER: 'root' };
  afterAll(() => dir.remove());

  // [request, expected code]
  const cases: [string, string][] = [
    ['', 'bad-request'],
    ['\n', 'bad-request'],
    ['mount', 'bad-request'],
    ['mount /dev/sdb', 'bad-request'],
    ['mount /dev/sdb C', 'bad-role'],
    ['mount /dev/sdb a', 'bad-role'],
    ['mount /dev/sdb AB', 'bad-role'],
    ['mount /dev/sdb /etc', 'bad-role'],
    ['mount /dev/sdb /media/ballotsafe/A', 'bad-role'],
    ['mount /dev/sdb A extra', 'bad-request'],
    ['mount /dev/sdb A B', 'bad-request'],
    [`mount /dev/sdb; touch ${canary} A`, 'bad-request'],
    [`mount $(touch ${canary}) A`, 'bad-request'],
    [`mount \`touch ${canary}\` A`, 'bad-request'],
    [`mount /dev/sdb|touch ${canary} A`, 'bad-request'],
    [`mount /dev/sdb&&touch ${canary} A`, 'bad-request'],
    ['mount /dev/sd b A', 'bad-request'],
    ['mount /dev/../dev/sdb A', 'bad-request'],
    ['mount /dev/sdb/../sda A', 'bad-request'],
    ['mount ../../dev/sdb A', 'bad-request'],
    ['mount /dev/sdb\nA', 'bad-request'],
    ['mount\t/dev/sdb\tA', 'bad-request'],
    ['mount /dev/sdb* A', 'bad-request'],
    ['mount "/dev/sdb" A', 'bad-request'],
    ["mount '/dev/sdb' A", 'bad-request'],
    ['mount /dev/sdb1234 A', 'bad-device'],
    ['mount /dev/sdabc A', 'bad-device'],
    ['mount /dev/sdA A', 'bad-device'],
    ['mount /dev/sd A', 'bad-device'],
    ['mount /dev/nvme0n1p1 A', 'bad-device'],
    ['mount /dev/vda A', 'bad-device'],
    ['mount /dev/mmcblk0p1 A', 'bad-device'],
    ['mount /dev/mapper/root A', 'bad-device'],
    ['mount /dev/loop0 A', 'bad-device'],
    ['mount /tmp/sdb A', 'bad-device'],
    ['mount sdb A', 'bad-device'],
    ['mount -o A', 'bad-device'],
    ['mount --bind A', 'bad-device'],
    ['unmount', 'bad-request'],
    ['unmount C', 'bad-role'],
    ['unmount ../A', 'bad-request'],
    ['unmount /media/ballotsafe/A', 'bad-role'],
    ['unmount A B', 'bad-request'],
    ['eject', 'bad-request'],
    ['eject /dev/sdb A', 'bad-request'],
    ['eject /dev/vda', 'bad-device'],
    ['eject /dev/sdb;reboot', 'bad-request'],
    ['format-exfat /dev/sdb', 'bad-request'],
    ['format-exfat /dev/vda BSAFE', 'bad-device'],
    ['format-exfat /dev/sdb two words', 'bad-request'],
    ['format-exfat /dev/sdb LABELTOOLONG12', 'bad-request'],
    ['format-exfat /dev/sdb lab.el', 'bad-request'],
    ['MOUNT /dev/sdb A', 'bad-request'],
    ['reboot', 'bad-request'],
    ['sh -c id', 'bad-request'],
    [`mount /dev/sdb A ${'x'.repeat(300)}`, 'bad-request'],
    ['mount /dev/sdb A\u00a0', 'bad-request'],
  ];

  it.each(cases)('rejects %j with %s', (request, code) => {
    const r = runHelper(`${request}\n`, env);
    expect(r.status).toBe(1);
    const lines = r.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    const reply = JSON.parse(lines[0] ?? '') as { ok: boolean; code: string; message: string };
    expect(reply.ok).toBe(false);
    expect(reply.code).toBe(code);
    // The rejected input is never echoed back.
    expect(reply.message).not.toContain('touch');
    expect(existsSync(canary)).toBe(false);
    expect(existsSync(join(base, 'A')) && isMountPoint(join(base, 'A'))).toBe(false);
  });

  it('reads only the first line: a second line is never acted on', () => {
    const r = runHelper(`unmount A\ntouch ${canary}\nmount /dev/sdb B\n`, env);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true });
    expect(existsSync(canary)).toBe(false);
  });

  it('refuses a device that does not exist, and the client refuses bad names before sending', async () => {
    expect(JSON.parse(runHelper('mount /dev/sdzz A\n', env).stdout)).toMatchObject({ ok: false, code: 'no-device' });
    const client = spawnDriveHelper({ env });
    const bad = await client.mount('/dev/sdb; reboot', 'A');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('bad-device');
    const missing = await client.eject('/dev/sdzz');
    expect(missing.ok).toBe(false);
    if (!missing.ok) {
      expect(missing.error.code).toBe('no-device');
      expect(missing.error.action).toContain('Plug the drive in');
    }
  });
});

describe.skipIf(!canUseLoopDevices)('ballotsafe-drive-helper on real exFAT images (loop devices)', () => {
  const dir = tempDir('bs-helper-loop-');
  const base = join(dir.path, 'media');
  const env = { BALLOTSAFE_HELPER_MOUNT_BASE: base, BALLOTSAFE_HELPER_USER: 'nobody', BALLOTSAFE_HELPER_ALLOW_LOOP: '1' };
  const helper = spawnDriveHelper({ env });
  const images: LoopImage[] = [];
  beforeAll(() => {
    images.push(makeLoopImage(dir.path, 'one', { label: 'ONE' }), makeLoopImage(dir.path, 'two', { label: 'TWO' }), makeLoopImage(dir.path, 'blank', { format: false }));
  });
  afterAll(() => {
    for (const i of images) i.detach();
    dir.remove();
  });

  it('mounts with nosuid,nodev,noexec,nosymfollow at the fixed mount point only', async () => {
    const [one, two] = images;
    if (one?.device == null || two?.device == null) throw new Error('loop setup failed');
    const m = await helper.mount(one.device, 'A');
    expect(m.ok).toBe(true);
    if (!m.ok) return;
    expect(m.value.mountpoint).toBe(join(base, 'A'));
    expect(m.value.fstype).toBe('exfat');
    const opts = mountOptions(join(base, 'A'));
    for (const f of ['nosuid', 'nodev', 'noexec']) expect(opts).toContain(f);
    if (m.value.nosymfollow === true) expect(opts).toContain('nosymfollow');
    // Files belong to the service user, not root.
    writeFileSync(join(base, 'A', 'probe.txt'), 'x');
    const st = spawnSync('stat', ['-c', '%U', join(base, 'A', 'probe.txt')], { encoding: 'utf8' });
    expect(st.stdout.trim()).toBe('nobody');

    // Same drive again, as B: refused. Another drive as A: refused while A is taken.
    const again = await helper.mount(one.device, 'B');
    expect(!again.ok && again.error.code).toBe('already-mounted');
    const busy = await helper.mount(two.device, 'A');
    expect(!busy.ok && busy.error.code).toBe('role-busy');
    // Formatting a mounted drive is refused.
    const fmt = await helper.formatExfat(one.device, 'NEW');
    expect(!fmt.ok && fmt.error.code).toBe('in-use');

    const ej = await helper.eject(one.device);
    expect(ej.ok && ej.value.poweredOff).toBe(false); // a loop image has no power to cut
    expect(isMountPoint(join(base, 'A'))).toBe(false);
  });

  it('refuses a drive without a file system and formats it only when asked', async () => {
    const blank = images[2];
    if (blank?.device == null) throw new Error('loop setup failed');
    mkdirSync(base, { recursive: true });
    const m = await helper.mount(blank.device, 'B');
    expect(!m.ok && m.error.code).toBe('no-filesystem');
    const f = await helper.formatExfat(blank.device, 'BSAFE-B');
    expect(f.ok).toBe(true);
    if (f.ok) expect(f.value.uuid).toMatch(/^[0-9A-F]{4}-[0-9A-F]{4}$/);
    const m2 = await helper.mount(blank.device, 'B');
    expect(m2.ok).toBe(true);
    const u = await helper.unmount('B');
    expect(u.ok).toBe(true);
    expect(isMountPoint(join(base, 'B'))).toBe(false);
  });
});

describe.skipIf(!isRoot)('socket client', () => {
  const dir = tempDir('bs-sock-');
  const sock = join(dir.path, 'drive-helper.sock');
  let server: Server;
  // What systemd does with Accept=yes: one helper process per connection, stdin/stdout = the socket.
  beforeAll(async () => {
    server = createServer((conn) => {
      const child = spawn('/bin/sh', [helperScriptPath], { env: { PATH: '/usr/bin:/bin', BALLOTSAFE_HELPER_MOUNT_BASE: join(dir.path, 'media') }, stdio: ['pipe', 'pipe', 'ignore'] });
      conn.pipe(child.stdin);
      child.stdout.pipe(conn);
      child.on('close', () => conn.end());
      conn.on('error', () => child.kill());
    });
    await new Promise<void>((r) => server.listen(sock, r));
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    dir.remove();
  });

  it('sends one line over the Unix socket and parses the JSON reply', async () => {
    const client = socketDriveHelper(sock, 10_000);
    const un = await client.unmount('A');
    expect(un.ok && un.value.mountpoint).toBe(join(dir.path, 'media', 'A'));
    const bad = await client.mount('/dev/sdzz', 'B');
    expect(!bad.ok && bad.error.code).toBe('no-device');
  });

  it('says what to do when the helper socket is not there', async () => {
    const r = await socketDriveHelper(join(dir.path, 'missing.sock'), 2000).unmount('A');
    expect(!r.ok && r.error.code).toBe('helper-unavailable');
    if (!r.ok) expect(r.error.action).toContain('systemctl status ballotsafe-drive-helper.socket');
  });
});
