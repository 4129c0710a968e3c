/**
 * The one security middleware in front of every route: a small body limit, the appliance's own
 * host names only (DNS rebinding), the session, same-origin and CSRF checks for every change, and
 * the security headers on every answer.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { every } from 'hono/combine';
import { getCookie } from 'hono/cookie';
import { operatorError } from '../../core/result.ts';
import { allowedHostNames, crossSite, hostAllowed, hostRefused, hstsHeader } from '../requestGuards.ts';
import { type Env, errors, type RouteKit, sessionCookie } from './kit.tsx';
import { clientAddress, isForm, isUnsafe, readBody, safeEqual } from './request.ts';

const contentSecurityPolicy =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function securityMiddleware(kit: RouteKit): MiddlewareHandler<Env> {
  const { deps, fail, record, secure } = kit;
  // Every form and JSON body here is tiny; refuse big ones before anything reads them.
  const limitBody = bodyLimit({
    maxSize: 64 * 1024,
    onError: (c) => fail(c as Context<Env>, 413, operatorError('request-too-large', 'That request was far larger than any form here.', 'Reload the page and try again.')),
  });
  const hostNames = allowedHostNames(deps.config);

  const guard: MiddlewareHandler<Env> = async (c, next) => {
    // Only the appliance's own names; HSTS under TLS, on refusals too.
    if (secure) c.header('Strict-Transport-Security', hstsHeader);
    if (!hostAllowed(c.req.header('host') ?? new URL(c.req.url).host, hostNames)) return fail(c, 421, hostRefused(deps.config));

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
    if (!c.res.headers.has('Content-Security-Policy')) c.header('Content-Security-Policy', contentSecurityPolicy);
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
  };

  // In this order: the checks run once the body limit has let the request through.
  return every(limitBody, guard);
}
