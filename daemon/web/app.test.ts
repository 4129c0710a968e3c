import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { assertOk, ok } from '../core/result.ts';
import type { EnrollmentProvider } from './enrollment.ts';
import { createWebApp } from './app.tsx';
import { LoginRateLimiter } from './loginRateLimit.ts';
import { catalogFile, corpusImage, fakeMapped, makeRig, type TestRig } from '../../test/web/webTestFakes.ts';
import { join } from 'node:path';
import { joinTiffPages } from '../../scripts/sample-election/tiff.ts';

type App = Hono<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-local

interface Login {
  cookie: string;
  csrf: string;
}

let rig: TestRig;
let app: App;

beforeEach(async () => {
  rig = await makeRig({ stepMs: 5, steps: 6 });
  app = createWebApp(rig.deps, { rateLimiter: new LoginRateLimiter(5, 15 * 60 * 1000), sseCheckMs: 50 });
});

afterEach(() => {
  rig.cleanup();
});

function sessionFor(name: string): Login {
  const user = rig.deps.accounts.findUser(name);
  if (user === undefined) throw new Error(`no user ${name}`);
  const { token, session } = rig.deps.accounts.createSession(user);
  return { cookie: `bs_session=${token}`, csrf: session.csrfToken };
}

function get(path: string, login?: Login, headers: Record<string, string> = {}) {
  return app.request(path, { headers: { ...(login === undefined ? {} : { cookie: login.cookie }), ...headers } });
}

function postJson(path: string, body: unknown, login?: Login, headers: Record<string, string> = {}) {
  return app.request(path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: {
      'content-type': 'application/json',
      ...(login === undefined ? {} : { cookie: login.cookie, 'x-csrf-token': login.csrf }),
      ...headers,
    },
  });
}

async function waitFor(predicate: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every GET route, with the text a page must show (API routes: a key of the JSON). */
const readRoutes: readonly { path: string; expect: string }[] = [
  { path: '/', expect: 'files captured today' },
  { path: '/snapshot', expect: 'End-of-day snapshot' },
  { path: '/drives', expect: 'Drive A' },
  { path: '/snapshots', expect: 'Snapshot history' },
  { path: '/alerts', expect: 'Alerts' },
  { path: '/custody', expect: 'No hand-offs yet' },
  { path: '/sticks', expect: 'No stick has been read yet' },
  { path: '/preaudit', expect: 'Ballot counts match' },
  { path: '/preaudit/disagreements/7', expect: 'Josiah Bartlett' },
  { path: '/audit', expect: 'Audit log' },
  { path: '/settings', expect: 'Test County General Election' },
  { path: '/api/session', expect: 'csrfToken' },
  { path: '/api/overview', expect: 'verdict' },
  { path: '/api/snapshot', expect: 'job' },
  { path: '/api/snapshots', expect: 'snapshots' },
  { path: '/api/drives', expect: 'drives' },
  { path: '/api/alerts', expect: 'open' },
  { path: '/api/custody', expect: 'records' },
  { path: '/api/sticks', expect: 'intakes' },
  { path: '/api/audit', expect: 'entries' },
  { path: '/api/settings', expect: 'config' },
  { path: '/api/preaudit', expect: 'disagreements' },
  { path: '/api/preaudit/disagreements/7', expect: 'disagreement' },
  { path: '/preaudit/evidence', expect: 'United States Senator' },
  { path: '/api/preaudit/contests', expect: 'contests' },
  { path: '/preaudit/evidence/download/independent-cvr', expect: 'ballot,files,style,contest,option,mark,score' },
];

describe('route inventory', () => {
  it('has a test for every route the app defines', () => {
    const defined = new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`));
    const tested = new Set([
      ...readRoutes.map((r) => `GET ${r.path.replace('/7', '/:id{[0-9]{1,15}}').replace('/download/independent-cvr', '/download/:kind')}`),
      'GET /login',
      'GET /api/login',
      'POST /login',
      'POST /api/login',
      'POST /logout',
      'POST /api/logout',
      'GET /assets/:name',
      'GET /api/events',
      'GET /api/images/:id{[0-9]{1,15}}',
      'POST /api/snapshot',
      'GET /snapshots/:sequence{[0-9]{1,9}}/handoff',
      'POST /api/snapshots/:sequence{[0-9]{1,9}}/handoff',
      'GET /custody/:id{[0-9]{1,15}}/sheet',
      // test/publish/publicationDownload.test.ts
      'GET /snapshots/:sequence{[0-9]{1,9}}/publication.zip',
      'POST /api/drives/:role/eject',
      'GET /drives/enroll',
      'POST /api/drives/enroll',
      'POST /api/alerts/:id/ack',
      'GET /preaudit/styles/:styleId/map',
      'POST /preaudit/styles/:styleId/map',
      'POST /api/preaudit/styles/:styleId/mapping',
      'POST /api/sticks/:id{[0-9]{1,15}}/brought-by',
      'POST /api/sticks/enroll',
    ]);
    expect([...defined].filter((r) => !tested.has(r))).toEqual([]);
    // The state-changing routes are exactly those the refusal tests below walk through.
    expect([...defined].filter((r) => !r.startsWith('GET ')).sort()).toEqual(
      [
        'POST /login',
        'POST /api/login',
        'POST /logout',
        'POST /api/logout',
        'POST /api/snapshot',
        'POST /api/snapshots/:sequence{[0-9]{1,9}}/handoff',
        'POST /api/drives/:role/eject',
        'POST /api/drives/enroll',
        'POST /api/alerts/:id/ack',
        'POST /preaudit/styles/:styleId/map',
        'POST /api/preaudit/styles/:styleId/mapping',
        'POST /api/sticks/:id{[0-9]{1,15}}/brought-by',
        'POST /api/sticks/enroll',
      ].sort(),
    );
  });
});

describe('login', () => {
  async function loginToken(): Promise<{ cookie: string; csrf: string }> {
    const res = await app.request('/api/login');
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('bs_login='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const body = (await res.json()) as { csrfToken: string };
    return { cookie: (cookie ?? '').split(';')[0] ?? '', csrf: body.csrfToken };
  }

  it('logs in with the login token and sets a strict, http-only session cookie', async () => {
    const t = await loginToken();
    const res = await postJson('/api/login', { name: 'olivia', password: 'operator-password' }, undefined, { cookie: t.cookie, 'x-csrf-token': t.csrf });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { user: { name: string; role: string }; csrfToken: string };
    expect(body.user).toEqual({ name: 'olivia', role: 'operator' });
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('bs_session=')) ?? '';
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).not.toMatch(/Secure/);
    const session = await get('/api/session', { cookie: cookie.split(';')[0] ?? '', csrf: '' });
    expect(session.status).toBe(200);
    expect(rig.audit.recent().map((e) => [e.actor, e.action])).toContainEqual(['olivia', 'web.login']);
  });

  it('marks the session cookie Secure when TLS is configured', async () => {
    const tlsApp = createWebApp({ ...rig.deps, config: { ...rig.config, web: { ...rig.config.web, tls: { certFile: '/x', keyFile: '/y' } } } });
    const res = await tlsApp.request('/api/login');
    const t = { cookie: (res.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '', csrf: ((await res.json()) as { csrfToken: string }).csrfToken };
    const login = await tlsApp.request('/api/login', {
      method: 'POST',
      body: JSON.stringify({ name: 'olivia', password: 'operator-password' }),
      headers: { 'content-type': 'application/json', cookie: t.cookie, 'x-csrf-token': t.csrf },
    });
    expect(login.status).toBe(200);
    expect(login.headers.getSetCookie().find((c) => c.startsWith('bs_session='))).toMatch(/Secure/);
  });

  it('refuses a login without the login token or from another site', async () => {
    const noToken = await postJson('/api/login', { name: 'olivia', password: 'operator-password' });
    expect(noToken.status).toBe(403);
    const t = await loginToken();
    const crossSite = await postJson('/api/login', { name: 'olivia', password: 'operator-password' }, undefined, { cookie: t.cookie, 'x-csrf-token': t.csrf, origin: 'http://evil.example' });
    expect(crossSite.status).toBe(403);
    const refused = ((await crossSite.json()) as { error: { code: string; action: string } }).error;
    expect(refused.code).toBe('origin-refused');
    expect(refused.action).toBe('Use the ballotsafe pages on the appliance itself.');
  });

  it('rate-limits wrong passwords, then says how long to wait', async () => {
    const t = await loginToken();
    const attempt = (password: string) => postJson('/api/login', { name: 'olivia', password }, undefined, { cookie: t.cookie, 'x-csrf-token': t.csrf });
    for (let i = 0; i < 5; i++) expect((await attempt('wrong-password')).status).toBe(401);
    const limited = await attempt('operator-password');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = (await limited.json()) as { error: { message: string; action: string } };
    expect(body.error.action).toMatch(/Wait \d+ minute/);
  });

  it('shows the login page with a form error and lets a form login redirect', async () => {
    const page = await get('/login');
    const html = await page.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
    const cookie = (page.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const form = (password: string) =>
      app.request('/login', {
        method: 'POST',
        body: new URLSearchParams({ _csrf: csrf, name: 'oscar', password, next: '/alerts' }),
        headers: { cookie, accept: 'text/html', origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' },
      });
    const bad = await form('nope-nope');
    expect(bad.status).toBe(401);
    expect(await bad.text()).toContain('What to do:');
    const good = await form('observer-password');
    expect(good.status).toBe(303);
    expect(good.headers.get('location')).toBe('/alerts');
  });

  it('never redirects to another site after login', async () => {
    const page = await get('/login?next=//evil.example/x');
    expect(await page.text()).toContain('name="next" value="/"');
  });
});

describe('read routes', () => {
  it('refuse every read route without a session (pages redirect to login)', async () => {
    for (const r of readRoutes) {
      const res = await get(r.path, undefined, r.path.startsWith('/api/') ? {} : { accept: 'text/html' });
      if (r.path.startsWith('/api/')) expect(res.status, r.path).toBe(401);
      else {
        expect(res.status, r.path).toBe(303);
        expect(res.headers.get('location'), r.path).toMatch(/^\/login\?next=/);
      }
    }
    expect((await get('/api/events')).status).toBe(401);
    expect((await get(`/api/images/${rig.imageId}`)).status).toBe(401);
    expect((await get('/snapshots/1/handoff')).status).toBe(401);
    expect((await get('/custody/1/sheet')).status).toBe(401);
  });

  it('serve every read route to an observer, with security headers', async () => {
    const observer = sessionFor('oscar');
    for (const r of readRoutes) {
      const res = await get(r.path, observer);
      expect(res.status, r.path).toBe(200);
      expect(await res.text(), r.path).toContain(r.expect);
      expect(res.headers.get('content-security-policy'), r.path).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('serves the static assets by fixed name only', async () => {
    expect((await get('/assets/style.css')).headers.get('content-type')).toMatch(/text\/css/);
    expect((await get('/assets/app.js')).status).toBe(200);
    expect((await get('/assets/..%2fpackage.json')).status).toBe(404);
    expect((await get('/assets/deps.ts')).status).toBe(404);
  });

  it('says so when a provider is not installed', async () => {
    const bare = createWebApp({ ...rig.deps, drives: undefined, custody: undefined, preaudit: undefined, importChecks: undefined, handoff: undefined });
    const observer = sessionFor('oscar');
    const headers = { cookie: observer.cookie };
    expect((await bare.request('/api/drives', { headers })).status).toBe(503);
    expect(await (await bare.request('/drives', { headers })).text()).toContain('not available on this appliance yet');
    expect(await (await bare.request('/preaudit', { headers })).text()).toContain('not available on this appliance yet');
    expect((await bare.request('/api/custody', { headers })).status).toBe(503);
  });
});

describe('pre-audit page', () => {
  it('lists the learned ballot styles, and for a style waiting for a person what OCR read where and what to do', async () => {
    const observer = sessionFor('oscar');
    const html = await (await get('/preaudit', observer)).text();
    expect(html).toContain('Ballot styles learned from the images');
    expect(html).toContain('1 could not be mapped and waits for a person: its sheets are not compared');
    expect(html).toMatch(/bottom-row codes 0110 \/ 1001<\/td><td><span class="pill good">Mapped by OCR<\/span><\/td><td>52<\/td><td>12<\/td><td>311<\/td><td>0<\/td>/);
    // Waiting: the targets found on its pages, and no contest count until a person maps it (#21: was "0" and "0").
    expect(html).toMatch(/bottom-row codes 0111 \/ 1011<\/td><td><span class="pill warn">Waiting for a person<\/span><\/td><td>52 found<\/td><td>Not known until mapped<\/td><td>0<\/td><td>87<\/td>/);
    expect(html).toContain('21:05 from the printed codes and the names beside the targets (read once per style');
    // The OCR text, whitespace folded, where it was read and why it was not placed.
    expect(html).toContain('<td>front, column 19, row 8</td><td>Hannah Dustin</td><td>best match &quot;John Spencer&quot; only 31%</td>');
    expect(html).toContain('the 87 sheets of this style are kept but not compared');
    expect(html).toContain('href="/preaudit/styles/accuvote-0111-1011/map"');
    const api = (await (await get('/api/preaudit', observer)).json()) as { styles: { styleId: string; status: string }[] };
    expect(api.styles.map((s) => [s.styleId, s.status])).toEqual([
      ['accuvote-0110-1001', 'mapped'],
      ['accuvote-0111-1011', 'needs-person'],
    ]);
  });
});

describe('mapping a ballot style by hand', () => {
  it('shows an operator the sample page with numbered targets and one choice each, the matcher\'s placement preselected', async () => {
    const operator = sessionFor('olivia');
    const html = await (await get('/preaudit/styles/accuvote-0111-1011/map', operator)).text();
    expect(html).toContain('Map ballot style bottom-row codes 0111 / 1011');
    expect(html).toMatch(/<image href="\/api\/images\/\d+"/);
    // one office across the page: its three targets are one part, numbered on the picture
    expect(html.match(/class="map-number-label"/g)).toHaveLength(3);
    expect(html).toContain('<label for="choice-1"><span class="map-number">Target 1</span>');
    expect(html).toContain('<select id="choice-1" name="t.front.12.8" data-target="1">');
    expect(html).toContain('<option value="governor|bartlett" selected="">Governor: Josiah Bartlett</option>');
    expect(html).toMatch(/read beside it: Hannah Dustin<\/span><\/label><select id="choice-2" name="t.front.19.8"[^>]*><option value="" selected="">— choose —<\/option>/);
    expect(html).toContain('read beside it: nothing legible');
    // an observer may not map, and a style not waiting has no form
    expect((await get('/preaudit/styles/accuvote-0111-1011/map', sessionFor('oscar'))).status).toBe(403);
    expect((await get('/preaudit/styles/accuvote-9999/map', operator)).status).toBe(404);
  });

  it('saves a complete mapping from the form (audit-logged) and sends an incomplete one back with what is missing', async () => {
    const operator = sessionFor('olivia');
    const form = (fields: Record<string, string>) =>
      app.request('/api/preaudit/styles/accuvote-0111-1011/mapping', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', cookie: operator.cookie, origin: 'http://localhost' },
        body: new URLSearchParams({ _csrf: operator.csrf, ...fields }).toString(),
      });
    const incomplete = await form({ 't.front.12.8': 'governor|bartlett', 't.front.19.8': 'governor|dustin', 't.front.32.8': '' });
    expect(incomplete.status).toBe(409);
    expect(await incomplete.text()).toContain('1 of the 3 targets of this style have no choice.');
    const saved = await form({ 't.front.12.8': 'governor|bartlett', 't.front.19.8': 'governor|dustin', 't.front.32.8': 'none' });
    expect(saved.status).toBe(303);
    expect(saved.headers.get('location')).toBe('/preaudit?mapped=accuvote-0111-1011');
    expect(fakeMapped.at(-1)).toEqual({
      styleId: 'accuvote-0111-1011',
      actor: 'olivia',
      assignments: [
        { side: 'front', column: 12, row: 8, choice: { contestId: 'governor', optionId: 'bartlett' } },
        { side: 'front', column: 19, row: 8, choice: { contestId: 'governor', optionId: 'dustin' } },
        { side: 'front', column: 32, row: 8, choice: null },
      ],
    });
    expect(rig.deps.audit.recent(5).find((e) => e.action === 'preaudit.style.mapped')).toMatchObject({ actor: 'olivia' });
    // a choice that is not an option id pair is refused at the edge
    const garbled = await form({ 't.front.12.8': 'governor|bartlett|x' });
    expect(garbled.status).toBe(400);
    fakeMapped.length = 0;
  });
});

describe('overview verdict', () => {
  it('is green when all is well and red with what to do when an alert is open', async () => {
    const observer = sessionFor('oscar');
    // Captured files on no drive yet: not well (the custody state's rule, also over the fakes).
    const fresh = (await (await get('/api/overview', observer)).json()) as { verdict: { ok: boolean; problems: { message: string }[] } };
    expect(fresh.verdict.ok).toBe(false);
    expect(fresh.verdict.problems.map((p) => p.message).join('\n')).toContain('No snapshot has been written yet');
    expect((await postJson('/api/snapshot', { reason: 'end-of-day' }, sessionFor('olivia'))).status).toBe(202);
    await waitFor(() => rig.deps.snapshot.current().state === 'finished');
    const green = (await (await get('/api/overview', observer)).json()) as { verdict: { ok: boolean }; catalog: { filesTotal: number; filesToday: number } };
    expect(green.verdict.ok).toBe(true);
    expect(green.catalog.filesTotal).toBe(2);
    expect(green.catalog.filesToday).toBe(2);
    rig.alerts.raise({ severity: 'critical', code: 'captured-file-changed', message: 'A captured file changed in the export.', action: 'Call the EMS vendor.' });
    const red = (await (await get('/api/overview', observer)).json()) as { verdict: { ok: boolean; problems: { action: string }[] } };
    expect(red.verdict.ok).toBe(false);
    expect(red.verdict.problems[0]?.action).toMatch(/Alerts/);
    const html = await (await get('/', observer)).text();
    expect(html).toContain('verdict bad');
  });
});

describe('state-changing routes', () => {
  const operatorRoutes = () => [
    { path: '/api/snapshot', body: { reason: 'end-of-day' } },
    { path: '/api/drives/A/eject', body: {} },
    { path: '/api/drives/enroll', body: { target: '/dev/sdb', role: 'A', confirmErase: 'ERASE' } },
    { path: '/api/snapshots/1/handoff', body: { destinationA: 'Clerk safe', destinationB: 'Sheriff safe' } },
    { path: `/api/alerts/${rig.alerts.raise({ severity: 'warning', code: 'vault-low-space', message: 'Low space' })}/ack`, body: {} },
    { path: '/preaudit/styles/accuvote-0111-1011/map', body: { go: 'review', 't.front.12.8': 'governor|bartlett' } },
    { path: '/api/preaudit/styles/accuvote-0111-1011/mapping', body: { 't.front.12.8': 'governor|bartlett', 't.front.19.8': 'governor|dustin', 't.front.32.8': 'none' } },
    { path: '/api/sticks/1/brought-by', body: { broughtBy: 'Pat Jones' } },
    { path: '/api/sticks/enroll', body: { device: '/dev/sdc1', ems: 'Dominion EMS' } },
  ];
  const anyRoleRoutes = ['/logout', '/api/logout'];

  it('refuse a request with no session', async () => {
    for (const r of [...operatorRoutes(), ...anyRoleRoutes.map((path) => ({ path, body: {} }))]) {
      const res = await postJson(r.path, r.body);
      expect(res.status, r.path).toBe(401);
    }
    expect(rig.deps.snapshot.current().state).toBe('idle');
  });

  it('refuse an observer (wrong role) even with a valid token', async () => {
    const observer = sessionFor('oscar');
    for (const r of operatorRoutes()) {
      const res = await postJson(r.path, r.body, observer);
      expect(res.status, r.path).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('role-observer');
    }
    expect(rig.deps.snapshot.current().state).toBe('idle');
    expect(rig.alerts.open()).toHaveLength(1);
    expect(rig.drives.ejected).toEqual([]);
    expect(fakeMapped).toEqual([]);
  });

  it('refuse an operator with no CSRF token, a wrong one, or from another origin', async () => {
    const operator = sessionFor('olivia');
    for (const r of [...operatorRoutes(), ...anyRoleRoutes.map((path) => ({ path, body: {} }))]) {
      const noToken = await postJson(r.path, r.body, undefined, { cookie: operator.cookie });
      expect(noToken.status, r.path).toBe(403);
      expect(((await noToken.json()) as { error: { code: string } }).error.code).toBe('csrf-token-missing');
      const wrongToken = await postJson(r.path, r.body, { cookie: operator.cookie, csrf: `${operator.csrf.slice(1)}x` });
      expect(wrongToken.status, r.path).toBe(403);
      const otherToken = await postJson(r.path, r.body, { cookie: operator.cookie, csrf: sessionFor('oscar').csrf });
      expect(otherToken.status, r.path).toBe(403);
      const crossSite = await postJson(r.path, r.body, operator, { origin: 'http://evil.example' });
      expect(crossSite.status, r.path).toBe(403);
      const fetchSite = await postJson(r.path, r.body, operator, { 'sec-fetch-site': 'cross-site' });
      expect(fetchSite.status, r.path).toBe(403);
    }
    expect(rig.deps.snapshot.current().state).toBe('idle');
    expect(rig.alerts.open()).toHaveLength(1);
    expect(rig.drives.ejected).toEqual([]);
    expect(fakeMapped).toEqual([]);
    expect((await get('/api/session', operator)).status).toBe(200); // logout was refused too
  });

  it('let an operator acknowledge an alert (who, when, audit-logged); a second ack says it is done', async () => {
    const operator = sessionFor('olivia');
    const id = rig.alerts.raise({ severity: 'critical', code: 'captured-file-deleted', message: 'A captured file disappeared.' });
    const res = await postJson(`/api/alerts/${id}/ack`, {}, operator);
    expect(res.status).toBe(200);
    const row = rig.alerts.all().find((a) => a.id === id);
    expect(row?.acknowledged_by).toBe('olivia');
    expect(row?.acknowledged_at).not.toBeNull();
    expect(rig.audit.recent().find((e) => e.action === 'alert.acknowledged')?.actor).toBe('olivia');
    const again = await postJson(`/api/alerts/${id}/ack`, {}, operator);
    expect(again.status).toBe(409);
    expect((await postJson('/api/alerts/99999/ack', {}, operator)).status).toBe(404);
    expect((await postJson('/api/alerts/abc/ack', {}, operator)).status).toBe(404);
    expect(await (await get('/alerts', operator)).text()).toContain('olivia');
  });

  it('accept a plain form post with the token field and redirect back to the page', async () => {
    const operator = sessionFor('olivia');
    const id = rig.alerts.raise({ severity: 'warning', code: 'vault-low-space', message: 'Low space' });
    const res = await app.request(`/api/alerts/${id}/ack`, {
      method: 'POST',
      body: new URLSearchParams({ _csrf: operator.csrf }),
      headers: { cookie: operator.cookie, accept: 'text/html', origin: 'http://localhost', 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/alerts');
    expect(rig.alerts.open()).toHaveLength(0);
  });

  it('run the end-of-day snapshot to "safe to remove", with history and hand-off sheet', async () => {
    const operator = sessionFor('olivia');
    const res = await postJson('/api/snapshot', { reason: 'end-of-day' }, operator);
    expect(res.status).toBe(202);
    const busy = await postJson('/api/snapshot', {}, operator);
    expect(busy.status).toBe(409);
    expect((await postJson('/api/drives/B/eject', {}, operator)).status).toBe(409); // not while writing
    await waitFor(() => rig.deps.snapshot.current().state === 'finished');
    const state = (await (await get('/api/snapshot', operator)).json()) as { job: { safeToRemove: boolean; outcome: { sequence: number; files: number } } };
    expect(state.job.safeToRemove).toBe(true);
    expect(state.job.outcome.files).toBe(2);
    expect(await (await get('/snapshot', operator)).text()).toContain('Both drives verified — safe to remove');
    const history = (await (await get('/api/snapshots', operator)).json()) as { snapshots: { rootHash: string }[] };
    expect(history.snapshots).toHaveLength(1);
    expect(await (await get('/snapshots', operator)).text()).toContain('/snapshots/1/handoff');
    const form = await (await get('/snapshots/1/handoff', operator)).text();
    expect(form).toContain('Witness: full name (required)');
    expect(form).toMatch(/<input name="witness" required/);
    expect(form).toContain('name="sealA"');
    expect(form).toContain('name="sealB"');
    expect((await get('/snapshots/1/handoff', sessionFor('oscar'))).status).toBe(403);
    expect((await get('/snapshots/9/handoff', operator)).status).toBe(404);
    const incomplete = await postJson('/api/snapshots/1/handoff', { destinationA: 'Clerk safe', destinationB: ' ' }, operator);
    expect(incomplete.status).toBe(400);
    expect(((await incomplete.json()) as { error: { action: string } }).error.action).toMatch(/both destinations/);
    // The witness is required: two people see the drives leave.
    const noWitness = await postJson('/api/snapshots/1/handoff', { destinationA: "Clerk's office safe", destinationB: 'Sheriff evidence room', witness: '  ' }, operator);
    expect(noWitness.status).toBe(400);
    expect(((await noWitness.json()) as { error: { message: string } }).error.message).toContain('who witnesses the hand-off');
    expect(rig.handoff.records).toHaveLength(0);
    const handoff = await postJson('/api/snapshots/1/handoff', { destinationA: "Clerk's office safe", destinationB: 'Sheriff evidence room', witness: 'Sam Witness', sealA: 'EB-0417', sealB: '' }, operator);
    expect(handoff.status).toBe(200);
    const { custodyId, sheet } = (await handoff.json()) as { custodyId: number; sheet: string };
    expect(rig.handoff.records[0]).toMatchObject({ id: custodyId, operator: 'olivia', witness: 'Sam Witness', snapshotSequence: 1 });
    expect(rig.handoff.records[0]?.drives.map((d) => d.seal)).toEqual(['EB-0417', undefined]);
    expect(rig.drives.ejected.sort()).toEqual(['A', 'B']);
    expect(rig.audit.recent().find((e) => e.action === 'custody.recorded')?.actor).toBe('olivia');
    const sheetRes = await get(sheet, sessionFor('oscar'));
    const sheetHtml = await sheetRes.text();
    expect(sheetHtml).toContain(history.snapshots[0]?.rootHash ?? 'x');
    expect(sheetHtml).toContain('data-print');
    expect(sheetRes.headers.get('content-security-policy')).toContain("style-src 'self' 'unsafe-inline'");
    expect(sheetRes.headers.get('content-security-policy')).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(await (await get('/custody', operator)).text()).toContain('Sheriff evidence room');
    expect((await get('/custody/99/sheet', operator)).status).toBe(404);
    const audit = rig.audit.recent().find((e) => e.action === 'snapshot.requested');
    expect(audit?.actor).toBe('olivia');
    expect(JSON.parse(audit?.details_json ?? '{}')).toMatchObject({ reason: 'end-of-day' });
  });

  it('never say "safe to remove" without the custody state (no fallback from the job alone)', async () => {
    const operator = sessionFor('olivia');
    expect((await postJson('/api/snapshot', { reason: 'end-of-day' }, operator)).status).toBe(202);
    await waitFor(() => rig.deps.snapshot.current().state === 'finished');
    expect(rig.deps.snapshot.current().safeToRemove).toBe(true);
    expect(await (await get('/snapshot', operator)).text()).toContain('data-testid="safe-to-remove"');
    const without = createWebApp({ ...rig.deps, custodyState: undefined }, { rateLimiter: new LoginRateLimiter(5, 15 * 60 * 1000) });
    const html = await (await without.request('/snapshot', { headers: { cookie: operator.cookie } })).text();
    expect(html).toContain('Snapshot #1');
    expect(html).not.toContain('data-testid="safe-to-remove"');
    expect(html).not.toContain('data-testid="handoff"');
  });

  it('show a failed drive as not safe to remove', async () => {
    rig.engine.failDriveB = true;
    const operator = sessionFor('olivia');
    expect((await postJson('/api/snapshot', {}, operator)).status).toBe(202);
    await waitFor(() => rig.deps.snapshot.current().state === 'finished');
    expect(rig.deps.snapshot.current().safeToRemove).toBe(false);
    const html = await (await get('/snapshot', operator)).text();
    expect(html).not.toContain('data-testid="safe-to-remove"');
    expect(html).not.toContain('Both drives verified');
    expect(html).toContain('Not safe to remove');
    expect(html).toContain('Replace drive B');
    const refused = await postJson('/api/snapshots/1/handoff', { destinationA: 'x', destinationB: 'y', witness: 'Sam Witness' }, operator);
    expect(refused.status).toBe(409);
    const overview = (await (await get('/api/overview', operator)).json()) as { verdict: { ok: boolean } };
    expect(overview.verdict.ok).toBe(false);
  });

  it('refuse a snapshot when a drive is missing, saying which and what to do', async () => {
    const operator = sessionFor('olivia');
    expect((await postJson('/api/drives/B/eject', {}, operator)).status).toBe(200);
    expect(rig.audit.recent().find((e) => e.action === 'drive.eject')?.actor).toBe('olivia');
    const res = await postJson('/api/snapshot', {}, operator);
    expect(res.status).toBe(409);
    const body = (await res.json()) as { error: { message: string; action: string } };
    expect(body.error.message).toContain('Drive B');
    expect(body.error.action).toContain('Connect drive B');
    expect((await postJson('/api/drives/C/eject', {}, operator)).status).toBe(404);
  });

  it('refuse a huge body before reading it', async () => {
    const operator = sessionFor('olivia');
    const res = await postJson('/api/snapshot', { reason: 'end-of-day', padding: 'x'.repeat(100_000) }, operator);
    expect(res.status).toBe(413);
    expect(rig.deps.snapshot.current().state).toBe('idle');
  });

  it('log out and end the session', async () => {
    const operator = sessionFor('olivia');
    expect((await postJson('/api/logout', {}, operator)).status).toBe(200);
    expect((await get('/api/session', operator)).status).toBe(401);
  });
});

describe('image route', () => {
  it('serves a ballot image by catalog id, byte for byte', async () => {
    const observer = sessionFor('oscar');
    const res = await get(`/api/images/${rig.imageId}`, observer);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await res.arrayBuffer()).equals(readFileSync(corpusImage))).toBe(true);
  });

  it('converts a TIFF ballot image for the browser', async () => {
    const tiff = await sharp(readFileSync(corpusImage)).resize(170, 220).tiff().toBuffer();
    const id = catalogFile(rig.db, join(rig.config.dataDir, 'vault'), 'central-scan', 'b/0001.tif', 'ballot-image', tiff);
    const res = await get(`/api/images/${id}`, sessionFor('oscar'));
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', 170, 220]);
  });

  it('serves each page of a multi-page TIFF (front and back in one file) and refuses pages it lacks', async () => {
    const front = await sharp(readFileSync(corpusImage)).resize(170, 220).tiff().toBuffer();
    const back = await sharp({ create: { width: 170, height: 220, channels: 3, background: '#000' } }).tiff().toBuffer();
    const id = catalogFile(rig.db, join(rig.config.dataDir, 'vault'), 'central-scan', 'b/0002.tif', 'ballot-image', joinTiffPages([front, back]));
    const observer = sessionFor('oscar');
    const mean = async (path: string) => {
      const res = await get(path, observer);
      expect(res.status, path).toBe(200);
      return (await sharp(Buffer.from(await res.arrayBuffer())).stats()).channels[0]?.mean ?? -1;
    };
    expect(await mean(`/api/images/${id}`)).toBeGreaterThan(100); // white paper
    expect(await mean(`/api/images/${id}?page=1`)).toBeLessThan(5); // the black back
    for (const bad of ['2', '-1', '1.0', '../1', '999']) expect((await get(`/api/images/${id}?page=${encodeURIComponent(bad)}`, observer)).status, bad).toBe(404);
    expect((await get(`/api/images/${rig.imageId}?page=1`, observer)).status).toBe(404); // a JPEG has one page
  });

  it('says what to do when a stored image cannot be decoded', async () => {
    const id = catalogFile(rig.db, join(rig.config.dataDir, 'vault'), 'central-scan', 'b/broken.tif', 'ballot-image', Buffer.from('II*\0 not really a tiff'));
    const res = await get(`/api/images/${id}`, sessionFor('oscar'));
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string; action: string } }).error).toMatchObject({ code: 'image-unreadable', action: expect.stringContaining('EMS') });
  });

  it('refuses non-images, unknown ids and traversal attempts', async () => {
    const observer = sessionFor('oscar');
    const attempts = [
      `/api/images/${rig.cvrId}`,
      '/api/images/0',
      '/api/images/99999',
      '/api/images/-1',
      '/api/images/1e3',
      '/api/images/0x1',
      `/api/images/${rig.imageId}.jpeg`,
      `/api/images/${rig.imageId}/..%2f..%2f..%2fetc%2fpasswd`,
      '/api/images/..%2f..%2f..%2fetc%2fpasswd',
      '/api/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/api/images/..\\..\\etc\\passwd',
      '/api/images/../../../../etc/passwd',
      '/api/images/%252e%252e%252fetc%252fpasswd',
      '/api/images/1234567890123456789',
      `/api/images/${rig.imageId}%00`,
    ];
    for (const path of attempts) {
      const res = await get(path, observer);
      expect(res.status, path).toBe(404);
      const text = await res.text();
      expect(text, path).not.toContain('root:');
      expect(res.headers.get('content-type') ?? '', path).not.toMatch(/^image\//);
    }
  });
});

describe('live updates', () => {
  it('streams a hello, then snapshot progress and a change notice', async () => {
    const operator = sessionFor('olivia');
    const controller = new AbortController();
    const res = await app.request('/api/events', { headers: { cookie: operator.cookie }, signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      const until = Date.now() + 5000;
      while (!text.includes(needle)) {
        if (Date.now() > until) throw new Error(`no "${needle}" in ${text}`);
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
    };
    await readUntil('event: hello');
    expect((await postJson('/api/snapshot', {}, operator)).status).toBe(202);
    await readUntil('event: snapshot');
    await readUntil('"safeToRemove":true');
    rig.alerts.raise({ severity: 'warning', code: 'import-failed', message: 'y' });
    await readUntil('event: changed');
    controller.abort();
    await reader.cancel().catch(() => undefined);
  });
});

describe('enrolling a drive from the Drives page', () => {
  /** A USB drive stand-in: the route's checks are under test here; the real service in test/custody/enroll.test.ts. */
  function withFakeEnrollment() {
    const calls: { target: string; role: string; format: boolean; actor: string }[] = [];
    const enrollment: EnrollmentProvider = {
      unenrolled: async () => ok([{ target: '/dev/sdb', kind: 'usb', description: 'SanDisk Ultra', label: 'BSAFE-A', serial: '4C5300012311', sizeBytes: 64e9, canFormat: true }]),
      enroll: async (req) => {
        calls.push(req);
        return ok({ role: req.role });
      },
    };
    return { calls, app: createWebApp({ ...rig.deps, enrollment }, { rateLimiter: new LoginRateLimiter(5, 15 * 60 * 1000) }) };
  }

  it('lists the drive in plain words, and erases only after its label or ERASE is typed', async () => {
    const { calls, app: enrollApp } = withFakeEnrollment();
    const operator = sessionFor('olivia');
    const post = (body: Record<string, string>) =>
      enrollApp.request('/api/drives/enroll', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', cookie: operator.cookie, 'x-csrf-token': operator.csrf } });
    const page = await (await enrollApp.request('/drives/enroll', { headers: { cookie: operator.cookie } })).text();
    expect(page).toContain('SanDisk Ultra');
    expect(page).toContain('label BSAFE-A · serial 4C5300012311 · 64');
    expect(page).not.toMatch(/ballotsafe enroll|\/dev\/sdb</);
    expect((await enrollApp.request('/drives/enroll', { headers: { cookie: sessionFor('oscar').cookie } })).status).toBe(403);
    const wrong = await post({ target: '/dev/sdb', role: 'A', confirmErase: 'yes' });
    expect(wrong.status).toBe(400);
    expect(((await wrong.json()) as { error: { code: string; message: string } }).error.message).toBe('The drive was not erased: the word typed is not its label or ERASE.');
    expect((await post({ target: '/dev/sdb', role: 'A', confirmErase: 'bsafe-a' })).status).toBe(400);
    expect(calls).toEqual([]);
    expect((await post({ target: '/dev/sdc', role: 'A' })).status).toBe(409); // not a drive on the list
    expect((await post({ target: '/dev/sdb', role: 'C' })).status).toBe(400);
    expect(calls).toEqual([]);
    expect((await post({ target: '/dev/sdb', role: 'B', confirmErase: 'BSAFE-A' })).status).toBe(200);
    expect((await post({ target: '/dev/sdb', role: 'A', confirmErase: 'ERASE' })).status).toBe(200);
    expect((await post({ target: '/dev/sdb', role: 'A' })).status).toBe(200);
    expect(calls).toEqual([
      { target: '/dev/sdb', role: 'B', format: true, actor: 'olivia' },
      { target: '/dev/sdb', role: 'A', format: true, actor: 'olivia' },
      { target: '/dev/sdb', role: 'A', format: false, actor: 'olivia' },
    ]);
    expect(rig.audit.recent().filter((e) => e.action === 'drive.enroll.refused')).toHaveLength(2);
  });
});

