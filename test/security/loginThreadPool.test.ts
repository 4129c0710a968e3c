/**
 * Issue #14 item 5: password hashing must not starve the daemon's file I/O. scrypt through
 * node:crypto runs on libuv's thread pool (4 threads unless UV_THREADPOOL_SIZE is set before the
 * pool starts), which every fs.promises call shares.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoginRateLimiter } from '../../daemon/web/loginRateLimit.ts';
import { makeRig, type TestRig } from '../web/webTestFakes.ts';
import { http, listen, loginClient } from './webServer.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

describe('password checks and file reads', () => {
  let rig: TestRig;
  let server: Awaited<ReturnType<typeof listen>>;

  beforeEach(async () => {
    rig = await makeRig();
    server = await listen(rig.deps, { rateLimiter: new LoginRateLimiter() });
  });

  afterEach(async () => {
    await server.close();
    rig.cleanup();
  });

  it('64 parallel wrong logins from 64 addresses do not stall a file read', async () => {
    const file = join(rig.dir, 'probe.txt');
    writeFileSync(file, 'x'.repeat(4096));
    // Baselines in this run: one wrong login (one scrypt), and a file read on an idle daemon.
    const warm = await loginClient(server.url, '127.0.1.200');
    await warm.attempt('nobody-warm', 'wrong-password');
    const oneLogin = median([await timed(() => warm.attempt('nobody-1', 'wrong-password')), await timed(() => warm.attempt('nobody-2', 'wrong-password'))]);
    const idleRead = median(await Promise.all([1, 2, 3].map(() => timed(() => readFile(file)))));

    const clients = await Promise.all(Array.from({ length: 64 }, (_, i) => loginClient(server.url, `127.0.1.${i + 1}`)));
    const flood = Promise.all(clients.map((c, i) => c.attempt(`guess-${i}`, 'wrong-password')));
    await new Promise((r) => setTimeout(r, 300)); // every request has reached the server and waits for its check
    const busyRead = await timed(() => readFile(file));
    const answers = await flood;
    console.log(`file read: idle ${idleRead.toFixed(1)} ms, during 64 logins ${busyRead.toFixed(1)} ms; one login ${oneLogin.toFixed(0)} ms`);

    // Before: the read queued behind ~60 scrypt runs on 4 threads, many times one login's time.
    expect(busyRead).toBeLessThan(Math.max(2 * oneLogin, idleRead * 20));
    // Excess checks are refused quickly instead of piling up.
    expect(answers.every((a) => a.status === 401 || a.status === 503)).toBe(true);
    expect(answers.some((a) => a.status === 503)).toBe(true);
    const busy = answers.find((a) => a.status === 503);
    expect(JSON.parse(busy?.body ?? '{}')).toMatchObject({ error: { code: 'login-busy' } });
    // And the server still answers a right password afterwards.
    const olivia = await loginClient(server.url, '127.0.0.1');
    expect((await olivia.attempt('olivia', 'operator-password')).status).toBe(200);
    expect((await http(`${server.url}/login`)).status).toBe(200);
  });
});

describe('bin/ballotsafe.js', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ballotsafe-pool-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('really gets a larger libuv pool (UV_THREADPOOL_SIZE set before the pool starts)', async () => {
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `dataDir: ${join(dir, 'var')}\n`);
    const env = { ...process.env };
    delete env['UV_THREADPOOL_SIZE'];
    // `user add` waits for the password on stdin: count the process's threads while it waits.
    const child = spawn(process.execPath, [join(repo, 'bin', 'ballotsafe.js'), 'user', 'add', 'pat', '--role', 'operator', '--config', config], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let threads = 0;
    for (let i = 0; i < 100 && threads < 64; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        threads = readdirSync(`/proc/${child.pid}/task`).length;
      } catch {
        break; // exited
      }
    }
    child.stdin.end('a good long password\n');
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
    // libuv starts all its pool threads at once: 4 of them leave the process near a dozen threads.
    expect(threads).toBeGreaterThanOrEqual(64);
  });
});
