/**
 * #14 item 6: with a vault it cannot use, the daemon logged "internal error … ENOTDIR/EACCES",
 * kept serving "All good" (the web server held the process open) and never exited, so systemd
 * never restarted it. Now: a critical alert, a red overview, a few tries, then exit 1.
 * (Root ignores file modes, so the unusable vault is a file where the vault folder must be.)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPaths, parseConfig, type Config } from '../../daemon/core/config.ts';
import { openStateDatabase } from '../../daemon/runtime/stateDatabase.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { err, operatorError } from '../../daemon/core/result.ts';
import { startCaptureWithRetry } from '../../daemon/runtime/captureStart.ts';
import { startDaemon } from '../../daemon/runtime/daemonRuntime.ts';
import { SnapshotEngine } from '../../daemon/snapshot/engine.ts';
import { AlertLog } from '../../daemon/core/state/alerts.ts';
import { AuditLog } from '../../daemon/core/state/auditLog.ts';
import { createWebApp } from '../../daemon/web/app.tsx';
import { createWebDeps } from '../../daemon/web/wiring.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const base = mkdtempSync(join(tmpdir(), 'runtime-capture-start-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A data folder whose vault is a file: capture cannot create its folders there. */
function brokenVaultSetup(name: string): { dir: string; configFile: string } {
  const dir = join(base, name);
  mkdirSync(join(dir, 'export'), { recursive: true });
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'data', 'vault'), 'not a folder\n');
  const configFile = join(dir, 'config.yaml');
  writeFileSync(configFile, `dataDir: data\nroots:\n  - label: central-scan\n    path: export\ndrives:\n  mode: folders\n  a: drive-a\n  b: drive-b\nweb:\n  port: 0\n`);
  return { dir, configFile };
}

function configOf(configFile: string, dir: string): Config {
  const parsed = parseConfig({ dataDir: 'data', roots: [{ label: 'central-scan', path: 'export' }], drives: { mode: 'folders', a: 'drive-a', b: 'drive-b' }, web: { port: 0 }, log: { level: 'silent' } }, dir);
  if (!parsed.ok) throw new Error(`${configFile}: ${parsed.error.message}`);
  return parsed.value;
}

function runDaemon(configFile: string) {
  const child = spawn(process.execPath, [join(repoRoot, 'bin', 'ballotsafe.js'), 'daemon', '--config', configFile], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'info' } });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) => child.on('exit', (code, signal) => done({ code, signal, at: Date.now() })));
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

/** Logs in over HTTP as the running daemon's operator and reads the overview. */
async function overviewOf(url: string): Promise<{ verdict: { ok: boolean; headline: string; problems: { message: string }[] } }> {
  const first = await fetch(`${url}/api/login`);
  const cookie = (first.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await first.json()) as { csrfToken: string };
  const login = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken, origin: url }, body: JSON.stringify({ name: 'olivia', password: 'operator-password-1' }) });
  expect(login.status, await login.clone().text()).toBe(200);
  const session = (login.headers.getSetCookie().find((c) => c.startsWith('bs_session=')) ?? '').split(';')[0] ?? '';
  const overview = await fetch(`${url}/api/overview`, { headers: { cookie: session } });
  expect(overview.status).toBe(200);
  return (await overview.json()) as { verdict: { ok: boolean; headline: string; problems: { message: string }[] } };
}

describe('capture that cannot start', () => {
  it('raises a critical alert, turns the overview red while it retries, then the daemon exits 1 (systemd restarts it)', async () => {
    const { dir, configFile } = brokenVaultSetup('child');
    const add = spawnSync(process.execPath, [join(repoRoot, 'bin', 'ballotsafe.js'), 'user', 'add', 'olivia', '--role', 'operator', '--config', configFile], { input: 'operator-password-1\n', encoding: 'utf8', env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'silent' } });
    expect(add.status, add.stdout + add.stderr).toBe(0);
    const d = runDaemon(configFile);
    const startedAt = Date.now();
    try {
      const url = (await d.waitFor(/"event":"web\.listening","url":"(http:\/\/127\.0\.0\.1:\d+)"/, 60_000))?.[1];
      expect(url, d.output()).toBeDefined();
      // While it still tries, the operator sees red, not "All good".
      expect(await d.waitFor(/"event":"capture\.start\.failed"/, 30_000), d.output()).not.toBeNull();
      const model = await overviewOf(url!);
      expect(model.verdict.ok, JSON.stringify(model)).toBe(false);
      // The overview's own words changed with the custody state ("Not protected: …"); what matters is
      // that the critical alert is among the reasons it is not green.
      expect(model.verdict.headline, JSON.stringify(model)).not.toMatch(/All good/);
      expect(model.verdict.problems.map((p) => p.message).join(' '), JSON.stringify(model)).toMatch(/alerts? needs? attention/);
      const ended = await Promise.race([d.exited, sleep(45_000).then(() => 'still running' as const)]);
      expect(ended, d.output()).not.toBe('still running');
      if (ended === 'still running') return;
      expect(ended.code, d.output()).toBe(1);
      expect(ended.at - startedAt).toBeLessThan(45_000);
      expect(d.output()).toContain('"event":"daemon.fatal"');
      expect(d.output()).not.toMatch(/internal error|    at /);
      expect(d.output()).toContain('Capture cannot start');
    } finally {
      d.child.kill('SIGKILL');
    }
    // The alert outlives the process: after systemd's restart the operator still sees it, once.
    const db = openStateDatabase(join(dir, 'data', 'ballotsafe.db'));
    try {
      const open = new AlertLog(db, silentLogger()).open().filter((a) => a.code === 'capture-cannot-start');
      expect(open).toHaveLength(1);
      expect(open[0]!.severity).toBe('critical');
      expect(open[0]!.message).toMatch(/NOT being captured/);
      expect(open[0]!.message).not.toMatch(/ENOTDIR|EACCES|ENOENT/);
    } finally {
      db.close();
    }
  }, 120_000);

  it('a SIGTERM while it retries stops it at once, cleanly', async () => {
    const { configFile } = brokenVaultSetup('sigterm');
    const d = runDaemon(configFile);
    try {
      expect(await d.waitFor(/"event":"capture\.start\.failed"/, 60_000), d.output()).not.toBeNull();
      const sentAt = Date.now();
      d.child.kill('SIGTERM');
      const ended = await Promise.race([d.exited, sleep(15_000).then(() => 'still running' as const)]);
      expect(ended, d.output()).not.toBe('still running');
      if (ended === 'still running') return;
      expect(ended.code, d.output()).toBe(0);
      expect(ended.at - sentAt).toBeLessThan(10_000);
    } finally {
      d.child.kill('SIGKILL');
    }
  }, 90_000);

  it('in process: startDaemon returns the operator error, and the overview is red through the web app', async () => {
    const { dir, configFile } = brokenVaultSetup('inprocess');
    const config = configOf(configFile, dir);
    const started = await startDaemon({ config, logger: silentLogger(), captureStart: { attempts: 2, firstDelayMs: 10 } });
    expect(started.ok).toBe(false);
    if (started.ok) return;
    expect(started.error.code).toBe('capture-cannot-start');
    expect(started.error.message).not.toMatch(/ENOTDIR|internal error/);
    const db = openStateDatabase(dataPaths(config).database);
    try {
      const logger = silentLogger();
      const engine = new SnapshotEngine({ db, config, logger, alerts: new AlertLog(db, logger), audit: new AuditLog(db, logger) });
      const deps = createWebDeps({ db, config, logger, engine });
      const added = await deps.accounts.addUser('olivia', 'operator', 'operator-password-1');
      expect(added.ok).toBe(true);
      const user = deps.accounts.findUser('olivia')!;
      const { token } = deps.accounts.createSession(user);
      const res = await createWebApp(deps).request('/api/overview', { headers: { cookie: `bs_session=${token}` } });
      expect(res.status).toBe(200);
      const model = (await res.json()) as { verdict: { ok: boolean; problems: { message: string }[] } };
      expect(model.verdict.ok).toBe(false);
      expect(model.verdict.problems.map((p) => p.message).join(' ')).toMatch(/alert/);
      const alerts = new AlertLog(db, logger).open().filter((a) => a.code === 'capture-cannot-start');
      expect(alerts.map((a) => a.severity)).toEqual(['critical']);
    } finally {
      db.close();
    }
  }, 60_000);

  it("capture's typed start failure (an error Result) counts the same, with capture's own words", async () => {
    const db = openStateDatabase(':memory:');
    try {
      const alerts = new AlertLog(db, silentLogger());
      let starts = 0;
      let stops = 0;
      const r = await startCaptureWithRetry(
        () => ({
          start: async () => {
            starts++;
            return err(operatorError('capture-vault-unwritable', 'the vault folder cannot be written to.'));
          },
          stop: async () => {
            stops++;
          },
        }),
        { vaultDir: '/var/lib/ballotsafe/vault', alerts, logger: silentLogger(), policy: { attempts: 3, firstDelayMs: 5 } },
      );
      expect(r.ok ? 'started' : r.error.code).toBe('capture-cannot-start');
      expect([starts, stops]).toEqual([3, 3]);
      const open = alerts.open();
      expect(open).toHaveLength(1);
      expect(open[0]!.message).toBe('New files from the EMS are NOT being captured: the vault folder cannot be written to. It has tried 3 times and keeps restarting to try again.');
    } finally {
      db.close();
    }
  });
});

