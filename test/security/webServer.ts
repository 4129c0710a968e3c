/**
 * TEST ONLY. A real ballotsafe web server on 127.0.0.1 (port chosen by the system) over the web
 * test rig, and an HTTP client that can send from another loopback address (127.0.0.2, ...), so
 * the server sees different client addresses the way it would on a LAN.
 */
import { request } from 'node:http';
import type { Config } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { createWebApp, type WebAppOptions } from '../../daemon/web/app.tsx';
import type { WebDeps } from '../../daemon/web/deps.ts';
import { startWebServer, type RunningWebServer } from '../../daemon/web/server.ts';

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export async function listen(deps: WebDeps, options: WebAppOptions = {}): Promise<RunningWebServer & { config: Config }> {
  const config: Config = { ...deps.config, web: { ...deps.config.web, host: '127.0.0.1', port: 0 } };
  const server = await startWebServer(createWebApp({ ...deps, config }, options), config, silentLogger());
  if (!server.ok) throw new Error(server.error.message);
  return { ...server.value, config };
}

export function http(url: string, init: { method?: string; headers?: Record<string, string>; body?: string; from?: string } = {}): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, localAddress: init.from ?? '127.0.0.1', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}

function cookieOf(answer: HttpAnswer, name: string): string {
  const all = answer.headers['set-cookie'] ?? [];
  const line = (Array.isArray(all) ? all : [all]).find((c) => c.startsWith(`${name}=`));
  return line === undefined ? '' : (line.split(';')[0] ?? '');
}

/** A login client at one address: fetches the login token once, then tries passwords. */
export async function loginClient(baseUrl: string, from = '127.0.0.1') {
  const token = await http(`${baseUrl}/api/login`, { from });
  const csrf = (JSON.parse(token.body) as { csrfToken: string }).csrfToken;
  const cookie = cookieOf(token, 'bs_login');
  return {
    async attempt(name: string, password: string): Promise<HttpAnswer & { session: string }> {
      const answer = await http(`${baseUrl}/api/login`, {
        method: 'POST',
        from,
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf, origin: baseUrl },
        body: JSON.stringify({ name, password }),
      });
      return { ...answer, session: cookieOf(answer, 'bs_session') };
    },
  };
}
