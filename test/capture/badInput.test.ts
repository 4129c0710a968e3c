import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { openStateDatabase } from '../../daemon/runtime/stateDatabase.ts';
import { alerts, assertVaultMatchesCatalog, makeConfig, openHarness, removeDir, repoRoot, rows, sha256, tempDir, type Harness } from './helpers.ts';
import type { ConfigInput } from '../../daemon/core/config.ts';
import type { CaptureHooks } from '../../daemon/capture/captureEngine.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) {
    try {
      await f();
    } catch (e) {
      process.stderr.write(`cleanup failed: ${String(e)}\n`);
    }
  }
});

function setup(extra: Partial<ConfigInput> = {}, hooks?: CaptureHooks) {
  const base = tempDir('bad');
  cleanup.push(() => removeDir(base));
  const root = join(base, 'export/central-scan');
  mkdirSync(root, { recursive: true });
  const config = makeConfig(base, { roots: [{ label: 'central-scan', path: root }], capture: { settleMs: 0, rootRetryMs: 100 }, ...extra });
  const open = (): Harness => {
    const h = openHarness(config, hooks ? { hooks } : {});
    cleanup.push(() => h.close());
    return h;
  };
  return { base, root, config, open, vault: dataPaths(config).vault };
}

describe('capture of bad input', () => {
  it('alerts on files and folders it may not read (run as an unprivileged user), and captures them once readable', () => {
    const env = setup();
    chmodSync(env.base, 0o777);
    mkdirSync(join(env.root, 'locked-folder'));
    writeFileSync(join(env.root, 'locked-folder/inside.tif'), 'inside');
    writeFileSync(join(env.root, 'ok.tif'), 'readable');
    writeFileSync(join(env.root, 'locked.tif'), 'secret ballot');
    chmodSync(join(env.root, 'locked.tif'), 0o000);
    chmodSync(join(env.root, 'locked-folder'), 0o000);
    const configFile = join(env.base, 'config.json');
    writeFileSync(configFile, JSON.stringify({ dataDir: env.config.dataDir, roots: [{ label: 'central-scan', path: env.root }], capture: { settleMs: 0 } }));
    mkdirSync(env.config.dataDir, { mode: 0o777 });
    chmodSync(env.config.dataDir, 0o777);
    // Root bypasses permission checks, so the scan runs as "nobody" to meet a real EACCES.
    const runScan = () =>
      spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'daemon/cli.ts'), 'scan', '--config', configFile, '--wait-seconds', '0'], {
        cwd: repoRoot,
        uid: 65534,
        gid: 65534,
        env: { ...process.env, HOME: env.base, BALLOTSAFE_LOG_LEVEL: 'info' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const first = runScan();
    expect(first.stdout).toMatch(/file-unreadable: Cannot read "locked.tif" in "central-scan" \(EACCES\)/);
    expect(first.stdout).toMatch(/folder-unreadable/);
    expect(first.status).toBe(1); // files left uncaptured
    const db1 = openStateDatabase(join(env.config.dataDir, 'ballotsafe.db'));
    expect(rows(db1).map((r) => r.rel_path)).toEqual(['ok.tif']);
    expect(alerts(db1).map((a) => [a.code, a.subject]).sort()).toEqual([
      ['file-unreadable', 'central-scan:locked.tif'],
      ['folder-unreadable', 'central-scan:locked-folder/'],
    ]);
    db1.close();

    chmodSync(join(env.root, 'locked.tif'), 0o644);
    chmodSync(join(env.root, 'locked-folder'), 0o755);
    const second = runScan();
    expect(second.status, second.stderr).toBe(0);
    const db2 = openStateDatabase(join(env.config.dataDir, 'ballotsafe.db'));
    expect(rows(db2).map((r) => r.rel_path).sort()).toEqual(['locked-folder/inside.tif', 'locked.tif', 'ok.tif']);
    expect(rows(db2).find((r) => r.rel_path === 'locked.tif')!.sha256).toBe(sha256(Buffer.from('secret ballot')));
    // No catalog row was ever written for an unreadable file, so nothing is reported deleted.
    expect(alerts(db2).filter((a) => a.code === 'captured-file-deleted')).toEqual([]);
    db2.close();
  });

  it('discards a file that grows while it is read and captures it complete later', async () => {
    let grown = false;
    const env = setup({}, {
      afterFirstChunk(_label, relPath) {
        if (relPath === 'growing.tif' && !grown) {
          grown = true;
          appendFileSync(join(env.root, 'growing.tif'), Buffer.alloc(50_000, 2));
        }
      },
    });
    writeFileSync(join(env.root, 'growing.tif'), Buffer.alloc(2 * 1024 * 1024 + 10, 1)); // more than one read chunk
    const h = env.open();
    await h.service.scanAll();
    expect(grown).toBe(true);
    expect(h.service.counters.unstable).toBe(1);
    expect(rows(h.db)).toEqual([]);
    expect(readdirSync(join(env.vault, 'tmp'))).toEqual([]);
    expect(await h.service.settle(5000)).toBe(0);
    const all = rows(h.db);
    expect(all).toHaveLength(1);
    expect(all[0]!.sha256).toBe(sha256(readFileSync(join(env.root, 'growing.tif'))));
    expect(all[0]!.size).toBe(2 * 1024 * 1024 + 10 + 50_000);
  });

  it('forgets a file that vanishes while it is read, without a row or a deletion alert', async () => {
    const env = setup({}, {
      afterFirstChunk(_label, relPath) {
        if (relPath === 'vanishing.tif') unlinkSync(join(env.root, 'vanishing.tif'));
      },
    });
    writeFileSync(join(env.root, 'vanishing.tif'), Buffer.alloc(3 * 1024 * 1024, 1));
    writeFileSync(join(env.root, 'stays.tif'), 'stays');
    const h = env.open();
    await h.service.scanAll();
    expect(await h.service.settle(2000)).toBe(0);
    expect(rows(h.db).map((r) => r.rel_path)).toEqual(['stays.tif']);
    expect(alerts(h.db)).toEqual([]);
    expect(readdirSync(join(env.vault, 'tmp'))).toEqual([]);
  });

  it('captures zero-byte files, with an info alert when a ballot image is empty', async () => {
    const env = setup();
    writeFileSync(join(env.root, 'empty.tif'), '');
    writeFileSync(join(env.root, 'empty.txt'), '');
    const h = env.open();
    await h.service.scanAll();
    const all = rows(h.db);
    expect(all.map((r) => [r.rel_path, r.size, r.sha256]).sort()).toEqual([
      ['empty.tif', 0, sha256(Buffer.alloc(0))],
      ['empty.txt', 0, sha256(Buffer.alloc(0))],
    ]);
    expect(alerts(h.db).map((a) => [a.code, a.severity, a.subject])).toEqual([['zero-byte-file', 'info', 'central-scan:empty.tif']]);
    expect(assertVaultMatchesCatalog(h.db, env.vault)).toBe(2);
  });

  it('keeps names that are not valid UTF-8 exactly (escaped text plus raw bytes)', async () => {
    const env = setup();
    const rootBuf = Buffer.from(env.root);
    const dirName = Buffer.from([0x42, 0x61, 0x74, 0x63, 0x68, 0xe9]); // "Batch" + Latin-1 é
    const fileName = Buffer.from([0x30, 0x31, 0xff, 0x25, 0x2e, 0x74, 0x69, 0x66]); // "01", 0xFF, "%", ".tif"
    const dirPath = Buffer.concat([rootBuf, Buffer.from('/'), dirName]);
    mkdirSync(dirPath);
    writeFileSync(Buffer.concat([dirPath, Buffer.from('/'), fileName]), 'latin-1 ballot');
    writeFileSync(Buffer.concat([rootBuf, Buffer.from('/'), fileName]), 'top ballot');
    const h = env.open();
    await h.service.scanAll();
    const all = rows(h.db).sort((a, b) => a.rel_path.localeCompare(b.rel_path));
    expect(all.map((r) => r.rel_path)).toEqual(['01%FF%25.tif', 'Batch%E9/01%FF%25.tif']);
    expect(all[1]!.rel_path_raw.equals(Buffer.concat([dirName, Buffer.from('/'), fileName]))).toBe(true);
    expect(all[1]!.sha256).toBe(sha256(Buffer.from('latin-1 ballot')));
    expect(all[1]!.kind).toBe('ballot-image');
    // A rescan finds them unchanged; deleting the odd folder is reported under its escaped name.
    const again = await (async () => {
      await h.service.scanAll();
      return h.service.counters.unchanged;
    })();
    expect(again).toBe(2);
    rmSync(dirPath, { recursive: true });
    await h.service.scanAll();
    expect(alerts(h.db).map((a) => a.subject)).toEqual(['central-scan:Batch%E9/01%FF%25.tif']);
  });

  it('captures files below paths longer than PATH_MAX', async () => {
    const env = setup();
    // 24 levels of 200-byte names: about 4,900 bytes, beyond Linux's 4,096-byte PATH_MAX.
    const segment = 'd'.repeat(200);
    let fd = openSync(env.root, constants.O_RDONLY | constants.O_DIRECTORY);
    const fds = [fd];
    for (let i = 0; i < 24; i++) {
      mkdirSync(`/proc/self/fd/${fd}/${segment}`);
      fd = openSync(`/proc/self/fd/${fd}/${segment}`, constants.O_RDONLY | constants.O_DIRECTORY);
      fds.push(fd);
    }
    writeFileSync(`/proc/self/fd/${fd}/deep.tif`, 'deep ballot');
    for (const f of fds) closeSync(f);
    const relPath = `${Array.from({ length: 24 }, () => segment).join('/')}/deep.tif`;
    expect(Buffer.byteLength(join(env.root, relPath))).toBeGreaterThan(4096);
    cleanup.push(() => {
      // rm -r cannot name files that deep either: lift each level up to the root first.
      let top = join(env.root, segment);
      for (let i = 0; existsSync(join(top, segment)); i++) {
        const flat = join(env.root, `flat${i}`);
        renameSync(join(top, segment), flat);
        top = flat;
      }
    });
    const h = env.open();
    await h.service.scanAll();
    const all = rows(h.db);
    expect(all.map((r) => r.rel_path)).toEqual([relPath]);
    expect(all[0]!.sha256).toBe(sha256(Buffer.from('deep ballot')));
    expect(assertVaultMatchesCatalog(h.db, env.vault)).toBe(1);
    // Restart rule works at that depth too.
    await h.service.scanAll();
    expect(h.service.counters.unchanged).toBe(1);
    expect(alerts(h.db)).toEqual([]);
  });

  it('pauses a root that disappears and resumes when it comes back, without false deletion alerts', async () => {
    const env = setup();
    mkdirSync(join(env.root, 'Batch1'));
    for (let i = 0; i < 5; i++) writeFileSync(join(env.root, `Batch1/${i}.tif`), `ballot ${i}`);
    const h = env.open();
    await h.service.start();
    await h.service.idle();
    expect(rows(h.db)).toHaveLength(5);

    // A network share dropping: the folder is gone.
    renameSync(env.root, `${env.root}.away`);
    await h.service.scanAll();
    expect(alerts(h.db).map((a) => a.code)).toEqual(['root-missing']);
    expect(rows(h.db).every((r) => r.status === 'current')).toBe(true);

    // Back, with one more file.
    renameSync(`${env.root}.away`, env.root);
    writeFileSync(join(env.root, 'Batch1/5.tif'), 'ballot 5');
    const deadline = Date.now() + 5000;
    while (rows(h.db).length < 6 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await h.service.idle();
    expect(alerts(h.db).map((a) => a.code)).toEqual(['root-missing', 'root-back']);
    expect(rows(h.db).filter((r) => r.status === 'current')).toHaveLength(6);

    // An unmounted share leaves an empty mount point: also "missing", not 6 deletions.
    renameSync(join(env.root, 'Batch1'), join(env.base, 'Batch1.away'));
    await h.service.scanAll();
    expect(alerts(h.db).map((a) => a.code)).toEqual(['root-missing', 'root-back', 'root-missing']);
    expect(rows(h.db).every((r) => r.status === 'current')).toBe(true);
    renameSync(join(env.base, 'Batch1.away'), join(env.root, 'Batch1'));
    await h.service.scanAll();
    expect(alerts(h.db).map((a) => a.code)).toEqual(['root-missing', 'root-back', 'root-missing', 'root-back']);
    expect(h.service.counters.deleted).toBe(0);
  });

  it('warns when the vault disk runs low and stops capturing before it is full (8 MB tmpfs)', async () => {
    const base = tempDir('full');
    const mnt = join(base, 'data');
    mkdirSync(mnt);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
    expect(mounted.status, String(mounted.stderr)).toBe(0);
    cleanup.push(() => removeDir(base));
    cleanup.push(() => void spawnSync('umount', ['-l', mnt]));
    const root = join(base, 'export');
    mkdirSync(root);
    for (let i = 0; i < 10; i++) writeFileSync(join(root, `${i}.tif`), Buffer.alloc(1024 * 1024, i + 1));
    const minFree = 3 * 1024 * 1024;
    const config = makeConfig(base, {
      dataDir: mnt,
      roots: [{ label: 'central-scan', path: root }],
      capture: { settleMs: 0, lowSpaceWarnBytes: 5 * 1024 * 1024, minFreeBytes: minFree, rootRetryMs: 100 },
    });
    const h = openHarness(config);
    cleanup.push(() => h.close());
    await h.service.scanAll();
    const captured = rows(h.db).length;
    expect(captured).toBeGreaterThan(0);
    expect(captured).toBeLessThan(10);
    const codes = alerts(h.db).map((a) => a.code);
    expect(codes).toContain('vault-low-space');
    expect(codes).toContain('vault-full');
    expect(codes.filter((c) => c === 'vault-full')).toHaveLength(1); // one open alert, not one per file
    const s = statfsSync(mnt);
    expect(s.bavail * s.bsize).toBeGreaterThanOrEqual(minFree - 256 * 1024); // SQLite's own pages aside
    expect(assertVaultMatchesCatalog(h.db, dataPaths(config).vault)).toBe(captured);
    expect(h.service.engine.pendingCount()).toBe(10 - captured); // waiting, not lost

    // More disk: capture resumes by itself.
    expect(spawnSync('mount', ['-o', 'remount,size=64m', mnt]).status).toBe(0);
    expect(await h.service.settle(5000)).toBe(0);
    expect(rows(h.db)).toHaveLength(10);
    expect(assertVaultMatchesCatalog(h.db, dataPaths(config).vault)).toBe(10);
    expect(existsSync(join(dataPaths(config).vault, 'tmp'))).toBe(true);
  });
});
