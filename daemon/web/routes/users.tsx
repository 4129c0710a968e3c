/** Logging in and out, the session, and the Settings page with its list of accounts. */
import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { LogEvent } from '../../core/log/events.ts';
import { logEvent } from '../../core/log/logger.ts';
import { operatorError, type OperatorError } from '../../core/result.ts';
import { sessionLifetimeMs } from '../accounts.ts';
import type { LoginRateLimiter } from '../loginRateLimit.ts';
import { LoginPage } from '../pages/login.tsx';
import { SettingsPage } from '../pages/settings.tsx';
import { type Env, loginCookie, type RouteKit, sessionCookie } from './kit.tsx';
import { clientAddress, localPath, readBody, safeEqual } from './request.ts';

const loginSchema = z.object({ name: z.string().trim().min(1).max(64), password: z.string().min(1).max(1024) });

export function userRoutes(kit: RouteKit, limiter: LoginRateLimiter): Hono<Env> {
  const app = new Hono<Env>();
  const { deps, done, sessionOf, pageContext, requireSession, record, secure } = kit;

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

  // Observers see only their own account: the list of names is a target list for password guessing.
  const visibleUsers = (c: Context<Env>) => {
    const me = sessionOf(c).user;
    return deps.accounts.listUsers().filter((u) => me.role === 'operator' || u.id === me.id);
  };
  app.get('/settings', requireSession, (c) => c.html(<SettingsPage page={pageContext(c)} config={deps.config} users={visibleUsers(c)} />));
  app.get('/api/settings', requireSession, (c) => c.json({ config: deps.config, users: visibleUsers(c) }));

  return app;
}
