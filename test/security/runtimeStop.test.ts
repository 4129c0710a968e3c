/**
 * #14 item 6: SIGTERM must always end the daemon within 10 s (systemd otherwise waits 90 s, then
 * SIGKILLs), including during and after a pre-audit pass and with the kiosk's event stream open.
 * A real daemon on a small generated election; and the watchdog itself in a real process whose
 * stop never finishes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const base = mkdtempSync(join(tmpdir(), 'runtime-stop-'));
const configFile = join(base, 'config.yaml');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const BOUND_MS = 10_000;

beforeAll(async () => {
  const g = await generateSampleElection({ out: join(base, 'export'), seed: 11, ballots: 6, format: 'dominion' });
  if (!g.ok) throw new Error(g.error.message);
  writeFileSync(
    configFile,
    [
      'dataDir: data',
      'roots:',
      '  - label: dominion-export',
      '    path: export/dominion',
      '  - label: election-files',
      '    path: export/eif',
      '    defaultKind: election-definition',
      'capture:',
      '  settleMs: 200',
      'drives:',
      '  mode: folders',
      '  a: drive-a',
      '  b: drive-b',
      'web:',
      '  port: 0',
      '',
    ].join('\n'),
  );
  const add = spawnSync(process.execPath, [join(repoRoot, 'bin', 'ballotsafe.js'), 'user', 'add', 'olivia', '--role', 'operator', '--config', configFile], { input: 'operator-password-1\n', encoding: 'utf8', env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'silent' } });
  if (add.status !== 0) throw new Error(add.stdout + add.stderr);
}, 120_000);
afterAll(() => rmSync(base, { recursive: true, force: true }));

function runDaemon() {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'ballotsafe.js'), 'daemon', '--config', configFile], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'info' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((done) => child.on('exit', (code) => done({ code, at: Date.now() })));
  const waitFor = async (re: RegExp, ms: number): Promise<RegExpExecArray | null> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const m = re.exec(out);
      if (m !== null || Date.now() > deadline || child.exitCode !== null) return m;
      await sleep(50);
    }
  };
  return { child, exited, waitFor, output: () => out };
}

/** Logs in and opens the UI's event stream (as the kiosk does); returns a function that ends it. */
async function openEventStream(url: string): Promise<() => void> {
  const first = await fetch(`${url}/api/login`);
  const cookie = (first.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await first.json()) as { csrfToken: string };
  const login = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken, origin: url }, body: JSON.stringify({ name: 'olivia', password: 'operator-password-1' }) });
  expect(login.status).toBe(200);
  const session = (login.headers.getSetCookie().find((c) => c.startsWith('bs_session=')) ?? '').split(';')[0] ?? '';
  const controller = new AbortController();
  const events = await fetch(`${url}/api/events`, { headers: { cookie: session }, signal: controller.signal });
  expect(events.status).toBe(200);
  void events.body?.pipeTo(new WritableStream()).catch(() => undefined);
  return () => controller.abort();
}

async function sigtermWithinBound(d: ReturnType<typeof runDaemon>): Promise<void> {
  const sentAt = Date.now();
  d.child.kill('SIGTERM');
  const ended = await Promise.race([d.exited, sleep(BOUND_MS + 5000).then(() => 'still running' as const)]);
  expect(ended, d.output()).not.toBe('still running');
  if (ended === 'still running') return;
  expect(ended.at - sentAt, d.output()).toBeLessThan(BOUND_MS);
  expect(ended.code, d.output()).toBe(0);
  expect(d.output()).toContain('"event":"daemon.stopped"');
  expect(d.output()).not.toContain('"event":"daemon.stop.timeout"');
}

describe('SIGTERM ends the daemon within 10 s', () => {
  it('in the middle of a pre-audit pass, with the event stream open', async () => {
    const d = runDaemon();
    let endStream = () => undefined as void;
    try {
      const url = (await d.waitFor(/"event":"daemon\.started","url":"(http:\/\/127\.0\.0\.1:\d+)"/, 60_000))?.[1];
      expect(url, d.output()).toBeDefined();
      endStream = await openEventStream(url!);
      expect(await d.waitFor(/"event":"preaudit\.(styles\.learning|started)"/, 120_000), d.output()).not.toBeNull();
      await sigtermWithinBound(d);
    } finally {
      endStream();
      d.child.kill('SIGKILL');
    }
  }, 240_000);

  it('after a finished pre-audit pass, with the event stream open', async () => {
    const d = runDaemon();
    let endStream = () => undefined as void;
    try {
      const url = (await d.waitFor(/"event":"daemon\.started","url":"(http:\/\/127\.0\.0\.1:\d+)"/, 60_000))?.[1];
      expect(url, d.output()).toBeDefined();
      endStream = await openEventStream(url!);
      expect(await d.waitFor(/"event":"preaudit\.finished","phase":"compare"/, 180_000), d.output()).not.toBeNull();
      await sleep(1000);
      await sigtermWithinBound(d);
    } finally {
      endStream();
      d.child.kill('SIGKILL');
    }
  }, 300_000);
});

describe('the stop watchdog', () => {
  it('ends a process whose stop never finishes, names what kept it alive, exits 1', async () => {
    const script = join(base, 'stuck-stop.mts');
    writeFileSync(
      script,
      `import { listenForStop } from ${JSON.stringify(join(repoRoot, 'daemon', 'runtime', 'shutdown.ts'))};
import { createLogger } from ${JSON.stringify(join(repoRoot, 'daemon', 'core', 'log', 'logger.ts'))};
const stop = listenForStop(createLogger({ level: 'info' }), { boundMs: 1500 });
setInterval(() => undefined, 1000);
process.stdout.write('ready\\n');
await stop.requested;
await new Promise(() => undefined); // a stop that never finishes
`,
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
    try {
      for (let i = 0; i < 600 && !out.includes('ready'); i++) await sleep(50);
      expect(out).toContain('ready');
      const sentAt = Date.now();
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(8000).then(() => 'still running' as const)]);
      expect(code, out).toBe(1);
      expect(Date.now() - sentAt).toBeLessThan(5000);
      expect(out).toMatch(/"event":"daemon\.stop\.timeout".*"stoppedCleanly":false.*"stillRunning":\[[^\]]*Timeout/);
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);
});
