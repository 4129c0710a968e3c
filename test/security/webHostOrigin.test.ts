/**
 * Issue #14 item 7 (web): DNS rebinding (a foreign Host name), a CSRF Origin that differs only in
 * scheme, and HSTS under TLS, against a real listening server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { createWebApp } from '../../daemon/web/app.tsx';
import { startWebServer } from '../../daemon/web/server.ts';
import { makeRig, type TestRig } from '../web/webTestFakes.ts';
import { http, listen } from './webServer.ts';

let rig: TestRig;
let certDir: string;

beforeAll(() => {
  certDir = mkdtempSync(join(tmpdir(), 'ballotsafe-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));
beforeEach(async () => {
  rig = await makeRig();
});
afterEach(() => rig.cleanup());

describe('Host header (DNS rebinding)', () => {
  it('refuses a page asked for under a foreign name, and serves the appliance its own names', async () => {
    const server = await listen(rig.deps);
    try {
      const port = new URL(server.url).port;
      // A rebinding page at http://attacker.example:PORT whose name now resolves to the appliance.
      const rebound = await http(`${server.url}/login`, { headers: { host: `attacker.example:${port}` } });
      expect(rebound.status).toBe(421);
      expect(rebound.body).not.toContain('name="password"');
      const api = await http(`${server.url}/api/login`, { headers: { host: `attacker.example:${port}` } });
      expect(api.status).toBe(421);
      expect(JSON.parse(api.body)).toMatchObject({ error: { code: 'host-refused' } });
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
        expect((await http(`${server.url}/login`, { headers: { host } })).status).toBe(200);
      }
    } finally {
      await server.close();
    }
  });

  it('answers to names listed in web.allowedHosts', async () => {
    const config: Config = { ...rig.config, web: { ...rig.config.web, allowedHosts: ['ballotsafe.county.example'] } };
    const server = await listen({ ...rig.deps, config });
    try {
      const port = new URL(server.url).port;
      expect((await http(`${server.url}/login`, { headers: { host: `ballotsafe.county.example:${port}` } })).status).toBe(200);
      expect((await http(`${server.url}/login`, { headers: { host: `ballotsafe.county.example.attacker.example:${port}` } })).status).toBe(421);
    } finally {
      await server.close();
    }
  });
});

describe('Origin of state-changing requests', () => {
  it('refuses an Origin that names this host and port under another scheme', async () => {
    const server = await listen(rig.deps);
    try {
      const token = await http(`${server.url}/api/login`);
      const csrf = (JSON.parse(token.body) as { csrfToken: string }).csrfToken;
      const cookie = String(token.headers['set-cookie'] ?? '').split(';')[0] ?? '';
      const login = (origin: string) =>
        http(`${server.url}/api/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf, origin },
          body: JSON.stringify({ name: 'olivia', password: 'operator-password' }),
        });
      const otherScheme = await login(server.url.replace(/^http:/, 'https:'));
      expect(otherScheme.status).toBe(403);
      expect(JSON.parse(otherScheme.body)).toMatchObject({ error: { code: 'origin-refused' } });
      expect((await login(server.url)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});

describe('HSTS', () => {
  it('tells browsers to keep to HTTPS when the UI runs with TLS', async () => {
    const config: Config = { ...rig.config, web: { host: '127.0.0.1', port: 0, tls: { certFile: join(certDir, 'cert.pem'), keyFile: join(certDir, 'key.pem') } } };
    const server = await startWebServer(createWebApp({ ...rig.deps, config }), config, silentLogger());
    if (!server.ok) throw new Error(server.error.message);
    try {
      const headers = await new Promise<Record<string, string | string[] | undefined>>((resolve, reject) => {
        const req = request(`${server.value.url}/login`, { rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.headers);
        });
        req.on('error', reject);
        req.end();
      });
      expect(headers['strict-transport-security']).toMatch(/max-age=\d{7,}/);
    } finally {
      await server.value.close();
    }
    // Never over plain HTTP (a header there would be ignored, and is wrong to send).
    const plain = await listen(rig.deps);
    try {
      expect((await http(`${plain.url}/login`)).headers['strict-transport-security']).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});
