// Issue #14, the signing key's separation, with real unix users (needs root): the signer runs as
// its own throwaway user with its key folder 0700; a process running as another unprivileged user
// (the daemon's stand-in, in the socket's group) gets signatures through the socket but EACCES on
// the key; a user outside the socket's group cannot even connect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { copySignerScript, startSigner, type RunningSigner } from './signerSupport.ts';

const isRoot = process.getuid?.() === 0;
const tools = ['useradd', 'userdel', 'setpriv', 'minisign'].every((t) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0);

function ids(user: string): { uid: number; gid: number } {
  const r = spawnSync('id', ['-u', user], { encoding: 'utf8' });
  const g = spawnSync('id', ['-g', user], { encoding: 'utf8' });
  return { uid: Number(r.stdout.trim()), gid: Number(g.stdout.trim()) };
}

function asUser(user: string): string[] {
  const { uid, gid } = ids(user);
  return ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--init-groups', '--'];
}

// Runs as the other user: tries the key, then asks the socket for a signature. Plain node, no imports
// from the repository (that user cannot read the worktree's node_modules, and needs nothing from it).
const probe = `
const fs = require('node:fs'), net = require('node:net'), crypto = require('node:crypto');
const [keyDir, sock, content] = process.argv.slice(1);
const attempt = (f) => { try { f(); return 'read'; } catch (e) { return e.code; } };
const out = {
  uid: process.getuid(),
  readKey: attempt(() => fs.readFileSync(keyDir + '/appliance-ed25519.json')),
  listKeyDir: attempt(() => fs.readdirSync(keyDir)),
};
const hash = crypto.createHash('blake2b512').update(content).digest('hex');
const s = net.connect(sock);
let reply = '';
s.on('connect', () => s.end('sign ' + hash + ' ballotsafe cross-user test\\n'));
s.on('data', (c) => (reply += c));
s.on('error', (e) => { out.connect = e.code; console.log(JSON.stringify(out)); process.exit(0); });
s.on('close', () => { out.connect = 'ok'; out.reply = reply; console.log(JSON.stringify(out)); });
`;

describe.skipIf(!isRoot)('signer as its own unix user', () => {
  it('has the tools it needs (useradd, userdel, setpriv, minisign: installed by .ci/run)', () => {
    expect(tools).toBe(true);
  });

  const signerUser = `bs-signer-test-${process.pid}`;
  const daemonUser = `bs-daemon-test-${process.pid}`;
  let base = '';
  let signer: RunningSigner | undefined;

  beforeAll(async () => {
    for (const u of [signerUser, daemonUser]) {
      const r = spawnSync('useradd', ['--system', '--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', u], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`useradd ${u}: ${r.stderr}`);
    }
    base = mkdtempSync(join(tmpdir(), 'bs-signer-users-'));
    chmodSync(base, 0o755);
    const script = copySignerScript(base);
    const s = ids(signerUser);
    const keyDir = join(base, 'signer-keys');
    mkdirSync(keyDir, { mode: 0o700 });
    chownSync(keyDir, s.uid, s.gid);
    const run = join(base, 'run');
    mkdirSync(run, { mode: 0o755 });
    chownSync(run, s.uid, s.gid);
    signer = await startSigner(base, { runAs: asUser(signerUser), script, socket: join(run, 'signer.sock') });
    // What ballotsafe-signer.socket sets: SocketUser=root, SocketGroup=<the daemon's group>, 0660.
    chownSync(signer.socket, 0, ids(daemonUser).gid);
  });

  afterAll(async () => {
    await signer?.stop();
    if (base !== '') rmSync(base, { recursive: true, force: true });
    for (const u of [signerUser, daemonUser]) spawnSync('userdel', [u]);
  });

  it('the key belongs to the signer user alone, 0600 in a 0700 folder, and the signer runs as that user', () => {
    if (signer === undefined) throw new Error('no signer');
    const s = ids(signerUser);
    const st = spawnSync('stat', ['-c', '%a %u', signer.keyDir, join(signer.keyDir, 'appliance-ed25519.json')], { encoding: 'utf8' });
    expect(st.stdout.trim().split('\n')).toEqual([`700 ${s.uid}`, `600 ${s.uid}`]);
    const ps = spawnSync('ps', ['-o', 'uid=', '-p', String(signer.child.pid)], { encoding: 'utf8' });
    expect(Number(ps.stdout.trim())).toBe(s.uid);
  });

  it("another unprivileged user in the socket's group gets signatures that minisign accepts, and EACCES on the key", () => {
    if (signer === undefined) throw new Error('no signer');
    const content = 'tagmanifest stand-in\n';
    const r = spawnSync(asUser(daemonUser)[0] ?? '', [...asUser(daemonUser).slice(1), process.execPath, '-e', probe, signer.keyDir, signer.socket, content], { encoding: 'utf8', cwd: '/', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { uid: number; readKey: string; listKeyDir: string; connect: string; reply: string };
    expect(out.uid).toBe(ids(daemonUser).uid);
    expect(out.readKey).toBe('EACCES');
    expect(out.listKeyDir).toBe('EACCES');
    expect(out.connect).toBe('ok');
    const reply = JSON.parse(out.reply) as { ok: boolean; signature: string };
    expect(reply.ok).toBe(true);
    writeFileSync(join(base, 'content.txt'), content);
    writeFileSync(join(base, 'content.txt.minisig'), reply.signature);
    writeFileSync(join(base, 'signer.pub'), signer.publicKeyFile);
    const v = spawnSync('minisign', ['-Vm', 'content.txt', '-p', 'signer.pub'], { cwd: base, encoding: 'utf8' });
    expect(v.status, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toContain('Trusted comment: ballotsafe cross-user test');
  });

  it("a user outside the socket's group cannot connect at all", () => {
    if (signer === undefined) throw new Error('no signer');
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, '-e', probe, signer.keyDir, signer.socket, 'x'], { encoding: 'utf8', cwd: '/', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { readKey: string; connect: string };
    expect(out.readKey).toBe('EACCES');
    expect(out.connect).toBe('EACCES');
  });
});
