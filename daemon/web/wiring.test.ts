import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataPaths, parseConfig, type Config } from '../core/config.ts';
import { openStateDatabase, type Db } from '../runtime/stateDatabase.ts';
import { DriveService } from '../drives/service.ts';
import { silentLogger } from '../core/log/logger.ts';
import { assertOk } from '../core/result.ts';
import { SnapshotEngine } from '../snapshot/engine.ts';
import { createWebDeps, demoLogin, startWebUi } from './wiring.ts';

let dir: string;
let db: Db;
let config: Config;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ballotsafe-wiring-'));
  mkdirSync(join(dir, 'drive-a'));
  config = assertOk(parseConfig({ dataDir: join(dir, 'var'), roots: [{ label: 'central-scan', path: join(dir, 'export') }], drives: { mode: 'folders', a: join(dir, 'drive-a'), b: join(dir, 'drive-b') } }, dir));
  config = { ...config, web: { ...config.web, port: 0 } };
  db = openStateDatabase(dataPaths(config).database);
});

afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function deps() {
  const logger = silentLogger();
  const engine = new SnapshotEngine({ db, config, logger });
  return createWebDeps({ db, config, logger, engine, driveService: new DriveService({ config, db, logger }) });
}

describe('web wiring over the real drive service and snapshot engine', () => {
  it('reports an unenrolled and a missing folder drive with what to do, and refuses to snapshot', async () => {
    const d = deps();
    const drives = await d.drives?.list();
    expect(drives?.map((x) => [x.role, x.present, x.enrolled])).toEqual([
      ['A', true, false],
      ['B', false, false],
    ]);
    expect(drives?.[0]?.message).toContain('Enroll a drive');
    expect(drives?.[0]?.message).not.toMatch(/ballotsafe|run /);
    expect(drives?.[1]?.message).toContain('Plug in the drive labelled B');
    expect(drives?.[0]?.freeBytes).toBeGreaterThan(0);
    const targets = await d.drives?.targets();
    expect(targets?.ok).toBe(false);
    expect(d.snapshotHistory.list(10)).toEqual([]);
    const handoff = await d.handoff?.handOff({ sequence: 1, operator: 'pat', witness: 'sam', destinations: { A: 'x', B: 'y' } });
    expect(handoff?.ok ? '' : handoff?.error.code).toBe('snapshot-unknown');
    expect(d.importChecks?.list().length).toBeGreaterThan(0);
  });

  it('creates a demo login and serves the UI on 127.0.0.1', async () => {
    const first = assertOk(await demoLogin(deps().accounts));
    expect(first.password.length).toBeGreaterThanOrEqual(12);
    const second = assertOk(await demoLogin(deps().accounts));
    expect(second.password).not.toBe(first.password);
    expect(await deps().accounts.checkPassword('demo', second.password)).toMatchObject({ role: 'operator' });
    const logger = silentLogger();
    const started = assertOk(await startWebUi({ db, config, logger, engine: new SnapshotEngine({ db, config, logger }) }));
    try {
      expect(started.server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${started.server.url}/login`)).status).toBe(200);
      expect(started.deps.drives).toBeUndefined();
    } finally {
      await started.server.close();
    }
  });
});

describe('root status', () => {
  it("follows capture's missing-root mark as well as the folder itself", () => {
    mkdirSync(join(dir, 'export'));
    const d = deps();
    expect(d.roots.roots()[0]?.state).toBe('ok');
    db.prepare('INSERT INTO appliance_facts (key, value) VALUES (?, ?)').run('capture.root-missing:central-scan', '2026-11-03T20:00:00Z');
    expect(d.roots.roots()[0]).toMatchObject({ state: 'missing', message: expect.stringContaining('Reconnect') });
    db.prepare('DELETE FROM appliance_facts').run();
    rmSync(join(dir, 'export'), { recursive: true });
    expect(d.roots.roots()[0]?.state).toBe('missing');
  });
});
