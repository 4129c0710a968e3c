import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const base = mkdtempSync(join(tmpdir(), 'ballotsafe-daemon-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Run as an installed appliance would: from another working folder, through bin/ballotsafe.js.
describe('ballotsafe daemon', () => {
  it('serves the login page and the API from any working folder, and stops on SIGTERM', async () => {
    mkdirSync(join(base, 'export'), { recursive: true });
    const configFile = join(base, 'config.yaml');
    writeFileSync(configFile, `dataDir: data\nroots:\n  - label: central-scan\n    path: export\ndrives:\n  mode: folders\n  a: drive-a\n  b: drive-b\nweb:\n  port: 0\n`);
    const daemon = spawn(process.execPath, [join(repoRoot, 'bin', 'ballotsafe.js'), 'daemon', '--config', configFile], { cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'info' } });
    let out = '';
    daemon.stdout.on('data', (d: Buffer) => (out += d.toString()));
    daemon.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((done) => daemon.on('exit', (code) => done(code)));
    let sentAt = 0;
    try {
      const deadline = Date.now() + 60_000;
      let url: string | undefined;
      while (url === undefined && Date.now() < deadline) {
        url = /"event":"daemon\.started","url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out)?.[1];
        await sleep(50);
      }
      expect(url, out).toBeDefined();
      const login = await fetch(`${url}/login`);
      const html = await login.text();
      expect(login.status, html).toBe(200);
      expect(html).toContain('<form');
      expect(html).toContain('name="password"');
      const api = await fetch(`${url}/api/overview`);
      expect(api.status).toBe(401);
    } finally {
      sentAt = Date.now();
      daemon.kill('SIGTERM');
    }
    expect(await exited, out).toBe(0);
    // systemd waits TimeoutStopSec and then kills: the daemon bounds its own stop at 10 s.
    expect(Date.now() - sentAt).toBeLessThan(10_000);
    expect(out).toContain('"event":"daemon.stopped"');
    expect(out).not.toContain('web.request.error');
  });
});
