/**
 * Issue #14 item 5: password guessing against the web login, with real parallel HTTP requests
 * to a real listening server. Other loopback addresses (127.0.0.2, ...) play other computers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LoginRateLimiter } from '../../daemon/web/loginRateLimit.ts';
import { makeRig, type TestRig } from '../web/webTestFakes.ts';
import { http, listen, loginClient } from './webServer.ts';

let rig: TestRig;
let server: Awaited<ReturnType<typeof listen>>;
let clock: number;

beforeEach(async () => {
  rig = await makeRig();
  clock = Date.now();
  server = await listen(rig.deps, { rateLimiter: new LoginRateLimiter(5, 15 * 60 * 1000, () => clock) });
});

afterEach(async () => {
  await server.close();
  rig.cleanup();
});

describe('login rate limit under parallel attempts', () => {
  it('40 parallel tries with the right password 20th: at most 5 are checked and none gets in', async () => {
    const attacker = await loginClient(server.url, '127.0.0.2');
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => attacker.attempt('olivia', i === 20 ? 'operator-password' : `wrong-guess-${i}`)));
    const checked = answers.filter((a) => a.status === 401 || a.status === 200).length;
    expect(answers.filter((a) => a.status === 200)).toHaveLength(0);
    expect(checked).toBeLessThanOrEqual(5);
    expect(answers.filter((a) => a.status === 429).length).toBeGreaterThanOrEqual(35);
  });

  it('60 parallel wrong passwords: at most 5 are checked against the password', async () => {
    const attacker = await loginClient(server.url, '127.0.0.2');
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => attacker.attempt('olivia', `wrong-guess-${i}`)));
    expect(answers.filter((a) => a.status === 401).length).toBeLessThanOrEqual(5);
    expect(answers.every((a) => a.status === 401 || a.status === 429)).toBe(true);
  });

  it('failures from another address do not lock the operator out at their own screen', async () => {
    // Olivia logged in at the kiosk before; then someone on the LAN guesses her password.
    const kiosk = await loginClient(server.url, '127.0.0.1');
    expect((await kiosk.attempt('olivia', 'operator-password')).status).toBe(200);
    const attacker = await loginClient(server.url, '127.0.0.2');
    for (let i = 0; i < 20; i++) await attacker.attempt('olivia', `wrong-guess-${i}`);
    const again = await kiosk.attempt('olivia', 'operator-password');
    expect(again.status).toBe(200);
    expect(again.session).toMatch(/^bs_session=./);
  });

  it('a stranger cannot keep a chosen operator out for more than about a minute', async () => {
    const attacker = await loginClient(server.url, '127.0.0.2');
    // A patient attacker: waits as long as the server asks, 20 wrong passwords really checked.
    for (let wrong = 0; wrong < 20; ) {
      const a = await attacker.attempt('olivia', `wrong-guess-${wrong}`);
      if (a.status === 401) wrong++;
      else clock += Number(a.headers['retry-after'] ?? '1') * 1000;
    }
    // Olivia at a computer she has not used before: slowed for a moment, not for 15 minutes.
    const elsewhere = await loginClient(server.url, '127.0.0.3');
    clock += 61_000;
    expect((await elsewhere.attempt('olivia', 'operator-password')).status).toBe(200);
    // The attacker's own address stays slowed much longer.
    expect((await attacker.attempt('olivia', 'operator-password')).status).toBe(429);
  });

  it('an observer cannot read the operators\' names to aim guesses at', async () => {
    const oscar = await (await loginClient(server.url)).attempt('oscar', 'observer-password');
    expect(oscar.status).toBe(200);
    for (const path of ['/api/settings', '/settings']) {
      const page = await http(`${server.url}${path}`, { headers: { cookie: oscar.session, accept: path === '/settings' ? 'text/html' : 'application/json' } });
      expect(page.status).toBe(200);
      expect(page.body).toContain('oscar');
      expect(page.body).not.toContain('olivia');
    }
    const olivia = await (await loginClient(server.url)).attempt('olivia', 'operator-password');
    expect((await http(`${server.url}/api/settings`, { headers: { cookie: olivia.session } })).body).toContain('oscar');
  });
});
