import { Hono } from 'hono';
import { fileURLToPath } from 'node:url';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, thrownFields } from '../core/log/logger.ts';
import { operatorError } from '../core/result.ts';
import type { WebDeps } from './deps.ts';
import { diskFullError, isDiskFull } from './diskFull.ts';
import { LoginRateLimiter } from './loginRateLimit.ts';
import { alertRoutes } from './routes/alerts.tsx';
import { assetRoutes } from './routes/assets.ts';
import { custodyRoutes } from './routes/custody.tsx';
import { driveRoutes } from './routes/drives.tsx';
import { eventRoutes } from './routes/events.ts';
import { type Env, errors, routeKit } from './routes/kit.tsx';
import { overviewRoutes } from './routes/overview.tsx';
import { preauditRoutes } from './routes/preaudit.tsx';
import { evidenceRoutes } from './routes/evidence.tsx';
import { mapStyleRoutes } from './routes/mapStyle.tsx';
import { publicationRoutes } from './routes/publication.ts';
import { securityMiddleware } from './routes/security.ts';
import { snapshotRoutes } from './routes/snapshot.tsx';
import { stickRoutes } from './routes/sticks.tsx';
import { userRoutes } from './routes/users.tsx';

export interface WebAppOptions {
  /** Folder with style.css and app.js (default: the repo's web-ui/). */
  readonly assetsDir?: string;
  readonly rateLimiter?: LoginRateLimiter;
  /** How often the event stream looks for changed state (ms). */
  readonly sseCheckMs?: number;
}

/**
 * The appliance's web UI and JSON API. Pages and CLI use the same /api routes for every action.
 * State-changing requests need a session, the session's CSRF token and a same-origin request
 * (routes/security.ts, in front of every route); acting needs the operator role. Every action is
 * audit-logged under the user's name. Each area's routes are a sub-app in routes/.
 */
export function createWebApp(deps: WebDeps, options: WebAppOptions = {}): Hono<Env> {
  const app = new Hono<Env>();
  const kit = routeKit(deps);

  app.onError((e, c) => {
    logEvent(deps.logger, LogEvent.WebRequestError, { path: c.req.path, method: c.req.method, ...thrownFields(e) }, 'error');
    if (isDiskFull(e)) return kit.fail(c, 507, diskFullError('this change could not be saved'));
    return kit.fail(c, 500, operatorError('internal-error', 'Something went wrong inside the appliance.', 'Try again. If it keeps happening, note the time and call technical support.'));
  });
  app.notFound((c) => kit.fail(c, 404, errors.notFound));

  app.use('*', securityMiddleware(kit));

  app.route('/', assetRoutes(kit, options.assetsDir ?? fileURLToPath(new URL('../../web-ui/', import.meta.url))));
  app.route('/', userRoutes(kit, options.rateLimiter ?? new LoginRateLimiter()));
  app.route('/', overviewRoutes(kit));
  app.route('/', snapshotRoutes(kit));
  app.route('/', custodyRoutes(kit));
  app.route('/', publicationRoutes(kit));
  app.route('/', driveRoutes(kit));
  app.route('/', stickRoutes(kit));
  app.route('/', alertRoutes(kit));
  app.route('/', preauditRoutes(kit));
  app.route('/', evidenceRoutes(kit));
  app.route('/', mapStyleRoutes(kit));
  app.route('/', eventRoutes(kit, options.sseCheckMs ?? 2000));
  return app;
}
