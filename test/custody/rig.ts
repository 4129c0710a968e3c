/**
 * TEST ONLY. The web app over the real drive service (two folder drives), the real snapshot engine
 * and a real database file, as the daemon wires them (createWebDeps). Requests go through the app.
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Hono } from 'hono';
import { dataPaths, parseConfig, type Config } from '../../daemon/core/config.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { DriveService } from '../../daemon/drives/service.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { SnapshotEngine } from '../../daemon/snapshot/engine.ts';
import { Accounts } from '../../daemon/web/accounts.ts';
import { createWebApp } from '../../daemon/web/app.tsx';
import type { WebDeps } from '../../daemon/web/deps.ts';
import { catalogFile } from '../web/webTestFakes.ts';
import { createWebDeps } from '../../daemon/web/wiring.ts';

type App = Hono<any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- test-local

export interface CustodyRig {
  readonly dir: string;
  readonly db: Db;
  readonly config: Config;
  readonly deps: WebDeps;
  readonly app: App;
  readonly engine: SnapshotEngine;
  readonly drives: DriveService;
  enroll(): Promise<void>;
  /** Catalogs `n` new files of `size` bytes (as capture would). */
  capture(n: number, size?: number): void;
  /** Presses End-of-day snapshot as the operator and waits for it to end. */
  snapshot(): Promise<Response>;
  unplug(role: 'A' | 'B'): void;
  plugIn(role: 'A' | 'B'): void;
  get(path: string): Promise<Response>;
  post(path: string, body: Record<string, unknown>): Promise<Response>;
  custodyCount(): number;
  cleanup(): void;
}

let counter = 0;

/** `driveFolders`: drives A and B on given folders (e.g. real exFAT mounts) instead of plain folders in the rig's directory. */
export async function makeCustodyRig(opts: { driveFolders?: { readonly a: string; readonly b: string } } = {}): Promise<CustodyRig> {
  const dir = mkdtempSync(join(tmpdir(), 'ballotsafe-custody-'));
  for (const sub of ['drive-a', 'drive-b', 'export']) mkdirSync(join(dir, sub), { recursive: true });
  const driveFolder = (role: 'A' | 'B') => (role === 'A' ? (opts.driveFolders?.a ?? join(dir, 'drive-a')) : (opts.driveFolders?.b ?? join(dir, 'drive-b')));
  const parsed = assertOk(
    parseConfig(
      {
        election: { name: 'custody-test', title: 'Custody Test County' },
        dataDir: join(dir, 'var'),
        roots: [{ label: 'central-scan', path: join(dir, 'export') }],
        drives: { mode: 'folders', a: driveFolder('A'), b: driveFolder('B') },
      },
      dir,
    ),
  );
  const config: Config = { ...parsed, web: { ...parsed.web, port: 0 } };
  const db = openStateDatabase(dataPaths(config).database);
  const logger = silentLogger();
  const engine = new SnapshotEngine({ db, config, logger });
  const drives = new DriveService({ config, db, logger, isSnapshotRunning: () => engine.isBusy() });
  const deps = createWebDeps({ db, config, logger, engine, driveService: drives });
  const app = createWebApp(deps);
  const accounts = new Accounts(db);
  assertOk(await accounts.addUser('olivia', 'operator', 'correct horse battery'));
  const user = accounts.findUser('olivia');
  if (user === undefined) throw new Error('no user');
  const { token, session } = accounts.createSession(user);
  const headers = { cookie: `bs_session=${token}`, 'x-csrf-token': session.csrfToken, accept: 'application/json' };
  const folder = driveFolder;
  const rig: CustodyRig = {
    dir,
    db,
    config,
    deps,
    app,
    engine,
    drives,
    async enroll() {
      assertOk(await drives.enroll({ target: 'A', role: 'A', operator: 'setup' }));
      assertOk(await drives.enroll({ target: 'B', role: 'B', operator: 'setup' }));
    },
    capture(n, size = 4096) {
      for (let i = 0; i < n; i++) catalogFile(db, dataPaths(config).vault, 'central-scan', `Batch/${counter++}.tif`, 'ballot-image', randomBytes(size));
    },
    async snapshot() {
      const res = await rig.post('/api/snapshot', { reason: 'end-of-day' });
      const until = Date.now() + 30_000;
      while (deps.snapshot.isBusy() && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return res;
    },
    unplug(role) {
      renameSync(folder(role), `${folder(role)}-unplugged`);
    },
    plugIn(role) {
      renameSync(`${folder(role)}-unplugged`, folder(role));
    },
    get: (path) => Promise.resolve(app.request(path, { headers })),
    post: (path, body) => Promise.resolve(app.request(path, { method: 'POST', body: JSON.stringify(body), headers: { ...headers, 'content-type': 'application/json' } })),
    custodyCount: () => (db.prepare('SELECT count(*) AS n FROM custody_records').get() as { n: number }).n,
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return rig;
}
