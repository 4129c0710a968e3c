/**
 * Issue #14 item 1: nothing outside a watched root is ever opened through it. The export share's
 * owner controls its symlinks: a folder that was captured and is then replaced by a symlink to the
 * appliance's key folder must never bring the key into the catalog or the vault, whether the swap
 * is met by the watcher's rescan, an explicit rescan, the settle re-check or the copy worker.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CaptureService } from '../../daemon/capture/captureService.ts';
import { CatalogStore } from '../../daemon/capture/catalogStore.ts';
import { vaultObjectPath } from '../../daemon/capture/vaultLayout.ts';
import type { CaptureHooks } from '../../daemon/capture/captureEngine.ts';
import { dataPaths, type Config } from '../../daemon/core/config.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { alerts, makeConfig, removeDir, rows, sha256, sleep, tempDir, waitFor } from '../capture/helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const SECRET = Buffer.from('{"secretKey":"RWRTY0Iy-THIS-IS-THE-APPLIANCE-SIGNING-KEY"}\n');

interface Env {
  readonly root: string;
  readonly config: Config;
  readonly keysDir: string;
  open(options?: { watch?: boolean; hooks?: CaptureHooks; concurrency?: number }): { db: Db; service: CaptureService };
}

function setup(settleMs: number): Env {
  const base = tempDir('sec-beneath');
  cleanup.push(() => removeDir(base));
  const root = join(base, 'export/central-scan');
  mkdirSync(root, { recursive: true });
  const config = makeConfig(base, { roots: [{ label: 'central-scan', path: root }], capture: { settleMs, rootRetryMs: 100 } });
  // The appliance's data folder holds the signing key, as in production.
  const keysDir = join(config.dataDir, 'keys');
  mkdirSync(keysDir, { recursive: true });
  writeFileSync(join(keysDir, 'appliance-ed25519.json'), SECRET);
  // Same names as in the captured folder, so a followed symlink would look like a changed file.
  writeFileSync(join(keysDir, 'a.txt'), SECRET);
  writeFileSync(join(keysDir, 'b.txt'), SECRET);
  return {
    root,
    config,
    keysDir,
    open(options = {}) {
      const db = openStateDatabase(join(config.dataDir, 'ballotsafe.db'));
      const service = new CaptureService({
        config,
        db,
        logger: silentLogger(),
        watch: options.watch ?? false,
        ...(options.hooks === undefined ? {} : { hooks: options.hooks }),
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      });
      cleanup.push(async () => {
        await service.stop();
        await service.engine.close();
        db.close();
      });
      return { db, service };
    },
  };
}

/** The key never reached the catalog or the vault. */
function expectNoSecret(env: Env, db: Db): void {
  const secretHash = sha256(SECRET);
  expect(rows(db).filter((r) => r.sha256 === secretHash)).toEqual([]);
  expect(rows(db).map((r) => r.rel_path)).not.toContain('zz/appliance-ed25519.json');
  expect(existsSync(vaultObjectPath(dataPaths(env.config).vault, secretHash))).toBe(false);
}

function swapFolderForLink(env: Env): void {
  rmSync(join(env.root, 'zz'), { recursive: true, force: true });
  symlinkSync(env.keysDir, join(env.root, 'zz'));
}

describe('capture never opens anything outside a root through a symlinked folder', () => {
  it('the watcher rescan of a folder swapped for a symlink to the key folder captures nothing from it', async () => {
    const env = setup(100);
    const { db, service } = env.open({ watch: true });
    await service.start();
    await service.idle();
    mkdirSync(join(env.root, 'zz'));
    writeFileSync(join(env.root, 'zz/a.txt'), 'x\n');
    await waitFor(() => rows(db).some((r) => r.rel_path === 'zz/a.txt'), 15_000, 'zz/a.txt captured');
    swapFolderForLink(env);
    // The watcher's hint rescans zz; give it time to do so (and the settle timer to run).
    await waitFor(() => rows(db).some((r) => r.rel_path === 'zz/a.txt' && r.status === 'deleted'), 15_000, 'zz/a.txt reported gone');
    await sleep(1500);
    await service.idle();
    expectNoSecret(env, db);
    // Recorded as a symlink, with an alert naming the folder.
    const links = new CatalogStore(db).listSymlinks('central-scan');
    expect(links.map((l) => [l.relPath, l.target, l.status])).toContainEqual(['zz', env.keysDir, 'current']);
    const folderAlerts = alerts(db).filter((a) => a.code === 'folder-became-link');
    expect(folderAlerts.map((a) => a.subject)).toEqual(['central-scan:zz/']);
    expect(folderAlerts[0]!.severity).toBe('critical');
    expect(folderAlerts[0]!.message).toContain('"zz"');
  });

  it('an explicit rescan of the swapped folder (and a full rescan) captures nothing from it', async () => {
    const env = setup(0);
    const { db, service } = env.open();
    mkdirSync(join(env.root, 'zz/deeper'), { recursive: true });
    writeFileSync(join(env.root, 'zz/a.txt'), 'x\n');
    writeFileSync(join(env.root, 'zz/deeper/c.txt'), 'y\n');
    await service.scanAll();
    expect(rows(db).map((r) => r.rel_path).sort()).toEqual(['zz/a.txt', 'zz/deeper/c.txt']);
    swapFolderForLink(env);
    mkdirSync(join(env.keysDir, 'deeper'));
    writeFileSync(join(env.keysDir, 'deeper/c.txt'), SECRET);
    // What the watcher would ask for: the folder itself, and a folder below it.
    await service.engine.scanRoot(env.config.roots[0]!, { relDir: Buffer.from('zz'), recursive: true });
    await service.engine.scanRoot(env.config.roots[0]!, { relDir: Buffer.from('zz/deeper'), recursive: false });
    await service.idle();
    expectNoSecret(env, db);
    await service.scanAll();
    await service.idle();
    expectNoSecret(env, db);
    // The captured versions are kept and reported gone, as for any vanished file.
    expect(rows(db).map((r) => [r.rel_path, r.status]).sort()).toEqual([
      ['zz/a.txt', 'deleted'],
      ['zz/deeper/c.txt', 'deleted'],
    ]);
    expect(alerts(db).filter((a) => a.code === 'folder-became-link').map((a) => a.subject)).toEqual(['central-scan:zz/']);
  });

  it('the settle re-check of a pending file does not follow a folder swapped for a symlink', async () => {
    const env = setup(300);
    const { db, service } = env.open();
    mkdirSync(join(env.root, 'zz'));
    writeFileSync(join(env.root, 'zz/b.txt'), 'still being written\n');
    await service.engine.init();
    await service.engine.scanRoot(env.config.roots[0]!);
    expect(service.engine.pendingCount()).toBe(1); // seen, not settled yet
    swapFolderForLink(env);
    for (let i = 0; i < 4; i++) {
      await sleep(350);
      await service.engine.processPending();
      await service.engine.drain();
    }
    expectNoSecret(env, db);
    expect(rows(db)).toEqual([]);
  });

  it('the copy worker does not follow a folder swapped for a symlink between the scan and the copy', async () => {
    const env = setup(0);
    mkdirSync(join(env.root, 'zz'));
    writeFileSync(join(env.root, 'zz/a.txt'), Buffer.alloc(3 * 1024 * 1024, 1));
    writeFileSync(join(env.root, 'zz/b.txt'), 'second file\n');
    let swapped = false;
    // One copy at a time: b.txt is opened only after a.txt's copy, during which the folder is swapped.
    const { db, service } = env.open({
      concurrency: 1,
      hooks: {
        afterFirstChunk: () => {
          if (swapped) return;
          swapped = true;
          swapFolderForLink(env);
        },
      },
    });
    await service.scanAll();
    await service.idle();
    expect(swapped).toBe(true);
    expectNoSecret(env, db);
    expect(readFileSync(join(env.root, 'zz/b.txt'))).toEqual(SECRET); // the swap did happen
  });

  it('a watched root itself swapped for a symlink (its parent is the share) is not followed; a root the operator configured through a symlink still works', async () => {
    const env = setup(0);
    writeFileSync(join(env.root, 'a.txt'), 'x\n');
    // The operator's own link, in place when the service starts: honoured.
    const viaLink = join(env.root, '..', 'scan-link');
    symlinkSync(env.root, viaLink);
    const { db, service } = env.open();
    await service.scanAll();
    expect(rows(db).map((r) => r.rel_path)).toEqual(['a.txt']);
    // The share's owner renames the root away and puts a link to the key folder in its place.
    renameSync(env.root, `${env.root}.away`);
    symlinkSync(env.keysDir, env.root);
    await service.scanAll();
    await service.engine.scanRoot(env.config.roots[0]!, { relDir: Buffer.from(''), recursive: true });
    await service.idle();
    expectNoSecret(env, db);
    const missing = alerts(db).filter((a) => a.code === 'root-missing');
    expect(missing).toHaveLength(1);
    expect(missing[0]!.severity).toBe('critical');
    expect(missing[0]!.message).toContain('replaced by a link');
    expect(rows(db).map((r) => [r.rel_path, r.status])).toEqual([['a.txt', 'current']]); // paused, not reported deleted
    // A second service whose root is configured through the operator's link captures through it.
    const other = makeConfig(join(env.root, '..', '..'), { dataDir: join(env.config.dataDir, '..', 'data2'), roots: [{ label: 'via-link', path: viaLink }], capture: { settleMs: 0 } });
    rmSync(env.root);
    renameSync(`${env.root}.away`, env.root);
    const db2 = openStateDatabase(join(other.dataDir, 'ballotsafe.db'));
    const service2 = new CaptureService({ config: other, db: db2, logger: silentLogger(), watch: false });
    cleanup.push(async () => {
      await service2.engine.close();
      db2.close();
    });
    await service2.scanAll();
    expect(rows(db2).map((r) => r.rel_path)).toEqual(['a.txt']);
  });
});
