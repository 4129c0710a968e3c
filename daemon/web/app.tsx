import { getConnInfo } from '@hono/node-server/conninfo';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, thrownFields } from '../core/log/logger.ts';
import type { AuditAction } from '../core/state/auditActions.ts';
import { operatorError, type OperatorError } from '../core/result.ts';
import { sessionLifetimeMs, type Session } from './accounts.ts';
import type { HandAssignment, WebDeps } from './deps.ts';
import { LoginRateLimiter } from './loginRateLimit.ts';
import { ballotImageForBrowser } from './ballotImage.ts';
import { worstSeverity } from './alertLinks.ts';
import { diskFullError, isDiskFull } from './diskFull.ts';
import { eventStream } from './liveUpdates.ts';
import { allowedHostNames, crossSite, hostAllowed, hostRefused, hstsHeader } from './requestGuards.ts';
import { AlertsPage } from './pages/alerts.tsx';
import { AuditPage } from './pages/audit.tsx';
import { CustodyPage } from './pages/custody.tsx';
import { DrivesPage } from './pages/drives.tsx';
import { HandoffFormPage } from './pages/handoff.tsx';
import { EnrollPage } from './pages/enroll.tsx';
import { eraseConfirmed } from './enrollment.ts';
import { HistoryPage } from './pages/history.tsx';
import type { PageContext } from './pages/layout.tsx';
import { ErrorPage, LoginPage } from './pages/login.tsx';
import { ErrorInLayout } from './pages/errorInLayout.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { DisagreementPage, MapStylePage, PreauditPage } from './pages/preaudit.tsx';
import { SettingsPage } from './pages/settings.tsx';
import { SnapshotPage } from './pages/snapshot.tsx';
import { SticksPage } from './pages/sticks.tsx';
import { overviewModel, screenFormat, snapshotModel } from './views.ts';

type Env = { Variables: { session: Session | null; sessionToken: string | null } };

export const sessionCookie = 'bs_session';
export const loginCookie = 'bs_login';

export interface WebAppOptions {
  /** Folder with style.css and app.js (default: the repo's web-ui/). */
  readonly assetsDir?: string;
  readonly rateLimiter?: LoginRateLimiter;
  /** How often the event stream looks for changed state (ms). */
  readonly sseCheckMs?: number;
}

const assetTypes: Record<string, string> = { 'style.css': 'text/css; charset=utf-8', 'sheet-tools.css': 'text/css; charset=utf-8', 'app.js': 'text/javascript; charset=utf-8' };

const errors = {
  notLoggedIn: operatorError('not-logged-in', 'You are not logged in, or your session has ended.', 'Log in again.'),
  csrf: operatorError('csrf-token-missing', 'The page you used is out of date (its security token does not match).', 'Reload the page and try again.'),
  origin: operatorError('origin-refused', 'This request came from another web site and was refused.', 'Use the ballotsafe pages on the appliance itself.'),
  observer: operatorError('role-observer', 'You are logged in as an observer, who can look but not act.', 'Ask an operator to do this, or log in with an operator account.'),
  notFound: operatorError('not-found', 'There is no such page or item.', 'Go back to the Overview and use the menu.'),
};

function notInstalled(what: string): OperatorError {
  return operatorError('not-installed', `${what} is not available on this appliance yet.`, 'Nothing to do; this will work once it is installed.');
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}

function isUnsafe(method: string): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(method);
}

function wantsHtml(c: Context): boolean {
  return (c.req.header('accept') ?? '').includes('text/html');
}

function isForm(c: Context): boolean {
  return /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(c.req.header('content-type') ?? '');
}

/** Form fields or JSON object from the body; anything else is an empty object. */
async function readBody(c: Context): Promise<Record<string, unknown>> {
  const type = c.req.header('content-type') ?? '';
  try {
    if (/^application\/json/i.test(type)) {
      const body: unknown = await c.req.json();
      return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    }
    if (isForm(c)) return (await c.req.parseBody()) as Record<string, unknown>;
  } catch {
    return {};
  }
  return {};
}

/** Only local paths are accepted as a place to go after login (no open redirects). */
function localPath(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[^\s\\]*$/.test(next) && next.length < 500 ? next : '/';
}

function clientAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'local'; // app.request() in tests has no socket
  }
}

const loginSchema = z.object({ name: z.string().trim().min(1).max(64), password: z.string().min(1).max(1024) });
const snapshotSchema = z.object({ reason: z.enum(['end-of-day', 'operator']).default('end-of-day') });
const destination = z.string().trim().min(1).max(120);
const seal = z.string().trim().max(60).optional();
/** The hand-off form: both destinations and the witness are required (two people see the drives leave); seal numbers when sealed. */
const handoffSchema = z.object({ destinationA: destination, destinationB: destination, witness: z.string().trim().min(1).max(120), sealA: seal, sealB: seal });
const enrollSchema = z.object({ target: z.string().min(1).max(4096), role: z.enum(['A', 'B']), confirmErase: z.string().max(40).optional() });
const idSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * The appliance's web UI and JSON API. Pages and CLI use the same /api routes for every action.
 * State-changing requests need a session, the session's CSRF token and a same-origin request;
 * acting needs the operator role. Every action is audit-logged under the user's name.
 */
export function createWebApp(deps: WebDeps, options: WebAppOptions = {}): Hono<Env> {
  const app = new Hono<Env>();
  const limiter = options.rateLimiter ?? new LoginRateLimiter();
  const secure = deps.config.web.tls !== undefined;
  const now = () => deps.now?.() ?? new Date();
  const assetsDir = options.assetsDir ?? fileURLToPath(new URL('../../web-ui/', import.meta.url));
  const assetCache = new Map<string, string>();
  const sseCheckMs = options.sseCheckMs ?? 2000;

  function fail(c: Context<Env>, status: 400 | 401 | 403 | 404 | 409 | 413 | 421 | 422 | 429 | 500 | 503 | 507, error: OperatorError, back = '/') {
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

  /** JSON for API clients; a redirect back to the page for plain form posts. */
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

  /** Audit entries are evidence, but a full disk must not turn a login into a 500: then they go to the system log. */
  function record(actor: string, action: AuditAction, details?: Record<string, unknown>): void {
    try {
      deps.audit.record(actor, action, details);
    } catch (e) {
      if (!isDiskFull(e)) throw e;
      logEvent(deps.logger, LogEvent.WebAuditUnsaved, { actor, action, ...details }, 'error');
    }
  }

  app.onError((e, c) => {
    logEvent(deps.logger, LogEvent.WebRequestError, { path: c.req.path, method: c.req.method, ...thrownFields(e) }, 'error');
    if (isDiskFull(e)) return fail(c, 507, diskFullError('this change could not be saved'));
    return fail(c, 500, operatorError('internal-error', 'Something went wrong inside the appliance.', 'Try again. If it keeps happening, note the time and call technical support.'));
  });

  app.notFound((c) => fail(c, 404, errors.notFound));

  // Every form and JSON body here is tiny; refuse big ones before anything reads them.
  app.use(
    '*',
    bodyLimit({
      maxSize: 64 * 1024,
      onError: (c) => fail(c as Context<Env>, 413, operatorError('request-too-large', 'That request was far larger than any form here.', 'Reload the page and try again.')),
    }),
  );

  // Only the appliance's own names (DNS rebinding); HSTS under TLS, on refusals too.
  const hostNames = allowedHostNames(deps.config);
  app.use('*', async (c, next) => {
    if (secure) c.header('Strict-Transport-Security', hstsHeader);
    if (!hostAllowed(c.req.header('host') ?? new URL(c.req.url).host, hostNames)) return fail(c, 421, hostRefused(deps.config));
    await next();
  });

  // Session, origin and CSRF checks for everything; security headers on every answer.
  app.use('*', async (c, next) => {
    const token = getCookie(c, sessionCookie);
    // The live-update stream and the page's own refreshes are not use: an open page alone must not keep a session from idling out.
    const inUse = c.req.path !== '/api/events' && c.req.header('x-background-refresh') !== '1';
    const state = token === undefined ? undefined : deps.accounts.sessionState(token, { touch: inUse });
    if (state?.kind === 'idle-ended') record(state.user.name, 'web.session.idle-ended', { address: clientAddress(c) });
    const session = state?.kind === 'active' ? state.session : undefined;
    c.set('session', session ?? null);
    c.set('sessionToken', session === undefined || token === undefined ? null : token);
    if (isUnsafe(c.req.method)) {
      if (crossSite(c.req.header('origin'), c.req.header('sec-fetch-site'), c.req.header('host') ?? new URL(c.req.url).host, secure)) return fail(c, 403, errors.origin);
      const isLogin = c.req.path === '/login' || c.req.path === '/api/login';
      if (!isLogin) {
        if (session === undefined) return fail(c, 401, errors.notLoggedIn);
        const body = isForm(c) ? await readBody(c) : {};
        const sent = c.req.header('x-csrf-token') ?? (typeof body['_csrf'] === 'string' ? body['_csrf'] : '');
        if (!safeEqual(sent, session.csrfToken)) return fail(c, 403, errors.csrf);
      }
    }
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('X-Frame-Options', 'DENY');
    c.header('Referrer-Policy', 'same-origin');
    if (!c.res.headers.has('Content-Security-Policy')) {
      c.header(
        'Content-Security-Policy',
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      );
    }
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  });

  // ---- static assets (fixed names only) ------------------------------------------------------
  app.get('/assets/:name', async (c) => {
    const name = c.req.param('name');
    const type = assetTypes[name];
    if (type === undefined) return fail(c, 404, errors.notFound);
    let text = assetCache.get(name);
    if (text === undefined) {
      text = await readFile(join(assetsDir, name), 'utf8');
      assetCache.set(name, text);
    }
    c.header('Cache-Control', 'no-cache');
    return c.body(text, 200, { 'Content-Type': type });
  });

  // ---- login / logout --------------------------------------------------------------------------
  function issueLoginToken(c: Context<Env>): string {
    const existing = getCookie(c, loginCookie);
    if (existing !== undefined && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
    const token = randomBytes(32).toString('base64url');
    setCookie(c, loginCookie, token, { httpOnly: true, sameSite: 'Strict', secure, path: '/', maxAge: 3600 });
    return token;
  }

  app.get('/login', (c) => {
    if (c.get('session') !== null) return c.redirect('/', 303);
    const csrf = issueLoginToken(c);
    return c.html(<LoginPage csrf={csrf} next={localPath(c.req.query('next'))} electionTitle={deps.config.election.title} />);
  });

  /** For API clients (the CLI): a login token to send back as X-CSRF-Token with POST /api/login. */
  app.get('/api/login', (c) => c.json({ csrfToken: issueLoginToken(c) }));

  async function login(c: Context<Env>, asPage: boolean) {
    const body = await readBody(c);
    const sent = c.req.header('x-csrf-token') ?? (typeof body['_csrf'] === 'string' ? body['_csrf'] : '');
    const expected = getCookie(c, loginCookie) ?? '';
    const next = localPath(body['next']);
    const name = typeof body['name'] === 'string' ? body['name'].trim() : '';
    const answer = (status: 400 | 401 | 403 | 429 | 503, error: OperatorError) => {
      if (!asPage) return c.json({ error }, status);
      const csrf = issueLoginToken(c);
      return c.html(<LoginPage csrf={csrf} next={next} electionTitle={deps.config.election.title} error={error} name={name} />, status);
    };
    if (!safeEqual(sent, expected)) {
      return answer(403, operatorError('login-form-expired', 'The login form has expired.', 'Log in again on this page.'));
    }
    const parsed = loginSchema.safeParse(body);
    if (!parsed.success) return answer(400, operatorError('login-incomplete', 'Type both your name and your password.', 'Fill in both boxes and press Log in.'));
    const address = clientAddress(c);
    // Counted before the password is checked: parallel tries cannot all slip in under the limit.
    const reservation = limiter.reserve(parsed.data.name, address);
    if (!reservation.allowed) {
      const waitMs = reservation.retryAfterMs;
      const minutes = Math.ceil(waitMs / 60_000);
      logEvent(deps.logger, LogEvent.WebLoginRateLimited, { name: parsed.data.name, address, waitMs, limitedBy: reservation.limitedBy }, 'warn');
      c.header('Retry-After', String(Math.ceil(waitMs / 1000)));
      return answer(
        429,
        operatorError(
          'login-rate-limited',
          `Too many wrong passwords. Logging in is paused for ${minutes} minute${minutes === 1 ? '' : 's'}.`,
          `Wait ${minutes} minute${minutes === 1 ? '' : 's'} and try again. If the password is lost, a supervisor can set a new one at the appliance with: ballotsafe user passwd <name>`,
        ),
      );
    }
    const checked = await deps.accounts.login(parsed.data.name, parsed.data.password);
    if (!checked.ok) {
      if (checked.error.code === 'login-busy') {
        reservation.attempt.notChecked(); // no password was tried: do not count it against the operator
        c.header('Retry-After', '5');
        return answer(503, checked.error);
      }
      logEvent(deps.logger, LogEvent.WebLoginFailed, { name: parsed.data.name, address, code: checked.error.code }, 'warn');
      return answer(checked.error.code === 'user-disabled' ? 403 : 401, checked.error);
    }
    const user = checked.value;
    reservation.attempt.succeeded();
    const { token, session } = deps.accounts.createSession(user);
    setCookie(c, sessionCookie, token, { httpOnly: true, sameSite: 'Strict', secure, path: '/', maxAge: Math.floor(sessionLifetimeMs / 1000) });
    deleteCookie(c, loginCookie, { path: '/', secure });
    record(user.name, 'web.login', { role: user.role, address: clientAddress(c) });
    if (asPage) return c.redirect(next, 303);
    return c.json({ user: { name: user.name, role: user.role }, csrfToken: session.csrfToken, expiresAt: session.expiresAt });
  }

  app.post('/login', (c) => login(c, true));
  app.post('/api/login', (c) => login(c, false));

  async function logout(c: Context<Env>) {
    const s = sessionOf(c);
    const token = c.get('sessionToken');
    if (token !== null) deps.accounts.endSession(token);
    deleteCookie(c, sessionCookie, { path: '/', secure });
    record(s.user.name, 'web.logout');
    return done(c, { loggedOut: true }, '/login');
  }
  app.post('/logout', requireSession, (c) => logout(c));
  app.post('/api/logout', requireSession, (c) => logout(c));

  app.get('/api/session', requireSession, (c) => {
    const s = sessionOf(c);
    return c.json({ user: { name: s.user.name, role: s.user.role }, csrfToken: s.csrfToken, expiresAt: s.expiresAt });
  });

  // ---- overview --------------------------------------------------------------------------------
  app.get('/', requireSession, async (c) => c.html(<OverviewPage page={pageContext(c)} model={await overviewModel(deps)} now={now()} />));
  app.get('/api/overview', requireSession, async (c) => c.json(await overviewModel(deps)));

  // ---- snapshot --------------------------------------------------------------------------------
  app.get('/snapshot', requireSession, async (c) =>
    c.html(<SnapshotPage page={pageContext(c)} model={await snapshotModel(deps, c.req.query('confirm') === '1')} confirm={c.req.query('confirm') === '1'} now={now()} />),
  );
  app.get('/api/snapshot', requireSession, async (c) => c.json(await snapshotModel(deps)));

  app.post('/api/snapshot', requireOperator, async (c) => {
    const s = sessionOf(c);
    const parsed = snapshotSchema.safeParse(await readBody(c));
    if (!parsed.success) return fail(c, 400, operatorError('snapshot-request-invalid', 'The snapshot request was not understood.', 'Reload the Snapshot page and press the button again.'), '/snapshot');
    if (deps.drives === undefined) return fail(c, 503, notInstalled('Drive management'), '/snapshot');
    // The custody workflow checks the drives, audits a refusal and starts the one job runner.
    const started = await deps.drives.startSnapshot({ reason: parsed.data.reason, actor: s.user.name });
    if (!started.ok) return fail(c, 409, started.error, '/snapshot');
    // The snapshot engine writes the one `snapshot.requested` audit entry for this run.
    return done(c, { started: true, startedAt: started.value.startedAt }, '/snapshot', 202);
  });

  app.get('/snapshots', requireSession, (c) =>
    c.html(<HistoryPage page={pageContext(c)} snapshots={deps.snapshotHistory.list(200)} custody={deps.custody?.list(1000) ?? null} now={now()} />),
  );
  app.get('/api/snapshots', requireSession, (c) => c.json({ snapshots: deps.snapshotHistory.list(200) }));

  const snapshotBySequence = (c: Context<Env>) => {
    const seq = idSchema.safeParse(c.req.param('sequence'));
    return seq.success ? deps.snapshotHistory.list(100_000).find((s) => s.sequence === seq.data) : undefined;
  };
  const unknownSnapshot = operatorError('snapshot-unknown', 'There is no snapshot with that number.', 'Pick one on the History page.');

  /** The custody state's answer for handing off this snapshot now (the POST is guarded again by the workflow). */
  const handoffRefusal = async (sequence: number) => {
    if (deps.custodyState === undefined) return undefined;
    const state = await deps.custodyState(screenFormat(now()));
    const newest = state.newestSnapshot?.sequence;
    if (newest !== undefined && newest !== sequence) return operatorError('handoff-not-newest', `Snapshot #${sequence} is not the newest; only snapshot #${newest} can be handed off.`, 'Use the Snapshot page.');
    const p = state.actions.handOff;
    return p.allowed ? undefined : operatorError(p.code, p.reason, p.next);
  };

  app.get('/snapshots/:sequence{[0-9]{1,9}}/handoff', requireOperator, async (c) => {
    const snapshot = snapshotBySequence(c);
    if (snapshot === undefined) return fail(c, 404, unknownSnapshot, '/snapshots');
    if (deps.handoff === undefined) return fail(c, 503, notInstalled('Recording hand-offs'), '/snapshots');
    const refusal = await handoffRefusal(snapshot.sequence);
    if (refusal !== undefined) return fail(c, 409, refusal, '/snapshot');
    const drives = deps.custodyState === undefined ? [] : (await deps.custodyState(screenFormat(now()))).drives;
    return c.html(<HandoffFormPage page={pageContext(c)} snapshot={snapshot} drives={drives} now={now()} />);
  });

  app.post('/api/snapshots/:sequence{[0-9]{1,9}}/handoff', requireOperator, async (c) => {
    const s = sessionOf(c);
    const snapshot = snapshotBySequence(c);
    if (snapshot === undefined) return fail(c, 404, unknownSnapshot, '/snapshots');
    if (deps.handoff === undefined) return fail(c, 503, notInstalled('Recording hand-offs'), '/snapshots');
    const back = `/snapshots/${snapshot.sequence}/handoff`;
    const parsed = handoffSchema.safeParse(await readBody(c));
    if (!parsed.success) {
      return fail(c, 400, operatorError('handoff-incomplete', 'Say where drive A and drive B go, and who witnesses the hand-off.', 'Fill in both destinations and the witness\'s name, then press the button again.'), back);
    }
    if (deps.snapshot.isBusy()) return fail(c, 409, operatorError('drive-busy', 'A snapshot is writing to the drives.', 'Wait until it says the drives are safe to remove.'), back);
    const witness = parsed.data.witness;
    const seals = { ...(parsed.data.sealA ? { A: parsed.data.sealA } : {}), ...(parsed.data.sealB ? { B: parsed.data.sealB } : {}) };
    const result = await deps.handoff.handOff({ sequence: snapshot.sequence, operator: s.user.name, witness, destinations: { A: parsed.data.destinationA, B: parsed.data.destinationB }, seals });
    // One audit entry per hand-off: the drive service writes `custody.recorded`; a refusal is recorded here.
    if (!result.ok) {
      record(s.user.name, 'handoff.refused', { snapshot: snapshot.sequence, witness, code: result.error.code });
      return fail(c, 409, result.error, back);
    }
    return done(c, { custodyId: result.value.custodyId, sheet: `/custody/${result.value.custodyId}/sheet` }, `/custody/${result.value.custodyId}/sheet`);
  });

  // The publication bundle (issue #16): hashes and counts only, signed; anyone may download it.
  app.get('/snapshots/:sequence{[0-9]{1,9}}/publication.zip', requireSession, async (c) => {
    const snapshot = snapshotBySequence(c);
    if (snapshot === undefined) return fail(c, 404, unknownSnapshot, '/snapshots');
    if (deps.publication === undefined) return fail(c, 503, notInstalled('Publishing'), '/snapshots');
    const made = await deps.publication.zip(snapshot.sequence);
    if (!made.ok) return fail(c, 409, made.error, '/snapshots');
    record(sessionOf(c).user.name, 'publication.downloaded', { snapshot: snapshot.sequence, rootHash: snapshot.rootHash });
    return c.body(new Uint8Array(made.value.content), 200, { 'Content-Type': 'application/zip', 'Content-Disposition': `attachment; filename="${made.value.fileName}"` });
  });

  /** The drives team's printable sheet, with a Back/Print bar added for the touchscreen (hidden when printing). */
  app.get('/custody/:id{[0-9]{1,15}}/sheet', requireSession, (c) => {
    const id = idSchema.safeParse(c.req.param('id'));
    if (deps.handoff === undefined) return fail(c, 503, notInstalled('The hand-off sheet'), '/custody');
    const html = id.success ? deps.handoff.sheetHtml(id.data) : undefined;
    if (html === undefined) return fail(c, 404, operatorError('custody-unknown', 'There is no hand-off record with that number.', 'Open it from the Custody log.'), '/custody');
    const toolbar =
      '<div class="sheet-tools no-print"><a class="button secondary big" href="/custody">Back</a>' +
      '<button type="button" class="button primary big" data-print>Print</button></div>';
    const page = html
      .replace(/<\/head>/i, '<link rel="stylesheet" href="/assets/sheet-tools.css"><script src="/assets/app.js" defer></script></head>')
      .replace(/<body([^>]*)>/i, (m) => `${m}${toolbar}`);
    // The sheet carries its own <style>; allow inline styles here only, still no inline scripts.
    c.header('Content-Security-Policy', "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
    return c.html(page);
  });

  // ---- drives ----------------------------------------------------------------------------------
  app.get('/drives', requireSession, async (c) =>
    c.html(<DrivesPage page={pageContext(c)} drives={deps.drives === undefined ? null : await deps.drives.list()} busy={deps.snapshot.isBusy()} now={now()} />),
  );
  app.get('/api/drives', requireSession, async (c) => {
    if (deps.drives === undefined) return fail(c, 503, notInstalled('Drive management'));
    return c.json({ drives: await deps.drives.list() });
  });
  app.post('/api/drives/:role/eject', requireOperator, async (c) => {
    const s = sessionOf(c);
    const role = c.req.param('role');
    if (role !== 'A' && role !== 'B') return fail(c, 404, operatorError('drive-unknown', `There is no drive "${role}".`, 'Use drive A or drive B.'), '/drives');
    if (deps.drives === undefined) return fail(c, 503, notInstalled('Drive management'), '/drives');
    if (deps.snapshot.isBusy()) {
      return fail(c, 409, operatorError('drive-busy', `Drive ${role} is being written by a snapshot.`, 'Wait until the Snapshot page says both drives are safe to remove.'), '/drives');
    }
    const body = await readBody(c);
    const confirmed = z.object({ confirm: z.enum(['1', 'yes']) }).safeParse(body).success;
    const result = await deps.drives.eject(role, s.user.name, confirmed);
    record(s.user.name, 'drive.eject', { role, ok: result.ok, ...(result.ok ? {} : { code: result.error.code }) });
    if (!result.ok) return fail(c, 409, result.error, '/drives');
    return done(c, { ejected: role, message: result.value.message }, '/drives');
  });

  // ---- export sticks (issue #16) -----------------------------------------------------------------
  app.get('/sticks', requireSession, async (c) =>
    c.html(<SticksPage page={pageContext(c)} intakes={deps.sticks?.intakes(200) ?? null} sticks={deps.sticks?.sticks() ?? []} notEnrolled={(await deps.sticks?.notEnrolled()) ?? []} now={now()} />),
  );
  app.post('/api/sticks/enroll', requireOperator, async (c) => {
    const s = sessionOf(c);
    if (deps.sticks === undefined) return fail(c, 503, notInstalled('Export stick intake'), '/sticks');
    const body = z.object({ device: z.string().regex(/^\/dev\/[a-z0-9]{1,16}$/), ems: z.string().max(200) }).safeParse(await readBody(c));
    if (!body.success) return fail(c, 422, operatorError('stick-enroll-incomplete', 'Say which EMS this stick carries exports from.', 'Fill in the EMS name and press "Enroll as export stick".'), '/sticks');
    const r = await deps.sticks.enroll(body.data.device, body.data.ems, s.user.name);
    if (!r.ok) return fail(c, 409, r.error, '/sticks');
    return done(c, { stickId: r.value.id, ems: r.value.ems }, '/sticks');
  });
  app.get('/api/sticks', requireSession, (c) => {
    if (deps.sticks === undefined) return fail(c, 503, notInstalled('Export stick intake'));
    return c.json({ intakes: deps.sticks.intakes(200), sticks: deps.sticks.sticks() });
  });
  app.post('/api/sticks/:id{[0-9]{1,15}}/brought-by', requireOperator, async (c) => {
    const s = sessionOf(c);
    const id = idSchema.safeParse(c.req.param('id'));
    if (!id.success) return fail(c, 404, operatorError('stick-intake-unknown', 'There is no such intake.', 'Reload the Export sticks page.'), '/sticks');
    if (deps.sticks === undefined) return fail(c, 503, notInstalled('Export stick intake'), '/sticks');
    const body = z.object({ broughtBy: z.string().max(1000) }).safeParse(await readBody(c));
    if (!body.success) return fail(c, 422, operatorError('stick-no-name', 'Enter the name of the person who brought the stick.', 'Fill in the name and press Save.'), '/sticks');
    const r = deps.sticks.setBroughtBy(id.data, body.data.broughtBy, s.user.name);
    if (!r.ok) return fail(c, 409, r.error, '/sticks');
    return done(c, { intakeId: r.value.id, broughtBy: r.value.broughtBy }, '/sticks');
  });

  // ---- enrolling a drive (issue #15: a kiosk never needs a terminal) ----------------------------
  app.get('/drives/enroll', requireOperator, async (c) => {
    if (deps.enrollment === undefined) return fail(c, 503, notInstalled('Enrolling drives'), '/drives');
    const list = await deps.enrollment.unenrolled();
    if (!list.ok) return fail(c, 409, list.error, '/drives');
    return c.html(<EnrollPage page={pageContext(c)} drives={list.value} />);
  });
  app.post('/api/drives/enroll', requireOperator, async (c) => {
    const s = sessionOf(c);
    if (deps.enrollment === undefined) return fail(c, 503, notInstalled('Enrolling drives'), '/drives');
    if (deps.snapshot.isBusy()) return fail(c, 409, operatorError('drive-busy', 'A snapshot is writing to the drives.', 'Wait until it has finished, then enroll the drive.'), '/drives/enroll');
    const parsed = enrollSchema.safeParse(await readBody(c));
    if (!parsed.success) return fail(c, 400, operatorError('enroll-incomplete', 'Choose whether this drive becomes drive A or drive B.', 'Pick A or B and press Enroll again.'), '/drives/enroll');
    const list = await deps.enrollment.unenrolled();
    if (!list.ok) return fail(c, 409, list.error, '/drives/enroll');
    const drive = list.value.find((d) => d.target === parsed.data.target);
    if (drive === undefined) return fail(c, 409, operatorError('drive-gone', 'That drive is no longer plugged in, or it is already enrolled.', 'Plug it in again, wait a few seconds and reload the page.'), '/drives/enroll');
    const typed = parsed.data.confirmErase ?? '';
    const format = typed !== '';
    // Erasing only after the operator typed the drive's label or ERASE: a slip of the finger erases nothing.
    if (format && (!drive.canFormat || !eraseConfirmed(typed, drive.label))) {
      record(s.user.name, 'drive.enroll.refused', { target: drive.target, role: parsed.data.role, code: 'erase-not-confirmed' });
      return fail(c, 400, operatorError('erase-not-confirmed', drive.canFormat ? 'The drive was not erased: the word typed is not its label or ERASE.' : 'This drive cannot be erased from here.', drive.canFormat ? 'Type the label exactly as shown, or ERASE, to erase it; leave the box empty to keep what is on it.' : 'Leave the box empty.'), '/drives/enroll');
    }
    const result = await deps.enrollment.enroll({ target: drive.target, role: parsed.data.role, format, actor: s.user.name });
    // The drive service writes the one `drive.enrolled` (and `drive.formatted`) entry; a refusal is recorded here.
    if (!result.ok) {
      record(s.user.name, 'drive.enroll.refused', { target: drive.target, role: parsed.data.role, code: result.error.code });
      return fail(c, 409, result.error, '/drives/enroll');
    }
    return done(c, { enrolled: result.value.role }, '/drives');
  });

  // ---- alerts ----------------------------------------------------------------------------------
  app.get('/alerts', requireSession, (c) => {
    const all = deps.alerts.all(500);
    return c.html(<AlertsPage page={pageContext(c)} open={deps.alerts.open()} acknowledged={all.filter((a) => a.acknowledged_at !== null)} now={now()} />);
  });
  app.get('/api/alerts', requireSession, (c) => c.json({ open: deps.alerts.open(), all: deps.alerts.all(500) }));
  app.post('/api/alerts/:id/ack', requireOperator, (c) => {
    const s = sessionOf(c);
    const id = idSchema.safeParse(c.req.param('id'));
    if (!id.success) return fail(c, 404, operatorError('alert-unknown', 'There is no such alert.', 'Reload the Alerts page.'), '/alerts');
    const alert = deps.alerts.all(100_000).find((a) => a.id === id.data);
    if (alert === undefined) return fail(c, 404, operatorError('alert-unknown', 'There is no such alert.', 'Reload the Alerts page.'), '/alerts');
    if (!deps.alerts.acknowledge(id.data, s.user.name)) {
      return fail(c, 409, operatorError('alert-already-acknowledged', `This alert was already acknowledged by ${alert.acknowledged_by ?? 'someone'}.`, 'Nothing more to do; reload the Alerts page.'), '/alerts');
    }
    record(s.user.name, 'alert.acknowledged', { alertId: id.data, code: alert.code, subject: alert.subject });
    return done(c, { acknowledged: id.data, by: s.user.name }, '/alerts');
  });

  // ---- custody, audit, settings ------------------------------------------------------------------
  app.get('/custody', requireSession, (c) => c.html(<CustodyPage page={pageContext(c)} records={deps.custody?.list(500) ?? null} now={now()} />));
  app.get('/api/custody', requireSession, (c) => {
    if (deps.custody === undefined) return fail(c, 503, notInstalled('The custody log'));
    return c.json({ records: deps.custody.list(500) });
  });
  app.get('/audit', requireSession, (c) => c.html(<AuditPage page={pageContext(c)} entries={deps.audit.recent(500)} now={now()} />));
  app.get('/api/audit', requireSession, (c) => c.json({ entries: deps.audit.recent(500) }));
  // Observers see only their own account: the list of names is a target list for password guessing.
  const visibleUsers = (c: Context<Env>) => {
    const me = sessionOf(c).user;
    return deps.accounts.listUsers().filter((u) => me.role === 'operator' || u.id === me.id);
  };
  app.get('/settings', requireSession, (c) => c.html(<SettingsPage page={pageContext(c)} config={deps.config} users={visibleUsers(c)} />));
  app.get('/api/settings', requireSession, (c) => c.json({ config: deps.config, users: visibleUsers(c) }));

  // ---- pre-audit -------------------------------------------------------------------------------
  app.get('/preaudit', requireSession, (c) =>
    c.html(
      <PreauditPage
        page={pageContext(c)}
        checks={deps.importChecks?.list() ?? null}
        status={deps.preaudit?.status() ?? null}
        disagreements={deps.preaudit?.disagreements(500) ?? null}
        styles={deps.preaudit?.styles() ?? null}
        now={now()}
      />,
    ),
  );
  app.get('/api/preaudit', requireSession, (c) =>
    c.json({
      checks: deps.importChecks?.list() ?? null,
      status: deps.preaudit?.status() ?? null,
      disagreements: deps.preaudit?.disagreements(500) ?? null,
      styles: deps.preaudit?.styles() ?? null,
    }),
  );
  // A style the OCR matcher could not map, mapped by a person: the form, and saving it.
  const styleIdSchema = z.string().min(1).max(200).regex(/^[A-Za-z0-9:/_.-]+$/);
  const mappingField = /^t\.(front|back)\.(\d{1,4})\.(\d{1,4})$/;
  const mappingValue = z.union([z.literal(''), z.literal('none'), z.string().max(400).regex(/^[^|]+\|[^|]+$/)]);
  app.get('/preaudit/styles/:styleId/map', requireOperator, (c) => {
    const id = styleIdSchema.safeParse(c.req.param('styleId'));
    const form = id.success ? deps.preaudit?.styleMapping(id.data) : undefined;
    if (form === undefined) return fail(c, 404, operatorError('style-not-waiting', 'That ballot style is not waiting to be mapped.', 'Go back to the Pre-audit page: it may have been mapped already.'), '/preaudit');
    return c.html(<MapStylePage page={pageContext(c)} form={form} />);
  });
  app.post('/api/preaudit/styles/:styleId/mapping', requireOperator, async (c) => {
    const s = sessionOf(c);
    const id = styleIdSchema.safeParse(c.req.param('styleId'));
    if (!id.success || deps.preaudit === undefined) return fail(c, 404, operatorError('style-not-waiting', 'That ballot style is not waiting to be mapped.', 'Go back to the Pre-audit page.'), '/preaudit');
    const back = `/preaudit/styles/${encodeURIComponent(id.data)}/map`;
    const assignments: HandAssignment[] = [];
    for (const [field, raw] of Object.entries(await readBody(c))) {
      const at = mappingField.exec(field);
      if (at === null) continue; // _csrf and anything else
      const value = mappingValue.safeParse(raw);
      if (!value.success) return fail(c, 400, operatorError('mapping-invalid', 'One of the choices was not understood.', 'Reload the mapping page and choose again.'), back);
      if (value.data === '') continue; // left unchosen: the service names how many
      const [contestId = '', optionId = ''] = value.data === 'none' ? [] : value.data.split('|');
      assignments.push({ side: at[1] as 'front' | 'back', column: Number(at[2]), row: Number(at[3]), choice: value.data === 'none' ? null : { contestId, optionId } });
    }
    const result = deps.preaudit.mapStyle(id.data, assignments, s.user.name);
    record(s.user.name, 'preaudit.style.mapped', { style: id.data, ok: result.ok, ...(result.ok ? { targets: result.value.targets } : { code: result.error.code }) });
    if (!result.ok) return fail(c, 409, result.error, back);
    return done(c, { style: id.data, targets: result.value.targets, sheetsToRead: result.value.sheetsToRead }, '/preaudit');
  });

  function disagreement(c: Context<Env>) {
    const id = idSchema.safeParse(c.req.param('id'));
    return id.success ? deps.preaudit?.disagreement(id.data) : undefined;
  }
  app.get('/preaudit/disagreements/:id{[0-9]{1,15}}', requireSession, (c) => {
    const d = disagreement(c);
    if (d === undefined) return fail(c, 404, operatorError('disagreement-unknown', 'There is no such disagreement.', 'Go back to the Pre-audit page.'), '/preaudit');
    return c.html(<DisagreementPage page={pageContext(c)} d={d} />);
  });
  app.get('/api/preaudit/disagreements/:id{[0-9]{1,15}}', requireSession, (c) => {
    const d = disagreement(c);
    if (d === undefined) return fail(c, 404, operatorError('disagreement-unknown', 'There is no such disagreement.', 'Go back to the Pre-audit page.'));
    return c.json({ disagreement: d });
  });

  // ---- ballot images: catalog objects by numeric id only -----------------------------------------
  app.get('/api/images/:id{[0-9]{1,15}}', requireSession, async (c) => {
    const id = idSchema.safeParse(c.req.param('id'));
    const object = id.success ? deps.catalog.object(id.data) : undefined;
    if (object === undefined || object.kind !== 'ballot-image') {
      return fail(c, 404, operatorError('image-unknown', 'There is no ballot image with that number.', 'Open the ballot from the Pre-audit page.'));
    }
    if (!existsSync(object.vaultPath)) {
      return fail(c, 404, operatorError('image-missing-from-vault', `The stored copy of ${object.rootLabel}:${object.relPath} is missing from the vault.`, 'Tell the supervisor now: the vault may be damaged. The drives still hold their copies.'));
    }
    const pageParam = c.req.query('page') ?? '0';
    if (!/^[0-9]{1,2}$/.test(pageParam)) return fail(c, 404, operatorError('image-page-unknown', 'There is no such page in this image.', 'Open the ballot from the Pre-audit page.'));
    const image = await ballotImageForBrowser(object, Number(pageParam));
    if (!image.ok) {
      const status = image.error.code === 'image-page-unknown' ? 404 : image.error.code === 'image-too-large' ? 422 : 500;
      if (status !== 404) logEvent(deps.logger, LogEvent.WebImageRefused, { imageId: object.id, code: image.error.code }, 'warn');
      return fail(c, status, image.error);
    }
    c.header('Cache-Control', 'private, max-age=3600'); // vault objects never change
    return c.body(image.value.bytes, 200, { 'Content-Type': image.value.contentType });
  });

  // Listing USB drives runs lsblk: do it at most every 5 s, shared by all open pages.
  let drivesCache: { at: number; stamp: unknown } | undefined;
  async function drivesStamp(): Promise<unknown> {
    if (deps.drives === undefined) return null;
    if (drivesCache === undefined || Date.now() - drivesCache.at > 5000) {
      const list = await deps.drives.list();
      drivesCache = { at: Date.now(), stamp: list.map((d) => [d.present, d.enrolled, d.freeBytes, d.lastVerifiedAt, d.ejectable]) };
    }
    return drivesCache.stamp;
  }

  // ---- live updates (daemon/web/liveUpdates.ts) -----------------------------------------------------
  app.get('/api/events', requireSession, (c) => eventStream(c, deps, c.get('sessionToken') ?? '', { checkMs: sseCheckMs, drivesStamp, record }));

  return app;
}
