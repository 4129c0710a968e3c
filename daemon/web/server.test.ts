import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebApp } from './app.tsx';
import { startWebServer } from './server.ts';
import { makeRig, type TestRig } from '../../test/web/webTestFakes.ts';
import { silentLogger } from '../core/log/logger.ts';

let rig: TestRig;
let certDir: string;

beforeAll(async () => {
  rig = await makeRig();
  certDir = mkdtempSync(join(tmpdir(), 'ballotsafe-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', join(certDir, 'key.pem'), '-out', join(certDir, 'cert.pem')], { stdio: 'ignore' });
});

afterAll(() => {
  rig.cleanup();
  rmSync(certDir, { recursive: true, force: true });
});

function httpsGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('web server', () => {
  it('listens on 127.0.0.1 by default', async () => {
    const config = { ...rig.config, web: { ...rig.config.web, port: 0 } };
    expect(rig.config.web.host).toBe('127.0.0.1');
    const server = await startWebServer(createWebApp(rig.deps), config, silentLogger());
    if (!server.ok) throw new Error(server.error.message);
    try {
      expect(server.value.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const res = await fetch(`${server.value.url}/login`);
      expect(res.status).toBe(200);
    } finally {
      await server.value.close();
    }
  });

  it('refuses to listen on the network without TLS, saying what to configure', async () => {
    const config = { ...rig.config, web: { host: '0.0.0.0', port: 0 } };
    const server = await startWebServer(createWebApp(rig.deps), config, silentLogger());
    expect(server.ok).toBe(false);
    if (!server.ok) {
      expect(server.error.code).toBe('web-lan-needs-tls');
      expect(server.error.action).toContain('web.tls.certFile');
    }
  });

  it('serves HTTPS with TLS configured, and marks cookies Secure', async () => {
    const config = { ...rig.config, web: { host: '127.0.0.1', port: 0, tls: { certFile: join(certDir, 'cert.pem'), keyFile: join(certDir, 'key.pem') } } };
    const server = await startWebServer(createWebApp({ ...rig.deps, config }), config, silentLogger());
    if (!server.ok) throw new Error(server.error.message);
    try {
      expect(server.value.url).toMatch(/^https:\/\//);
      const res = await httpsGet(`${server.value.url}/api/login`);
      expect(res.status).toBe(200);
      expect(String(res.headers['set-cookie'])).toMatch(/Secure/);
    } finally {
      await server.value.close();
    }
  });

  it('says when the certificate cannot be read', async () => {
    const config = { ...rig.config, web: { host: '127.0.0.1', port: 0, tls: { certFile: '/nonexistent/cert.pem', keyFile: '/nonexistent/key.pem' } } };
    const server = await startWebServer(createWebApp(rig.deps), config, silentLogger());
    expect(server.ok ? '' : server.error.code).toBe('web-tls-unreadable');
  });
});
