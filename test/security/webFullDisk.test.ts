/**
 * Issue #14 item 6 (web): with the appliance's data disk full, logging in answered 500 (it
 * writes a session row and an audit entry) and `ballotsafe user add` printed a stack trace.
 * The data folder here is a small tmpfs, filled to the last byte, as a real full disk would be.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../daemon/core/config.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { AlertLog } from '../../daemon/core/state/alerts.ts';
import { AuditLog } from '../../daemon/core/state/auditLog.ts';
import { Accounts } from '../../daemon/web/accounts.ts';
import { userCommand } from '../../daemon/cli/commands/user.ts';
import { makeRig, type TestRig } from '../web/webTestFakes.ts';
import { http, listen, loginClient } from './webServer.ts';

let rig: TestRig;
let mnt: string;
let db: Db | undefined;

beforeEach(async () => {
  rig = await makeRig();
  mnt = mkdtempSync(join(tmpdir(), 'ballotsafe-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
});

afterEach(() => {
  db?.close();
  db = undefined;
  execFileSync('umount', [mnt]);
  rmSync(mnt, { recursive: true, force: true });
  rig.cleanup();
});

/** Writes until the file system refuses another byte. */
function fillDisk(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  try {
    for (const size of [1024 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size, 1);
      for (;;) {
        try {
          writeSync(fd, chunk);
        } catch {
          break; // ENOSPC at this chunk size: try a smaller one
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

describe('a full data disk', () => {
  it('still lets an operator log in and see that the disk is full', async () => {
    const dataDir = join(mnt, 'var');
    mkdirSync(dataDir);
    const config: Config = { ...rig.config, dataDir };
    // The daemon was running (database open) when the disk filled up.
    db = openStateDatabase(join(dataDir, 'ballotsafe.db'));
    const accounts = new Accounts(db);
    expect((await accounts.addUser('pat', 'operator', 'a good long password')).ok).toBe(true);
    const server = await listen({ ...rig.deps, config, accounts, audit: new AuditLog(db, silentLogger()), alerts: new AlertLog(db, silentLogger()) });
    try {
      fillDisk(mnt);
      expect(() => writeFileSync(join(mnt, 'one-more'), 'x'.repeat(8192))).toThrow(/ENOSPC/);

      const pat = await loginClient(server.url);
      const login = await pat.attempt('pat', 'a good long password');
      expect(login.status).toBe(200);
      const overview = await http(`${server.url}/`, { headers: { cookie: login.session, accept: 'text/html' } });
      expect(overview.status).toBe(200);
      expect(overview.body).toMatch(/disk is full/i);
      expect(overview.body).toContain('verdict bad');
      const api = await http(`${server.url}/api/overview`, { headers: { cookie: login.session } });
      expect(JSON.parse(api.body)).toMatchObject({ verdict: { ok: false } });
      // The session also works for the next request, and logging out works.
      expect((await http(`${server.url}/api/session`, { headers: { cookie: login.session } })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('`ballotsafe user add` says the disk is full, with no stack trace, and exits non-zero', async () => {
    const dataDir = join(mnt, 'var');
    writeFileSync(join(mnt, 'config.yaml'), `dataDir: ${dataDir}\n`);
    db = openStateDatabase(join(dataDir, 'ballotsafe.db')); // the daemon has it open
    fillDisk(mnt);
    let out = '';
    let err = '';
    const code = await userCommand({
      stdin: Readable.from([Buffer.from('a good long password\n')]),
      stdout: { write: (t: string) => (out += t) },
      stderr: { write: (t: string) => (err += t) },
    })
      .run(['add', 'sam', '--role', 'observer', '--config', join(mnt, 'config.yaml')])
      .catch((e: unknown) => {
        err += e instanceof Error ? (e.stack ?? e.message) : String(e);
        return 70;
      });
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/disk is full/i);
    expect(err).not.toMatch(/SQLITE|ENOSPC|\n\s+at /);
  });
});
