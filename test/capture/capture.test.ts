import { appendFileSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogStore } from '../../daemon/capture/catalogStore.ts';
import { dataPaths } from '../../daemon/core/config.ts';
import { alerts, assertVaultMatchesCatalog, corpusDir, makeConfig, openHarness, removeDir, rows, sha256, tempDir, type Harness } from './helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function setup(settleMs = 0) {
  const base = tempDir('cap');
  cleanup.push(() => removeDir(base));
  const scan = join(base, 'export/central-scan');
  const cvr = join(base, 'export/cvr-exports');
  mkdirSync(join(scan, 'Tabulator00001/Batch001'), { recursive: true });
  mkdirSync(cvr, { recursive: true });
  const config = makeConfig(base, {
    roots: [
      { label: 'central-scan', path: scan },
      { label: 'cvr-exports', path: cvr },
    ],
    capture: { settleMs },
  });
  const open = (o: Parameters<typeof openHarness>[1] = {}): Harness => {
    const h = openHarness(config, o);
    cleanup.push(() => h.close());
    return h;
  };
  return { base, scan, cvr, config, open, vault: dataPaths(config).vault };
}

describe('capture', () => {
  it('captures a tree of real ballot scans and CVRs into the vault with catalog rows', async () => {
    const base = tempDir('corpus');
    cleanup.push(() => removeDir(base));
    // The corpus is read in place (roots are only ever read).
    const config = makeConfig(base, {
      roots: [
        { label: 'central-scan', path: join(corpusDir, 'nh-amherst-scans') },
        { label: 'cvr-exports', path: join(corpusDir, 'dominion-alaska-2024-partial') },
      ],
      capture: { settleMs: 0 },
    });
    const h = openHarness(config);
    cleanup.push(() => h.close());
    await h.service.scanAll();
    await h.service.idle();
    const all = rows(h.db);
    const expected = [
      ...readdirSync(join(corpusDir, 'nh-amherst-scans')).map((f) => ['central-scan', 'nh-amherst-scans', f] as const),
      ...readdirSync(join(corpusDir, 'dominion-alaska-2024-partial')).map((f) => ['cvr-exports', 'dominion-alaska-2024-partial', f] as const),
    ];
    expect(all).toHaveLength(expected.length);
    for (const [label, dir, f] of expected) {
      const row = all.find((r) => r.root_label === label && r.rel_path === f);
      expect(row, f).toBeDefined();
      expect(row!.sha256).toBe(sha256(readFileSync(join(corpusDir, dir, f))));
      expect(row!.status).toBe('current');
    }
    expect(all.find((r) => r.rel_path === 'scan-marked-front.jpeg')?.kind).toBe('ballot-image');
    expect(all.find((r) => r.rel_path === 'CvrExport_1730.json')?.kind).toBe('cvr');
    expect(all.find((r) => r.rel_path === 'CandidateManifest.json')?.kind).toBe('election-definition');
    expect(assertVaultMatchesCatalog(h.db, dataPaths(config).vault)).toBe(expected.length);
    const catalog = new CatalogStore(h.db);
    expect(catalog.countsByRoot().map((c) => [c.rootLabel, c.current])).toEqual([
      ['central-scan', expected.filter((e) => e[0] === 'central-scan').length],
      ['cvr-exports', expected.filter((e) => e[0] === 'cvr-exports').length],
    ]);
    expect(catalog.lastCapture()?.id).toBe(Math.max(...all.map((r) => r.id)));
    expect(catalog.versionsCapturedAfter(all[2]!.id).map((v) => v.id)).toEqual(all.slice(3).map((r) => r.id));
    expect(readdirSync(join(dataPaths(config).vault, 'tmp'))).toEqual([]);
  });

  it('restarts without re-reading unchanged files and re-reads only files whose stat changed', async () => {
    const env = setup();
    for (let i = 0; i < 30; i++) writeFileSync(join(env.scan, `Tabulator00001/Batch001/${i}.tif`), `image ${i}`.repeat(500));
    const first = env.open();
    await first.service.scanAll();
    expect(first.service.counters.captured).toBe(30);
    await first.close();

    const second = env.open();
    await second.service.scanAll();
    expect(second.service.counters.unchanged).toBe(30);
    expect(second.service.counters.bytesRead).toBe(0);
    expect(second.service.counters.captured).toBe(0);
    await second.close();

    // Only the mtime changes: re-read that one file, find the same content, no new version, no alert.
    utimesSync(join(env.scan, 'Tabulator00001/Batch001/3.tif'), new Date(2020, 1, 1), new Date(2020, 1, 1));
    const third = env.open();
    await third.service.scanAll();
    expect(third.service.counters.bytesRead).toBe(Buffer.byteLength('image 3'.repeat(500)));
    expect(third.service.counters.sameContent).toBe(1);
    expect(rows(third.db)).toHaveLength(30);
    expect(alerts(third.db)).toEqual([]);
    await third.close();

    const fourth = env.open();
    await fourth.service.scanAll();
    expect(fourth.service.counters.bytesRead).toBe(0);
  });

  it('raises a critical alert when a captured file changes or disappears, keeping every version', async () => {
    const env = setup();
    const a = join(env.scan, 'Tabulator00001/Batch001/00001.tif');
    const b = join(env.cvr, 'CvrExport_1.json');
    writeFileSync(a, 'original image');
    writeFileSync(b, '{"Sessions":[]}');
    writeFileSync(join(env.cvr, 'CvrExport_2.json'), '{"Sessions":[1]}');
    const h = env.open();
    await h.service.scanAll();
    expect(rows(h.db)).toHaveLength(3);

    appendFileSync(a, ' tampered');
    rmSync(b);
    await h.service.scanAll();
    const all = rows(h.db);
    const versions = all.filter((r) => r.rel_path === 'Tabulator00001/Batch001/00001.tif');
    expect(versions.map((r) => r.status)).toEqual(['changed', 'current']);
    expect(versions[0]!.superseded_at).not.toBeNull();
    expect(versions[0]!.sha256).toBe(sha256(Buffer.from('original image')));
    expect(versions[1]!.sha256).toBe(sha256(Buffer.from('original image tampered')));
    expect(all.find((r) => r.rel_path === 'CvrExport_1.json')?.status).toBe('deleted');
    const raised = alerts(h.db);
    expect(raised.map((x) => [x.code, x.severity, x.subject])).toEqual(
      expect.arrayContaining([
        ['captured-file-changed', 'critical', 'central-scan:Tabulator00001/Batch001/00001.tif'],
        ['captured-file-deleted', 'critical', 'cvr-exports:CvrExport_1.json'],
      ]),
    );
    expect(raised).toHaveLength(2);
    // The rescan reads no hashes; the alert's is looked up for the vanished file alone.
    expect(raised.find((x) => x.code === 'captured-file-deleted')?.message).toContain(`(SHA-256 ${sha256(Buffer.from('{"Sessions":[]}'))})`);
    expect(assertVaultMatchesCatalog(h.db, env.vault)).toBe(4);

    // A whole folder removed: its files are reported, the root is not.
    writeFileSync(join(env.scan, 'Tabulator00001/Batch001/00002.tif'), 'second');
    await h.service.scanAll();
    rmSync(join(env.scan, 'Tabulator00001'), { recursive: true });
    writeFileSync(join(env.scan, 'keep.tif'), 'root is not empty');
    await h.service.scanAll();
    expect(rows(h.db).filter((r) => r.rel_path.startsWith('Tabulator00001/') && r.status === 'current')).toEqual([]);
    expect(alerts(h.db).filter((x) => x.code === 'captured-file-deleted').map((x) => x.subject)).toEqual(
      expect.arrayContaining(['central-scan:Tabulator00001/Batch001/00001.tif', 'central-scan:Tabulator00001/Batch001/00002.tif']),
    );
  });

  it('records symlinks without following them', async () => {
    const env = setup();
    const outside = join(env.base, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.tif'), 'not part of the export');
    symlinkSync(outside, join(env.scan, 'linked-dir'));
    symlinkSync(join(outside, 'secret.tif'), join(env.scan, 'linked.tif'));
    writeFileSync(join(env.scan, 'real.tif'), 'real');
    const h = env.open();
    await h.service.scanAll();
    expect(rows(h.db).map((r) => r.rel_path)).toEqual(['real.tif']);
    const links = new CatalogStore(h.db).listSymlinks('central-scan');
    expect(links.map((l) => [l.relPath, l.target, l.status]).sort()).toEqual([
      ['linked-dir', outside, 'current'],
      ['linked.tif', join(outside, 'secret.tif'), 'current'],
    ]);
    rmSync(join(env.scan, 'linked.tif'));
    await h.service.scanAll();
    expect(new CatalogStore(h.db).listSymlinks('central-scan').find((l) => l.relPath === 'linked.tif')?.status).toBe('deleted');
  });

  it('watches the roots: captures a settled file once, handles temp-name-then-rename and slow writers', async () => {
    const env = setup(300);
    const h = env.open({ watch: true });
    await h.service.start();
    await h.service.idle();
    // A writer that writes a temp name then renames it (like rsync or most EMS exporters).
    const tmp = join(env.scan, 'Tabulator00001/Batch001/.00007.tif.partial');
    writeFileSync(tmp, 'x'.repeat(10_000));
    renameSync(tmp, join(env.scan, 'Tabulator00001/Batch001/00007.tif'));
    // A slow writer: appends for 1 s, longer than settleMs in total but never pausing that long.
    const slow = join(env.cvr, 'CvrExport_7.json');
    for (let i = 0; i < 8; i++) {
      appendFileSync(slow, `{"chunk":${i}}\n`);
      await new Promise((r) => setTimeout(r, 120));
    }
    const expectedSlow = sha256(readFileSync(slow));
    const deadline = Date.now() + 10_000;
    while (rows(h.db).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 600));
    await h.service.idle();
    const all = rows(h.db);
    expect(all.map((r) => r.rel_path).sort()).toEqual(['CvrExport_7.json', 'Tabulator00001/Batch001/00007.tif']);
    expect(all.find((r) => r.rel_path === 'CvrExport_7.json')!.sha256).toBe(expectedSlow);
    expect(alerts(h.db)).toEqual([]);
  });
});
