/**
 * Issue #14 item 7 (web): sessions had no idle timeout (a kiosk left logged in stayed open for
 * 14 hours) and there was no way to switch a user off.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { AuditLog } from '../../daemon/core/state/auditLog.ts';
import { Accounts } from '../../daemon/web/accounts.ts';
import { createWebApp } from '../../daemon/web/app.tsx';
import { userCommand } from '../../daemon/cli/commands/user.ts';
import { makeRig, type TestRig } from '../web/webTestFakes.ts';
import { http, listen, loginClient } from './webServer.ts';

let rig: TestRig;
beforeEach(async () => {
  rig = await makeRig();
});
afterEach(() => rig.cleanup());

describe('session idle timeout', () => {
  it('ends a session after 30 minutes without use, back to the login page, and audit-logs it', async () => {
    let now = Date.now();
    const accounts = new Accounts(rig.db, () => new Date(now));
    const app = createWebApp({ ...rig.deps, accounts });
    const olivia = accounts.findUser('olivia');
    if (olivia === undefined) throw new Error('no olivia');
    const { token } = accounts.createSession(olivia);
    const get = (path: string, accept = 'application/json') => app.request(path, { headers: { cookie: `bs_session=${token}`, accept } });

    // In use every 20 minutes: stays logged in well past 30 minutes.
    for (let i = 0; i < 3; i++) {
      now += 20 * 60_000;
      expect((await get('/api/session')).status).toBe(200);
    }
    // The live-update stream and the page's own background refreshes are not use.
    now += 29 * 60_000;
    expect(accounts.findSession(token, { touch: false })).toBeDefined();
    expect((await app.request('/', { headers: { cookie: `bs_session=${token}`, accept: 'text/html', 'x-background-refresh': '1' } })).status).toBe(200);
    now += 2 * 60_000;
    const page = await get('/', 'text/html');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/login/);
    expect((await get('/api/session')).status).toBe(401);
    expect(rig.deps.audit.recent(20).filter((e) => e.action === 'web.session.idle-ended' && e.actor === 'olivia')).toHaveLength(1);
  });

  it('takes its length from web.sessionIdleMinutes', async () => {
    const { createWebDeps } = await import('../../daemon/web/wiring.ts');
    const config = { ...rig.config, web: { ...rig.config.web, sessionIdleMinutes: 5 } };
    const deps = createWebDeps({ db: rig.db, config, logger: silentLogger(), engine: { ...rig.engine, run: rig.engine.run.bind(rig.engine), isBusy: () => false, listSnapshots: () => [] } });
    const olivia = deps.accounts.findUser('olivia');
    if (olivia === undefined) throw new Error('no olivia');
    const { token } = deps.accounts.createSession(olivia);
    rig.db.prepare('UPDATE sessions SET last_seen_at = ?').run(new Date(Date.now() - 6 * 60_000).toISOString());
    expect(deps.accounts.findSession(token)).toBeUndefined();
  });
});

describe('ballotsafe user disable / enable', () => {
  let dir: string;
  let db: Db;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ballotsafe-disable-'));
    writeFileSync(join(dir, 'config.yaml'), `dataDir: ${join(dir, 'var')}\n`);
  });
  afterEach(() => {
    db?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function cli(args: string[], input = '') {
    let out = '';
    let err = '';
    const code = await userCommand({
      stdin: Readable.from([Buffer.from(input)]),
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (err += t) },
    }).run([...args, '--config', join(dir, 'config.yaml')]);
    return { code, out, err };
  }

  it('a disabled user cannot log in and their open sessions end; enable lets them back; both audit-logged', async () => {
    expect((await cli(['add', 'pat', '--role', 'operator'], 'a good long password\n')).code).toBe(0);
    db = openStateDatabase(join(dir, 'var', 'ballotsafe.db'));
    const server = await listen({ ...rig.deps, accounts: new Accounts(db), audit: new AuditLog(db, silentLogger()) });
    try {
      const pat = await loginClient(server.url);
      const first = await pat.attempt('pat', 'a good long password');
      expect(first.status).toBe(200);
      expect((await http(`${server.url}/api/session`, { headers: { cookie: first.session } })).status).toBe(200);

      const disabled = await cli(['disable', 'pat']);
      expect(disabled).toMatchObject({ code: 0, err: '' });
      expect((await http(`${server.url}/api/session`, { headers: { cookie: first.session } })).status).toBe(401);
      const refused = await pat.attempt('pat', 'a good long password');
      expect(refused.status).toBe(403);
      expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'user-disabled' } });
      expect((await cli(['list'])).out).toContain('pat\toperator\tdisabled');

      expect((await cli(['enable', 'pat'])).code).toBe(0);
      expect((await pat.attempt('pat', 'a good long password')).status).toBe(200);
      const actions = new AuditLog(db, silentLogger()).recent(20).map((e) => e.action);
      expect(actions).toEqual(expect.arrayContaining(['user.disabled', 'user.enabled']));
      expect((await cli(['disable', 'nobody'])).code).toBe(1);
    } finally {
      await server.close();
    }
  });
});
