import { serve, type ServerType } from '@hono/node-server';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { Hono } from 'hono';
import type { Config } from '../core/config.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';

export interface RunningWebServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the web app on config.web.host:port: 127.0.0.1 by default (the kiosk's own screen);
 * a LAN address only when configured, and then with TLS when certFile/keyFile are given.
 */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

export function startWebServer(app: { fetch: Hono['fetch'] }, config: Config, logger: Logger): Promise<Result<RunningWebServer>> {
  const { host, port, tls } = config.web;
  if (!isLoopbackHost(host) && tls === undefined) {
    // Passwords and session cookies must not cross the network in clear text.
    return Promise.resolve(
      err(
        operatorError(
          'web-lan-needs-tls',
          `The web UI is set to listen on ${host}, which other computers can reach, but no TLS certificate is configured.`,
          'Add web.tls.certFile and web.tls.keyFile to the config file, or set web.host back to 127.0.0.1 for the kiosk screen only.',
        ),
      ),
    );
  }
  let serverOptions: { cert: Buffer; key: Buffer } | undefined;
  if (tls !== undefined) {
    try {
      serverOptions = { cert: readFileSync(tls.certFile), key: readFileSync(tls.keyFile) };
    } catch (e) {
      return Promise.resolve(
        err(operatorError('web-tls-unreadable', `Cannot read the web TLS certificate or key: ${(e as Error).message}`, 'Check web.tls.certFile and web.tls.keyFile in the config file.')),
      );
    }
  }
  return new Promise((resolve) => {
    let server: ServerType;
    const onListening = (info: { port: number }) => {
      const scheme = tls === undefined ? 'http' : 'https';
      const shownHost = host.includes(':') ? `[${host}]` : host;
      const url = `${scheme}://${shownHost}:${info.port}`;
      logEvent(logger, LogEvent.WebListening, { url });
      resolve(
        ok({
          url,
          close: () =>
            new Promise<void>((done) => {
              // SSE streams keep connections open; end them so close() returns.
              const s = server as { closeAllConnections?: () => void; close: (cb: () => void) => void };
              s.closeAllConnections?.();
              s.close(() => done());
            }),
        }),
      );
    };
    server =
      serverOptions === undefined
        ? serve({ fetch: app.fetch, hostname: host, port }, onListening)
        : serve({ fetch: app.fetch, hostname: host, port, createServer: createHttpsServer, serverOptions }, onListening);
    server.once('error', (e: NodeJS.ErrnoException) => {
      resolve(
        err(
          operatorError(
            'web-listen-failed',
            `The web UI cannot listen on ${host}:${port}: ${e.code ?? e.message}`,
            e.code === 'EADDRINUSE' ? 'Another program uses this port: stop it, or set web.port in the config file.' : 'Check web.host and web.port in the config file.',
          ),
        ),
      );
    });
  });
}
