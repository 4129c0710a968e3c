/**
 * What every route sub-app shares: the request's session variables, the refusal and success
 * answers (a page for a browser, JSON for the CLI), the role guards and the audit record.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { LogEvent } from '../../core/log/events.ts';
import { logEvent } from '../../core/log/logger.ts';
import { operatorError, type OperatorError } from '../../core/result.ts';
import type { Session } from '../accounts.ts';
import { worstSeverity } from '../alertLinks.ts';
import type { SnapshotRecord, WebDeps } from '../deps.ts';
import { isDiskFull } from '../diskFull.ts';
import { ErrorInLayout } from '../pages/errorInLayout.tsx';
import type { PageContext } from '../pages/layout.tsx';
import { ErrorPage } from '../pages/login.tsx';
import { idSchema, isForm, localPath, wantsHtml } from './request.ts';

export type Env = { Variables: { session: Session | null; sessionToken: string | null } };

export const sessionCookie = 'bs_session';
export const loginCookie = 'bs_login';

export const errors = {
  notLoggedIn: operatorError('not-logged-in', 'You are not logged in, or your session has ended.', 'Log in again.'),
  csrf: operatorError('csrf-token-missing', 'The page you used is out of date (its security token does not match).', 'Reload the page and try again.'),
  origin: operatorError('origin-refused', 'This request came from another web site and was refused.', 'Use the ballotsafe pages on the appliance itself.'),
  observer: operatorError('role-observer', 'You are logged in as an observer, who can look but not act.', 'Ask an operator to do this, or log in with an operator account.'),
  notFound: operatorError('not-found', 'There is no such page or item.', 'Go back to the Overview and use the menu.'),
  unknownSnapshot: operatorError('snapshot-unknown', 'There is no snapshot with that number.', 'Pick one on the History page.'),
};

export function notInstalled(what: string): OperatorError {
  return operatorError('not-installed', `${what} is not available on this appliance yet.`, 'Nothing to do; this will work once it is installed.');
}

export type FailStatus = 400 | 401 | 403 | 404 | 409 | 413 | 421 | 422 | 429 | 500 | 503 | 507;

export interface RouteKit {
  readonly deps: WebDeps;
  /** Served over TLS: cookies are Secure and HSTS is sent. */
  readonly secure: boolean;
  now(): Date;
  /** A refusal: the login page for a GET without a session, an error page for a browser, JSON otherwise. */
  fail(c: Context<Env>, status: FailStatus, error: OperatorError, back?: string): Response | Promise<Response>;
  /** JSON for API clients; a redirect back to the page for plain form posts. */
  done(c: Context<Env>, body: Record<string, unknown>, page: string, status?: 200 | 202): Response;
  sessionOf(c: Context<Env>): Session;
  pageContext(c: Context<Env>): PageContext;
  readonly requireSession: MiddlewareHandler<Env>;
  readonly requireOperator: MiddlewareHandler<Env>;
  /** Audit entries are evidence, but a full disk must not turn a login into a 500: then they go to the system log. */
  record(actor: string, action: string, details?: Record<string, unknown>): void;
  /** The snapshot named by the `sequence` route parameter. */
  snapshotBySequence(c: Context<Env>): SnapshotRecord | undefined;
}

export function routeKit(deps: WebDeps): RouteKit {
  const now = () => deps.now?.() ?? new Date();

  function fail(c: Context<Env>, status: FailStatus, error: OperatorError, back = '/') {
    if (status === 401 && c.req.method === 'GET' && wantsHtml(c)) {
      return c.redirect(`/login?next=${encodeURIComponent(c.req.path)}`, 303);
    }
    if (wantsHtml(c)) {
      // Logged in: keep the tab bar, so a refusal is never a dead end.
      if (c.get('session') != null) return c.html(<ErrorInLayout page={pageContext(c)} message={error.message} action={error.action} back={back} />, status);
      return c.html(<ErrorPage status={status} message={error.message} action={error.action} back={back} />, status);
    }
    return c.json({ error }, status);
  }

  function done(c: Context<Env>, body: Record<string, unknown>, page: string, status: 200 | 202 = 200) {
    if (isForm(c) && wantsHtml(c)) return c.redirect(page, 303);
    return c.json(body, status);
  }

  function sessionOf(c: Context<Env>): Session {
    const s = c.get('session');
    if (s === null) throw new Error('route reached without a session'); // guarded by requireSession
    return s;
  }

  function pageContext(c: Context<Env>): PageContext {
    const s = sessionOf(c);
    const open = deps.alerts.open();
    return { user: s.user, csrfToken: s.csrfToken, electionTitle: deps.config.election.title, openAlerts: open.length, worstAlert: worstSeverity(open) };
  }

  const requireSession: MiddlewareHandler<Env> = async (c, next) => {
    if (c.get('session') === null) return fail(c, 401, errors.notLoggedIn);
    await next();
  };

  const requireOperator: MiddlewareHandler<Env> = async (c, next) => {
    const s = c.get('session');
    if (s === null) return fail(c, 401, errors.notLoggedIn);
    if (s.user.role !== 'operator') return fail(c, 403, errors.observer, c.req.header('referer') === undefined ? '/' : localPath(new URL(c.req.header('referer') ?? '/', 'http://x').pathname));
    await next();
  };

  function record(actor: string, action: string, details?: Record<string, unknown>): void {
    try {
      deps.audit.record(actor, action, details);
    } catch (e) {
      if (!isDiskFull(e)) throw e;
      logEvent(deps.logger, LogEvent.WebAuditUnsaved, { actor, action, ...details }, 'error');
    }
  }

  function snapshotBySequence(c: Context<Env>): SnapshotRecord | undefined {
    const seq = idSchema.safeParse(c.req.param('sequence'));
    return seq.success ? deps.snapshotHistory.list(100_000).find((s) => s.sequence === seq.data) : undefined;
  }

  return { deps, secure: deps.config.web.tls !== undefined, now, fail, done, sessionOf, pageContext, requireSession, requireOperator, record, snapshotBySequence };
}
