// The appliance packaging: every shell script passes shellcheck, the systemd units pass
// `systemd-analyze verify`, the daemon's unit meets the exposure target, and provision.sh is
// idempotent and honest in --dry-run against a throwaway root tree.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../../daemon/core/config.ts';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const provision = join(repo, 'provisioning', 'provision.sh');
const isRoot = process.getuid?.() === 0;

function run(cmd: string, args: readonly string[], opts: { cwd?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', cwd: opts.cwd ?? tmpdir(), maxBuffer: 64 * 1024 * 1024 });
}

function have(cmd: string): boolean {
  return run('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

const skipDirs = new Set(['node_modules', '.git', 'var', 'demo-data', 'coverage']);
/** Build and test output named in .gitignore (e.g. bench/out, gigabytes of snapshots): not sources. */
const ignoredPaths = new Set(
  readFileSync(join(repo, '.gitignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('/') && l.endsWith('/'))
    .map((l) => l.slice(1, -1)),
);
function skipped(rel: string, name: string): boolean {
  return skipDirs.has(name) || name.startsWith('.tmp') || ignoredPaths.has(rel);
}

/** Every *.sh file and every file whose first line is a sh/bash shebang. */
function shellScripts(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (skipped(relative(repo, p), entry.name)) continue;
    if (entry.isDirectory()) {
      shellScripts(p, out);
    } else if (entry.isFile()) {
      if (entry.name.endsWith('.sh')) {
        out.push(p);
        continue;
      }
      if (statSync(p).size > 2_000_000) continue;
      const head = readFileSync(p).subarray(0, 200).toString('latin1').split('\n')[0] ?? '';
      if (/^#!\s*\S*\/(env\s+)?(ba|da)?sh\b/.test(head)) out.push(p);
    }
  }
  return out;
}

describe('shellcheck', () => {
  it('passes on every shell script in the repository', () => {
    const scripts = shellScripts(repo);
    const names = scripts.map((s) => relative(repo, s));
    // The scan must find the scripts we know of, or it checks nothing.
    expect(names).toContain('provisioning/provision.sh');
    expect(names).toContain('provisioning/container-test.sh');
    const r = run('shellcheck', ['--external-sources', '--severity=info', ...scripts], { cwd: repo });
    expect(r.error).toBeUndefined();
    expect(r.stdout + r.stderr, `shellcheck findings in: ${names.join(', ')}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('does fail on a faulty script (the check can fail)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-shellcheck-'));
    try {
      writeFileSync(join(dir, 'bad.sh'), '#!/bin/sh\nrm -rf $1/*\n');
      const r = run('shellcheck', [join(dir, 'bad.sh')]);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toMatch(/SC2086/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** Copies the units with /opt/ballotsafe (and missing kiosk binaries) pointed at stub executables. */
function stageUnits(dir: string): string[] {
  const stubRoot = join(dir, 'stub');
  for (const rel of ['daemon/drives/privileged/ballotsafe-drive-helper', 'daemon/signer/ballotsafe-signer.mjs']) {
    const stub = join(stubRoot, 'opt/ballotsafe', rel);
    mkdirSync(dirname(stub), { recursive: true });
    writeFileSync(stub, '#!/bin/sh\n');
    chmodSync(stub, 0o755);
  }
  const units: string[] = [];
  for (const name of readdirSync(join(repo, 'systemd'))) {
    let text = readFileSync(join(repo, 'systemd', name), 'utf8').replaceAll('/opt/ballotsafe', join(stubRoot, 'opt/ballotsafe'));
    for (const bin of ['/usr/bin/cage', '/usr/bin/chromium']) {
      if (!existsSync(bin)) {
        const stub = join(stubRoot, bin);
        mkdirSync(dirname(stub), { recursive: true });
        writeFileSync(stub, '#!/bin/sh\n');
        chmodSync(stub, 0o755);
        text = text.replaceAll(bin, stub);
      }
    }
    writeFileSync(join(dir, name), text);
    units.push(join(dir, name));
  }
  return units;
}

describe('systemd units', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bs-units-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('ships the daemon, the socket-activated drive helper pair and the kiosk', () => {
    const names = readdirSync(join(repo, 'systemd')).sort();
    expect(names).toEqual(['ballotsafe-drive-helper.socket', 'ballotsafe-drive-helper@.service', 'ballotsafe-kiosk.service', 'ballotsafe-signer.service', 'ballotsafe-signer.socket', 'ballotsafe.service']);
  });

  it('pass systemd-analyze verify with no warnings', () => {
    const units = stageUnits(dir);
    const r = run('systemd-analyze', ['verify', ...units]);
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('verify does flag a broken unit (the check can fail)', () => {
    const bad = join(dir, 'bad.service');
    writeFileSync(bad, '[Service]\nExecStart=/bin/true\nProtectSystem=stricter\n');
    const r = run('systemd-analyze', ['verify', bad]);
    expect(r.stderr).toMatch(/ProtectSystem|protect system/i);
  });

  it('the daemon unit has the decided hardening and exposure <= 2.5', () => {
    const unit = readFileSync(join(repo, 'systemd/ballotsafe.service'), 'utf8');
    for (const line of [
      'User=ballotsafe',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/ballotsafe /media/ballotsafe',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'CapabilityBoundingSet=',
      'SystemCallFilter=@system-service',
      'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
      'ExecStart=/usr/bin/node /opt/ballotsafe/bin/ballotsafe.js daemon --config /etc/ballotsafe/config.yaml',
      // Two malloc arenas: the memory soak's RSS (bench/soak.ts) stays near 450 MB instead of 600-750.
      'Environment=MALLOC_ARENA_MAX=2',
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
    // V8's JIT needs executable pages: this filter would kill node at start-up.
    expect(unit).not.toMatch(/^MemoryDenyWriteExecute=yes/m);
    const r = run('systemd-analyze', ['security', '--offline=yes', '--no-pager', join(repo, 'systemd/ballotsafe.service')]);
    const m = /Overall exposure level for ballotsafe\.service: (\d+\.\d)/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThanOrEqual(2.5);
  });

  it('the signer runs as its own user in a tight sandbox (exposure <= 1.0), on a socket only the daemon group can open', () => {
    const unit = readFileSync(join(repo, 'systemd/ballotsafe-signer.service'), 'utf8');
    for (const line of [
      'User=ballotsafe-signer',
      'Group=ballotsafe-signer',
      'ExecStart=/usr/bin/node --jitless --no-expose-wasm /opt/ballotsafe/daemon/signer/ballotsafe-signer.mjs serve --key-dir /var/lib/ballotsafe-signer',
      'ProtectSystem=strict',
      'PrivateNetwork=yes',
      'RestrictAddressFamilies=AF_UNIX',
      'MemoryDenyWriteExecute=yes',
      'CapabilityBoundingSet=',
      'NoNewPrivileges=yes',
      'UMask=0077',
    ]) {
      expect(unit.split('\n')).toContain(line);
    }
    // Nothing writable: the key folder stays read-only under ProtectSystem=strict.
    expect(unit).not.toMatch(/^(ReadWritePaths|StateDirectory)=/m);
    const r = run('systemd-analyze', ['security', '--offline=yes', '--no-pager', join(repo, 'systemd/ballotsafe-signer.service')]);
    const m = /Overall exposure level for ballotsafe-signer\.service: (\d+\.\d)/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    expect(Number(m?.[1])).toBeLessThanOrEqual(1.0);
    const socket = readFileSync(join(repo, 'systemd/ballotsafe-signer.socket'), 'utf8');
    for (const line of ['ListenStream=/run/ballotsafe/signer.sock', 'SocketMode=0660', 'SocketUser=root', 'SocketGroup=ballotsafe', 'Accept=no']) {
      expect(socket.split('\n')).toContain(line);
    }
    // The daemon pulls the signer's socket in and cannot even see the key folder.
    const daemon = readFileSync(join(repo, 'systemd/ballotsafe.service'), 'utf8');
    expect(daemon).toMatch(/^Wants=.*\bballotsafe-signer\.socket\b/m);
    expect(daemon.split('\n')).toContain('InaccessiblePaths=-/var/lib/ballotsafe-signer');
  });

  it('the signer program runs under MemoryDenyWriteExecute with the unit\'s node flags (plain node aborts)', () => {
    // PR_SET_MDWE (Linux >= 6.3) refuses writable+executable memory as the unit's filter does.
    const unit = readFileSync(join(repo, 'systemd/ballotsafe-signer.service'), 'utf8');
    const flags = /^ExecStart=\/usr\/bin\/node ((?:--\S+ )*)\//m.exec(unit)?.[1]?.trim().split(' ') ?? [];
    expect(flags).toContain('--jitless');
    const base = mkdtempSync(join(tmpdir(), 'bs-mdwe-'));
    try {
      const keyDir = join(base, 'keys');
      mkdirSync(keyDir, { mode: 0o700 });
      const underMdwe = (nodeArgs: readonly string[]) =>
        run('python3', ['-c', 'import ctypes, os, sys\nif ctypes.CDLL(None).prctl(65, 1, 0, 0, 0) != 0: sys.exit(77)\nos.execv(sys.argv[1], sys.argv[1:])', process.execPath, ...nodeArgs]);
      const signer = join(repo, 'daemon/signer/ballotsafe-signer.mjs');
      const plain = underMdwe([signer, 'init', '--key-dir', keyDir]);
      if (plain.status === 77) return; // kernel without PR_SET_MDWE: nothing to show here
      expect(plain.status).not.toBe(0);
      const jitless = underMdwe([...flags, signer, 'init', '--key-dir', keyDir]);
      expect(jitless.stderr).toBe('');
      expect(jitless.status).toBe(0);
      expect(jitless.stdout).toMatch(/^untrusted comment: minisign public key [0-9A-F]{16}\nRW/);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('the drive helper gets no mount namespace, so its mounts reach the daemon', () => {
    const unit = readFileSync(join(repo, 'systemd/ballotsafe-drive-helper@.service'), 'utf8');
    // Each of these would give the helper a private (slave) mount namespace.
    for (const key of ['PrivateTmp', 'ProtectSystem', 'ProtectHome', 'PrivateDevices', 'PrivateMounts', 'ReadWritePaths', 'ReadOnlyPaths',
      'InaccessiblePaths', 'ProtectKernelTunables', 'ProtectKernelModules', 'ProtectKernelLogs', 'ProtectControlGroups', 'ProtectProc',
      'ProcSubset', 'TemporaryFileSystem', 'BindPaths', 'RootDirectory', 'MountFlags',
      // systemd >= 254 (Debian 13) adds a mount namespace for this one too (seen in the container test).
      'PrivateNetwork']) {
      expect(unit, key).not.toMatch(new RegExp(`^${key}=`, 'm'));
    }
    // No IP sockets at all instead of a private network namespace.
    expect(unit).toMatch(/^RestrictAddressFamilies=AF_UNIX AF_NETLINK$/m);
    expect(unit).toMatch(/^StandardInput=socket$/m);
    const socket = readFileSync(join(repo, 'systemd/ballotsafe-drive-helper.socket'), 'utf8');
    for (const line of ['ListenStream=/run/ballotsafe/drive-helper.sock', 'SocketMode=0660', 'SocketUser=root', 'SocketGroup=ballotsafe', 'Accept=yes']) {
      expect(socket.split('\n')).toContain(line);
    }
  });
});

// ---- provisioning against a throwaway root tree ----

interface Tree {
  root: string;
  app: string;
}

function makeTree(base: string): Tree {
  const root = join(base, 'root');
  mkdirSync(join(root, 'etc'), { recursive: true });
  for (const f of ['passwd', 'group', 'shadow', 'gshadow', 'os-release']) {
    if (existsSync(join('/etc', f))) copyFileSync(join('/etc', f), join(root, 'etc', f));
  }
  // A frozen copy of the app: the working tree changes while other work goes on.
  const app = join(base, 'app');
  cpSync(repo, app, {
    recursive: true,
    filter: (src) => {
      const rel = relative(repo, src);
      return rel === '' || !skipped(rel, rel.split('/').at(-1) ?? '');
    },
  });
  return { root, app };
}

function provisionRun(tree: Tree, extra: readonly string[]): SpawnSyncReturns<string> {
  return run('bash', [provision, '--root', tree.root, '--app-source', tree.app, '--skip', 'packages,node,npm', ...extra]);
}

function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = statSync(p, { throwIfNoEntry: false });
      out.push(`${relative(dir, p)} ${st ? `${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size}` : 'dangling'}`);
      if (e.isDirectory()) walk(p);
    }
  };
  walk(dir);
  return out.sort();
}

function userId(root: string, name: string): number {
  const line = readFileSync(join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  expect(line, `user ${name} in ${root}/etc/passwd`).toBeDefined();
  return Number(line?.split(':')[2]);
}

function mode(p: string): string {
  return (statSync(p).mode & 0o7777).toString(8);
}

describe.skipIf(!isRoot)('provision.sh against a temp root', () => {
  let base = '';
  let tree: Tree = { root: '', app: '' };
  const lan = ['--lan', '192.168.10.0/24', '--ems-share', '//ems-server/export'];

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'bs-provision-'));
    tree = makeTree(base);
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('--dry-run lists every change and changes nothing', () => {
    const before = listing(tree.root);
    const r = provisionRun(tree, ['--dry-run', ...lan]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status).toBe(0);
    for (const expected of [
      'would: create system user ballotsafe',
      'would: copy ',
      'would: create directory /var/lib/ballotsafe (0750 ballotsafe:ballotsafe)',
      'would: create system user ballotsafe-signer',
      'would: create directory /var/lib/ballotsafe-signer (0700 ballotsafe-signer:ballotsafe-signer)',
      'would: create the appliance signing key in /var/lib/ballotsafe-signer',
      'would: write /etc/ballotsafe/ballotsafe-appliance.pub',
      'would: write /etc/systemd/system/ballotsafe-signer.socket',
      'would: write /etc/systemd/system/ballotsafe-signer.service',
      'would: enable ballotsafe-signer.socket',
      'would: write /etc/ballotsafe/config.yaml (0640 root:ballotsafe)',
      'would: write /etc/systemd/system/ballotsafe.service',
      'would: write /etc/systemd/system/ballotsafe.service.d/lan.conf',
      'would: write /etc/systemd/system/mnt-ems.mount',
      'would: write /etc/nftables.conf',
      'would: write /etc/udev/rules.d/85-ballotsafe-no-automount.rules',
      'would: write /etc/systemd/journald.conf.d/ballotsafe.conf',
      'would: enable ballotsafe.service',
      'would: enable ballotsafe-drive-helper.socket',
    ]) {
      expect(r.stdout).toContain(expected);
    }
    const count = (r.stdout.match(/^would: /gm) ?? []).length;
    expect(r.stdout).toContain(`dry run: ${count} changes would be made`);
    expect(listing(tree.root)).toEqual(before);
  });

  it('provisions the tree: user, directories, modes, config, units, firewall', () => {
    const r = provisionRun(tree, lan);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^\d+ changes made$/m);
    const uid = userId(tree.root, 'ballotsafe');
    const st = statSync(join(tree.root, 'var/lib/ballotsafe'));
    expect([mode(join(tree.root, 'var/lib/ballotsafe')), st.uid]).toEqual(['750', uid]);
    // The signing key belongs to the signer's own user; the daemon's user has no key folder at all.
    const signerUid = userId(tree.root, 'ballotsafe-signer');
    expect(signerUid).not.toBe(uid);
    expect([mode(join(tree.root, 'var/lib/ballotsafe-signer')), statSync(join(tree.root, 'var/lib/ballotsafe-signer')).uid]).toEqual(['700', signerUid]);
    const key = join(tree.root, 'var/lib/ballotsafe-signer/appliance-ed25519.json');
    expect([mode(key), statSync(key).uid]).toEqual(['600', signerUid]);
    expect(existsSync(join(tree.root, 'var/lib/ballotsafe/keys'))).toBe(false);
    const group = readFileSync(join(tree.root, 'etc/group'), 'utf8').split('\n').find((l) => l.startsWith('ballotsafe:'));
    expect(group?.split(':')[3] ?? '').not.toContain('ballotsafe-signer');
    const pub = readFileSync(join(tree.root, 'etc/ballotsafe/ballotsafe-appliance.pub'), 'utf8');
    expect(pub).toMatch(/^untrusted comment: minisign public key [0-9A-F]{16}\nRW[A-Za-z0-9+/]{54}\n$/);
    expect(readlinkSync(join(tree.root, 'etc/systemd/system/sockets.target.wants/ballotsafe-signer.socket'))).toBe('/etc/systemd/system/ballotsafe-signer.socket');
    expect(mode(join(tree.root, 'etc/ballotsafe'))).toBe('750');
    expect(mode(join(tree.root, 'etc/ballotsafe/config.yaml'))).toBe('640');
    expect(readFileSync(join(tree.root, 'etc/systemd/system/ballotsafe.service'), 'utf8')).toBe(readFileSync(join(repo, 'systemd/ballotsafe.service'), 'utf8'));
    // Enabled: absolute links inside the target (they dangle when seen from the host).
    expect(readlinkSync(join(tree.root, 'etc/systemd/system/multi-user.target.wants/ballotsafe.service'))).toBe('/etc/systemd/system/ballotsafe.service');
    expect(readlinkSync(join(tree.root, 'etc/systemd/system/sockets.target.wants/ballotsafe-drive-helper.socket'))).toBe(
      '/etc/systemd/system/ballotsafe-drive-helper.socket',
    );
    expect(existsSync(join(tree.root, 'opt/ballotsafe/bin/ballotsafe.js'))).toBe(true);
    expect(statSync(join(tree.root, 'opt/ballotsafe/bin/ballotsafe.js')).uid).toBe(0);
    expect(readFileSync(join(tree.root, 'etc/systemd/system/ballotsafe.service.d/lan.conf'), 'utf8')).toMatch(/^IPAddressAllow=192\.168\.10\.0\/24$/m);
    const nft = readFileSync(join(tree.root, 'etc/nftables.conf'), 'utf8');
    expect(nft).toMatch(/policy drop;/);
    expect(nft).toContain('ip saddr 192.168.10.0/24 tcp dport 8080 accept');
    const mount = readFileSync(join(tree.root, 'etc/systemd/system/mnt-ems.mount'), 'utf8');
    expect(mount).toMatch(/^Options=ro,nosuid,nodev,noexec,/m);
    expect(mount).toContain('What=//ems-server/export');
  });

  it('writes a config the daemon accepts (LAN: UI on all addresses, data in /var/lib/ballotsafe)', () => {
    const text = readFileSync(join(tree.root, 'etc/ballotsafe/config.yaml'), 'utf8');
    const parsed = parseConfig(parseYaml(text), '/etc/ballotsafe');
    expect(parsed.ok, parsed.ok ? '' : parsed.error.message).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.dataDir).toBe('/var/lib/ballotsafe');
    expect(parsed.value.web).toMatchObject({ host: '0.0.0.0', port: 8080 });
    expect(parsed.value.drives.mode).toBe('usb');
    // Signing goes to the signer's socket, with the key provisioning made pinned.
    const pubLine = readFileSync(join(tree.root, 'etc/ballotsafe/ballotsafe-appliance.pub'), 'utf8').split('\n')[1];
    expect(parsed.value.signing).toEqual({ socket: '/run/ballotsafe/signer.sock', publicKey: pubLine });
  });

  it('moves a key the daemon made before the signer existed, once the config names the signer', () => {
    // An appliance provisioned before: its key in the daemon's folder, its config without signing:.
    const old = makeTree(join(base, 'old'));
    try {
      const first = provisionRun(old, lan);
      expect(first.status, first.stderr).toBe(0);
      const keyPath = join(old.root, 'var/lib/ballotsafe-signer/appliance-ed25519.json');
      const keyText = readFileSync(join(old.root, 'etc/ballotsafe/ballotsafe-appliance.pub'), 'utf8');
      const cfg = join(old.root, 'etc/ballotsafe/config.yaml');
      const withSigning = readFileSync(cfg, 'utf8');
      writeFileSync(cfg, withSigning.slice(0, withSigning.indexOf('# Snapshots are signed by')));
      mkdirSync(join(old.root, 'var/lib/ballotsafe/keys'), { mode: 0o700 });
      const oldKey = join(old.root, 'var/lib/ballotsafe/keys/appliance-ed25519.json');
      const secret = readFileSync(keyPath);
      writeFileSync(oldKey, secret, { mode: 0o600 });
      rmSync(keyPath);
      // Config still without signing: the key stays (moving it would make the daemon create another).
      const waiting = provisionRun(old, lan);
      expect(waiting.status, waiting.stderr).toBe(0);
      expect(waiting.stderr).toContain('has no signing: section');
      expect(existsSync(oldKey)).toBe(true);
      expect(existsSync(keyPath)).toBe(false);
      // The installer adds the section: the same key moves to the signer, the daemon's copy is gone.
      writeFileSync(cfg, withSigning);
      const moved = provisionRun(old, lan);
      expect(moved.status, moved.stderr).toBe(0);
      expect(moved.stdout).toContain('change: move the appliance signing key from /var/lib/ballotsafe/keys/appliance-ed25519.json');
      expect(existsSync(oldKey)).toBe(false);
      expect(readFileSync(keyPath)).toEqual(secret);
      expect([mode(keyPath), statSync(keyPath).uid]).toEqual(['600', userId(old.root, 'ballotsafe-signer')]);
      expect(readFileSync(join(old.root, 'etc/ballotsafe/ballotsafe-appliance.pub'), 'utf8')).toBe(keyText);
    } finally {
      rmSync(join(base, 'old'), { recursive: true, force: true });
    }
  });

  it('writes firewall rules nft accepts', () => {
    if (!have('nft')) return expect.fail('nft (package nftables) is needed for this test');
    const r = run('nft', ['-c', '-f', join(tree.root, 'etc/nftables.conf')]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('writes an EMS share mount unit that verifies', () => {
    const r = run('systemd-analyze', ['verify', join(tree.root, 'etc/systemd/system/mnt-ems.mount')]);
    expect(r.stderr + r.stdout).toBe('');
    expect(r.status).toBe(0);
  });

  it('a second run changes nothing', () => {
    const before = listing(tree.root);
    const r = provisionRun(tree, lan);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/^change: /m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('no changes');
    expect(listing(tree.root)).toEqual(before);
  });

  it('never overwrites an edited config, and repairs drift in modes', () => {
    const cfg = join(tree.root, 'etc/ballotsafe/config.yaml');
    writeFileSync(cfg, `${readFileSync(cfg, 'utf8')}# edited by the installer\n`);
    chmodSync(join(tree.root, 'var/lib/ballotsafe'), 0o755);
    const r = provisionRun(tree, lan);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('keeping the existing /etc/ballotsafe/config.yaml');
    expect(r.stdout).toContain('change: set mode 0750 on /var/lib/ballotsafe');
    expect(r.stdout.trim().split('\n').at(-1)).toBe('1 changes made');
    expect(readFileSync(cfg, 'utf8')).toMatch(/# edited by the installer\n$/);
    expect(mode(join(tree.root, 'var/lib/ballotsafe'))).toBe('750');
  });

  it('dropping --lan closes the UI port again', () => {
    const r = provisionRun(tree, ['--ems-share', '//ems-server/export']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('change: remove /etc/systemd/system/ballotsafe.service.d/lan.conf');
    expect(readFileSync(join(tree.root, 'etc/nftables.conf'), 'utf8')).not.toMatch(/tcp dport/);
  });

  it('installs the ballotsafe command that runs as the service user', () => {
    const cli = join(tree.root, 'usr/local/bin/ballotsafe');
    expect(mode(cli)).toBe('755');
    expect(readFileSync(cli, 'utf8')).toContain('runuser -u ballotsafe --');
  });

  it('--kiosk adds the kiosk user, unit and graphical boot (dry run)', () => {
    const r = provisionRun(tree, ['--dry-run', '--kiosk', ...lan]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('would: create system user ballotsafe-kiosk');
    expect(r.stdout).toContain('would: write /etc/systemd/system/ballotsafe-kiosk.service');
    expect(r.stdout).toContain('would: enable ballotsafe-kiosk.service');
    expect(r.stdout).toContain('would: boot into graphical.target (kiosk)');
    expect(existsSync(join(tree.root, 'etc/systemd/system/ballotsafe-kiosk.service'))).toBe(false);
  });

  it('rejects unsafe option values before changing anything', () => {
    const before = listing(tree.root);
    const r = provisionRun(tree, ['--lan', '10.0.0.0/8; rm -rf /']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/--lan must be/);
    expect(listing(tree.root)).toEqual(before);
  });
});
