// Issue #14, defence in depth for the signing key: the capturing code cannot read the key at all.
// The key lives with a separate signer process (on the appliance its own unix user); the daemon
// asks it for signatures over a socket and holds only the public key pinned in its config.
// Real parts: the signer script as its own process, real sockets, Debian's minisign.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { signerForConfig } from '../../daemon/snapshot/signerChoice.ts';
import { SocketSigner } from '../../daemon/snapshot/socketSigner.ts';
import { SnapshotEngine } from '../../daemon/snapshot/engine.ts';
import { keyIdHex } from '../../daemon/snapshot/minisign.ts';
import { AlertLog } from '../../daemon/core/state/alerts.ts';
import { folderDrives, makeAppliance } from '../snapshot/fixture.ts';
import { keyLine, rawRequest, repo, signerScript, startSigner, type RunningSigner } from './signerSupport.ts';

function minisignVerify(dir: string, file: string, sig: string, pub: string): { status: number | null; out: string } {
  const r = spawnSync('minisign', ['-V', '-m', file, '-x', sig, '-p', pub], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** Every file under dir whose bytes contain needle. */
function filesContaining(dir: string, needle: string): string[] {
  const hits: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && readFileSync(p).includes(needle)) hits.push(p);
    }
  };
  walk(dir);
  return hits;
}

function applianceConfig(base: Config, signer: RunningSigner): Config {
  // As provision.sh writes it: the socket, and the public key line pinned.
  return assertOk(parseConfig({ dataDir: base.dataDir, election: base.election, signing: { socket: signer.socket, publicKey: keyLine(signer.publicKeyFile) } }, '/'));
}

describe('signer: the daemon signs through a separate process and never holds the key', () => {
  let base = '';
  let signer: RunningSigner;
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'bs-signer-'));
    signer = await startSigner(base);
  });
  afterAll(async () => {
    await signer.stop();
    rmSync(base, { recursive: true, force: true });
  });

  it('a snapshot under an appliance config is signed by the signer; minisign -V accepts it; no secret key in the data folder', async () => {
    const app = makeAppliance(join(base, 'appliance'));
    try {
      for (let i = 0; i < 3; i++) app.addFile('central-scan', `T1/B1/img${i}.tif`, `image ${i}`);
      const config = applianceConfig(app.config, signer);
      const engine = new SnapshotEngine({ db: app.db, config, logger: silentLogger() });
      const a = join(base, 'drive-a');
      const b = join(base, 'drive-b');
      mkdirSync(a);
      mkdirSync(b);
      const out = assertOk(await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) }));
      const election = join(a, 'ballotsafe', 'test-election');
      const bag = join(election, 'snapshots', out.bagName);
      // The signer's key, checked by the stock tool with the key the signer printed at init.
      writeFileSync(join(base, 'signer.pub'), signer.publicKeyFile);
      const v = minisignVerify(bag, 'tagmanifest-sha256.txt', 'tagmanifest-sha256.txt.minisig', join(base, 'signer.pub'));
      expect(v.out).toContain('Signature and comment signature verified');
      expect(v.status).toBe(0);
      expect(readFileSync(join(election, 'ballotsafe-appliance.pub'), 'utf8')).toBe(signer.publicKeyFile);
      // The daemon side created no key of its own, and the secret is nowhere in its data folder.
      const secret = JSON.parse(readFileSync(join(signer.keyDir, 'appliance-ed25519.json'), 'utf8')) as { privateKeyPem: string };
      const pemBody = secret.privateKeyPem.split('\n')[1] ?? '';
      expect(pemBody.length).toBeGreaterThan(40);
      expect(existsSync(join(app.config.dataDir, 'keys', 'appliance-ed25519.json'))).toBe(false);
      expect(filesContaining(app.config.dataDir, pemBody)).toEqual([]);
      expect(filesContaining(a, pemBody)).toEqual([]);
      // The signer logged what it signed (the journal is the signer's own audit trail).
      expect(signer.stderr()).toContain(`root:${out.rootHash}`);
    } finally {
      app.close();
    }
  });

  it('signatures from the socket signer verify with minisign -V; `signerForConfig` never opens dataDir/keys', async () => {
    const app = makeAppliance(join(base, 'appliance2'));
    try {
      const s = signerForConfig(applianceConfig(app.config, signer));
      expect(s).toBeInstanceOf(SocketSigner);
      expect(keyIdHex(s.keyId)).toBe(/public key ([0-9A-F]{16})/.exec(signer.publicKeyFile)?.[1]);
      const content = Buffer.from('any content\nwith lines\n');
      const sig = assertOk(await s.sign(content, 'ballotsafe election:x snapshot:y sequence:1 root:ab previous:none'));
      writeFileSync(join(base, 'content.txt'), content);
      writeFileSync(join(base, 'content.txt.minisig'), sig);
      writeFileSync(join(base, 'signer.pub'), signer.publicKeyFile);
      const v = minisignVerify(base, 'content.txt', 'content.txt.minisig', join(base, 'signer.pub'));
      expect(v.status, v.out).toBe(0);
      expect(v.out).toContain('Trusted comment: ballotsafe election:x snapshot:y sequence:1 root:ab previous:none');
      expect(existsSync(join(app.config.dataDir, 'keys'))).toBe(false);
    } finally {
      app.close();
    }
  });

  it('a signer holding another key than the config pins is refused (signatures are checked before use)', async () => {
    const other = await startSigner(mkdtempSync(join(base, 'other-')));
    try {
      const app = makeAppliance(join(base, 'appliance3'));
      try {
        // Config pins our signer's key, but the socket leads to another signer.
        const config = assertOk(parseConfig({ dataDir: app.config.dataDir, election: app.config.election, signing: { socket: other.socket, publicKey: keyLine(signer.publicKeyFile) } }, '/'));
        const r = await signerForConfig(config).sign('x', 'ballotsafe test');
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error.code).toBe('signer-wrong-key');
      } finally {
        app.close();
      }
    } finally {
      await other.stop();
    }
  });

  it('with the signer down, a snapshot writes nothing and raises a critical alert in plain words', async () => {
    const app = makeAppliance(join(base, 'appliance4'));
    try {
      app.addFile('central-scan', 'T1/B1/img.tif', 'image');
      const config = assertOk(parseConfig({ dataDir: app.config.dataDir, election: app.config.election, signing: { socket: join(base, 'no-such.sock'), publicKey: keyLine(signer.publicKeyFile) } }, '/'));
      const alerts = new AlertLog(app.db, silentLogger());
      const engine = new SnapshotEngine({ db: app.db, config, logger: silentLogger(), alerts });
      const a = join(base, 'down-a');
      const b = join(base, 'down-b');
      mkdirSync(a);
      mkdirSync(b);
      const r = await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) });
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.error.code).toBe('signer-unavailable');
        expect(r.error.message).not.toMatch(/ENOENT|ECONNREFUSED|Error:/);
        expect(r.error.action).toContain('systemctl status ballotsafe-signer');
      }
      const open = alerts.open();
      expect(open.map((x) => [x.severity, x.code])).toEqual([['critical', 'signer-unavailable']]);
      // Preflight may have made the empty folders; no file (bag, key, README) was written.
      expect(readdirSync(a, { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory())).toEqual([]);
      expect(engine.listSnapshots()).toEqual([]);
      expect(existsSync(join(app.config.dataDir, 'keys'))).toBe(false);
    } finally {
      app.close();
    }
  });
});

describe('signer: the socket systemd hands over (ballotsafe-signer.socket, Accept=no)', () => {
  const haveActivate = spawnSync('sh', ['-c', 'command -v systemd-socket-activate']).status === 0;
  it('serves the listening socket passed as fd 3 (LISTEN_FDS), started with the unit\'s own command line', async () => {
    // systemd-socket-activate comes with the systemd package .ci/run installs: missing is a failure, not a skip.
    expect(haveActivate, 'systemd-socket-activate is installed').toBe(true);
    const base = mkdtempSync(join(tmpdir(), 'bs-signer-activate-'));
    const started = await startSigner(base); // init the key (and a --listen signer we stop at once)
    await started.stop();
    const unit = readFileSync(join(repo, 'systemd/ballotsafe-signer.service'), 'utf8');
    const exec = /^ExecStart=\/usr\/bin\/node (.*) \/opt\/ballotsafe\/daemon\/signer\/ballotsafe-signer\.mjs serve --key-dir \/var\/lib\/ballotsafe-signer$/m.exec(unit);
    expect(exec).not.toBeNull();
    const flags = (exec?.[1] ?? '').split(' ');
    const sock = join(base, 'activated.sock');
    const child = spawn('systemd-socket-activate', ['-l', sock, process.execPath, ...flags, signerScript, 'serve', '--key-dir', started.keyDir], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
      const app = makeAppliance(join(base, 'appliance'));
      try {
        const config = assertOk(parseConfig({ dataDir: app.config.dataDir, election: app.config.election, signing: { socket: sock, publicKey: keyLine(started.publicKeyFile) } }, '/'));
        const sig = assertOk(await signerForConfig(config).sign('activated\n', 'ballotsafe activated'));
        writeFileSync(join(base, 'c.txt'), 'activated\n');
        writeFileSync(join(base, 'c.txt.minisig'), sig);
        writeFileSync(join(base, 'k.pub'), started.publicKeyFile);
        expect(minisignVerify(base, 'c.txt', 'c.txt.minisig', join(base, 'k.pub')).status).toBe(0);
      } finally {
        app.close();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(base, { recursive: true, force: true });
    }
  });
});

describe('signer: hostile requests are refused without crashing', () => {
  let base = '';
  let signer: RunningSigner;
  beforeAll(async () => {
    base = mkdtempSync(join(tmpdir(), 'bs-signer-hostile-'));
    signer = await startSigner(base);
  });
  afterAll(async () => {
    await signer.stop();
    rmSync(base, { recursive: true, force: true });
  });
  afterEach(() => {
    expect(signer.child.exitCode).toBeNull();
  });

  const hex = 'a'.repeat(128);
  const refused: Array<[string, Buffer | string]> = [
    ['an empty line', '\n'],
    ['an unknown verb', 'export-key\n'],
    ['a path instead of a hash', `sign ../../var/lib/ballotsafe-signer/appliance-ed25519.json ballotsafe x\n`],
    ['a path as the whole request', '/var/lib/ballotsafe-signer/appliance-ed25519.json\n'],
    ['hex that is too short', `sign ${'a'.repeat(127)} ballotsafe x\n`],
    ['hex that is too long', `sign ${'a'.repeat(130)} ballotsafe x\n`],
    ['upper-case hex', `sign ${'A'.repeat(128)} ballotsafe x\n`],
    ['non-hex digits', `sign ${'g'.repeat(128)} ballotsafe x\n`],
    ['a comment not starting with ballotsafe', `sign ${hex} anything x\n`],
    ['an empty comment', `sign ${hex} \n`],
    ['a carriage return in the comment', `sign ${hex} ballotsafe a\rtrusted comment: forged\n`],
    ['a NUL byte', `sign ${hex} ballotsafe a\u0000b\n`],
    ['UTF-8 outside ASCII', `sign ${hex} ballotsafe é\n`],
    ['a comment over 512 characters', `sign ${hex} ballotsafe ${'x'.repeat(600)}\n`],
    ['JSON', '{"sign":"x","file":"/etc/shadow"}\n'],
    ['pubkey with an argument', 'pubkey /var/lib/ballotsafe-signer\n'],
    ['a request without its newline', `sign ${hex} ballotsafe x`],
    ['binary noise', Buffer.from([0xff, 0xfe, 0x00, 0x0a])],
  ];
  for (const [name, bytes] of refused) {
    it(`refuses ${name}`, async () => {
      const reply = await rawRequest(signer.socket, bytes);
      const parsed = JSON.parse(reply.trim()) as { ok: boolean; code?: string; signature?: string };
      expect(parsed.ok).toBe(false);
      expect(parsed.signature).toBeUndefined();
      expect(reply).not.toMatch(/PRIVATE|privateKeyPem/);
    });
  }

  it('a newline ends the request: a second line is never read or signed', async () => {
    const reply = await rawRequest(signer.socket, `sign ${hex} ballotsafe first\ntrusted comment: second\n`);
    const parsed = JSON.parse(reply.trim()) as { ok: boolean; signature: string };
    expect(parsed.ok).toBe(true);
    expect(parsed.signature.split('\n')[2]).toBe('trusted comment: ballotsafe first');
    expect(reply.trim().split('\n')).toHaveLength(1);
  });

  it('refuses an overlong line at 1 KiB without waiting for its end (100 MB is never buffered)', async () => {
    const s = connect(signer.socket);
    let reply = '';
    s.setEncoding('utf8').on('data', (c: string) => (reply += c));
    s.on('error', () => undefined);
    await new Promise<void>((r) => s.on('connect', () => r()));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    while (sent < 100 * 1024 * 1024 && !s.destroyed && reply === '') {
      if (!s.write(chunk)) await new Promise((r) => setTimeout(r, 5));
      sent += chunk.length;
      if (sent % (1024 * 1024) === 0) await new Promise((r) => setImmediate(r));
    }
    await new Promise((r) => setTimeout(r, 200));
    s.destroy();
    expect(JSON.parse(reply.trim())).toMatchObject({ ok: false, code: 'too-long' });
    expect(sent).toBeLessThan(100 * 1024 * 1024);
  });

  it('many parallel connections: at most 8 are served at once, the rest are closed, and the signer keeps working', async () => {
    const held: Socket[] = [];
    const closedEarly: number[] = [];
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => new Promise<void>((r) => {
        const s = connect(signer.socket);
        s.on('error', () => undefined);
        s.on('close', () => closedEarly.push(i));
        s.on('connect', () => r());
        s.on('close', () => r());
        held.push(s);
      })),
    );
    await new Promise((r) => setTimeout(r, 300));
    // The signer closes the connections beyond its limit instead of queueing them.
    expect(closedEarly.length).toBeGreaterThanOrEqual(190);
    // A slow caller holding a connection is dropped after its idle time (5 s).
    await new Promise((r) => setTimeout(r, 5500));
    const stillOpen = held.filter((s) => !s.destroyed && s.readyState === 'open');
    expect(stillOpen).toHaveLength(0);
    for (const s of held) s.destroy();
    const reply = await rawRequest(signer.socket, 'pubkey\n');
    expect(JSON.parse(reply.trim())).toMatchObject({ ok: true, publicKey: signer.publicKeyFile });
    expect(signer.child.exitCode).toBeNull();
  }, 20_000);
});

describe('signer: refuses to start with a key others could read or a swapped key file', () => {
  let base = '';
  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'bs-signer-start-'));
  });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const serve = (keyDir: string) => spawnSync(process.execPath, [signerScript, 'serve', '--key-dir', keyDir, '--listen', join(base, 'x.sock')], { encoding: 'utf8', timeout: 10_000 });

  it('key folder open to others, key file open to others, key file a symlink', async () => {
    const s = await startSigner(base);
    await s.stop();
    const keyFile = join(s.keyDir, 'appliance-ed25519.json');
    chmodSync(s.keyDir, 0o755);
    let r = serve(s.keyDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('must be 0700');
    chmodSync(s.keyDir, 0o700);
    chmodSync(keyFile, 0o640);
    r = serve(s.keyDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('must be mode 0600');
    chmodSync(keyFile, 0o600);
    renameSync(keyFile, join(base, 'elsewhere.json'));
    symlinkSync(join(base, 'elsewhere.json'), keyFile);
    r = serve(s.keyDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('cannot open the signing key');
    expect(statSync(join(base, 'elsewhere.json')).isFile()).toBe(true);
  });
});
