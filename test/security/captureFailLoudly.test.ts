/**
 * Issue #14 item 6 (capture part): capture that cannot start or cannot write says so loudly.
 * A vault the service may not read at start is a typed failure from start() with a critical alert
 * (so the runtime can exit non-zero and systemd restart it), not an exception; a vault whose
 * objects folder stops taking writes while running raises one critical alert per cause, and
 * capture keeps retrying until it can write again.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { openStateDatabase } from '../../daemon/runtime/stateDatabase.ts';
import { alerts, assertVaultMatchesCatalog, makeConfig, openHarness, removeDir, repoRoot, rows, sleep, tempDir } from '../capture/helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const NOBODY = 65534;

describe('capture fails loudly', () => {
  it('start() on a vault the service may not read returns a typed failure and raises a critical alert (run as an unprivileged user)', () => {
    const base = tempDir('sec-start');
    cleanup.push(() => removeDir(base));
    chmodSync(base, 0o755);
    const root = join(base, 'export');
    mkdirSync(root);
    writeFileSync(join(root, 'a.tif'), 'ballot');
    const dataDir = join(base, 'data');
    mkdirSync(dataDir);
    chownSync(dataDir, NOBODY, NOBODY);
    const config = makeConfig(base, { dataDir, roots: [{ label: 'central-scan', path: root }], capture: { settleMs: 0 } });
    // The vault belongs to someone else: the service meets a real EACCES.
    mkdirSync(dataPaths(config).vault, { mode: 0o700 });
    chmodSync(dataPaths(config).vault, 0o700);
    const configFile = join(base, 'config.json');
    writeFileSync(configFile, JSON.stringify({ dataDir, roots: [{ label: 'central-scan', path: root }], capture: { settleMs: 0 } }));
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test/security/fixtures/startCapture.ts'), configFile], {
      cwd: repoRoot,
      uid: NOBODY,
      gid: NOBODY,
      env: { ...process.env, HOME: base },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const outcome = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as { ok?: boolean; error?: { code: string; message: string; action?: string } };
    expect(outcome.ok).toBe(false);
    expect(outcome.error?.code).toBe('capture-cannot-start');
    expect(outcome.error?.message).not.toMatch(/EACCES|ENOENT|Error:|\n\s+at /);
    // What to do, in plain words: who to call and that nothing waiting is lost.
    expect(outcome.error?.action).toMatch(/vault folder .* ballotsafe restarts by itself and captures everything waiting/);
    expect(outcome.error?.action).not.toMatch(/EACCES|ENOENT|Error:/);
    const db = openStateDatabase(join(dataDir, 'ballotsafe.db'));
    const raised = alerts(db).filter((a) => a.code === 'capture-cannot-start');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.severity).toBe('critical');
    expect(rows(db)).toEqual([]);
    db.close();
  });

  it('an objects folder that stops taking writes while running raises one critical alert and capture retries until it can write', async () => {
    const base = tempDir('sec-write');
    cleanup.push(() => removeDir(base));
    const root = join(base, 'export');
    mkdirSync(root);
    const config = makeConfig(base, { roots: [{ label: 'central-scan', path: root }], capture: { settleMs: 0, rootRetryMs: 100, minFreeBytes: 0, lowSpaceWarnBytes: 0 } });
    const h = openHarness(config);
    cleanup.push(() => h.close());
    writeFileSync(join(root, 'first.tif'), 'captured while the vault is fine');
    await h.service.start();
    await h.service.idle();
    expect(rows(h.db)).toHaveLength(1);
    const rescan = async () => {
      await h.service.engine.scanRoot(config.roots[0]!);
      await h.service.idle();
    };
    // The objects folder turns read-only under the running service (a remount, a failing disk).
    const objects = join(dataPaths(config).vault, 'objects');
    expect(spawnSync('mount', ['--bind', objects, objects]).status).toBe(0);
    cleanup.push(() => void spawnSync('umount', ['-l', objects]));
    expect(spawnSync('mount', ['-o', 'remount,bind,ro', objects]).status).toBe(0);
    writeFileSync(join(root, 'second.tif'), 'exported while the vault cannot take it');
    await rescan();
    writeFileSync(join(root, 'third.tif'), 'and another one');
    await rescan();
    await h.service.settle(300);
    const raised = alerts(h.db).filter((a) => a.code === 'vault-write-failed');
    expect(raised).toHaveLength(1); // once per cause, not once per file or per try
    expect(raised[0]!.severity).toBe('critical');
    expect(raised[0]!.message).not.toMatch(/EROFS|EACCES|Error:/);
    expect(rows(h.db)).toHaveLength(1);
    expect(h.service.engine.pendingCount()).toBe(2); // waiting, not lost
    // The disk is writable again: capture catches up by itself.
    expect(spawnSync('umount', [objects]).status).toBe(0);
    await sleep(150);
    expect(await h.service.settle(5000)).toBe(0);
    expect(rows(h.db).map((r) => r.rel_path).sort()).toEqual(['first.tif', 'second.tif', 'third.tif']);
    expect(assertVaultMatchesCatalog(h.db, dataPaths(config).vault)).toBe(3);
    expect(alerts(h.db).filter((a) => a.code === 'vault-write-failed')).toHaveLength(1);
  });
});
