/**
 * The rescan's per-file fast path (folderScan.ts): an unchanged file is told by comparing one
 * stat text with its catalog row's (catalogWriter.ts statKey / statKeysInDir). These check that
 * the two texts agree exactly when the stats agree, that any change is still caught, and that a
 * captured file renamed in its folder is still told from a deletion (its inode is found again).
 */
import { lstatSync, mkdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogWriter, statKey } from '../../daemon/capture/catalogWriter.ts';
import { toStat, rowMatches } from '../../daemon/capture/captureTypes.ts';
import { alerts, makeConfig, openHarness, removeDir, rows, tempDir, type Harness } from './helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function setup(): { scan: string; dir: string; open: () => Harness } {
  const base = tempDir('rescan-fast');
  cleanup.push(() => removeDir(base));
  const scan = join(base, 'export/central-scan');
  const dir = join(scan, 'Tabulator00001/Batch001');
  mkdirSync(dir, { recursive: true });
  const config = makeConfig(base, { roots: [{ label: 'central-scan', path: scan }], capture: { settleMs: 0 } });
  const open = (): Harness => {
    const h = openHarness(config);
    cleanup.push(() => h.close());
    return h;
  };
  return { scan, dir, open };
}

describe('rescan fast path', () => {
  it("gives a file's stat text equal to its catalog row's, and a different one after any change", async () => {
    const { dir, open } = setup();
    const file = join(dir, '00001.tif');
    writeFileSync(file, Buffer.alloc(70_000, 1));
    const h = open();
    expect((await h.service.scanAll()).ok).toBe(true);
    await h.service.idle();

    const writer = new CatalogWriter(h.db);
    const keys = writer.statKeysInDir('central-scan', 'Tabulator00001/Batch001/');
    const s = lstatSync(file, { bigint: true });
    expect([...keys.keys()]).toEqual(['Tabulator00001/Batch001/00001.tif']);
    expect(keys.get('Tabulator00001/Batch001/00001.tif')).toBe(statKey(s));
    const row = writer.current('central-scan', 'Tabulator00001/Batch001/00001.tif');
    expect(row !== undefined && rowMatches(row, toStat(s))).toBe(true);

    // Only the modification time moves (same size, same inode): the texts differ.
    utimesSync(file, new Date('2024-11-05T20:00:00Z'), new Date('2024-11-05T20:00:00Z'));
    const touched = lstatSync(file, { bigint: true });
    expect(touched.ino).toBe(s.ino);
    expect(touched.size).toBe(s.size);
    expect(statKey(touched)).not.toBe(keys.get('Tabulator00001/Batch001/00001.tif'));
  });

  it('reads nothing for an unchanged tree, and still captures a file rewritten with the same size', async () => {
    const { dir, open } = setup();
    for (let i = 0; i < 30; i++) writeFileSync(join(dir, `${String(i).padStart(5, '0')}.tif`), Buffer.alloc(1000 + i, i));
    const h = open();
    await h.service.scanAll();
    await h.service.idle();
    expect(h.service.counters.captured).toBe(30);

    await h.service.scanAll();
    await h.service.idle();
    expect(h.service.counters.captured).toBe(30);
    expect(h.service.counters.unchanged).toBe(30);

    writeFileSync(join(dir, '00007.tif'), Buffer.alloc(1007, 0xee)); // same size, new content
    await h.service.scanAll();
    await h.service.idle();
    expect(h.service.counters.captured).toBe(31);
    const versions = rows(h.db).filter((r) => r.rel_path === 'Tabulator00001/Batch001/00007.tif');
    expect(versions.map((r) => r.status)).toEqual(['changed', 'current']);
  });

  it('tells a captured file renamed in its folder from a deleted one', async () => {
    const { dir, open } = setup();
    writeFileSync(join(dir, '00001.tif'), Buffer.alloc(5000, 3));
    writeFileSync(join(dir, '00002.tif'), Buffer.alloc(5000, 4));
    const h = open();
    await h.service.scanAll();
    await h.service.idle();

    renameSync(join(dir, '00001.tif'), join(dir, '00001-renamed.tif'));
    await h.service.scanAll();
    await h.service.idle();
    const codes = alerts(h.db).map((a) => a.code);
    expect(codes).toContain('captured-file-renamed');
    expect(codes).not.toContain('captured-file-deleted');
    const renamed = alerts(h.db).find((a) => a.code === 'captured-file-renamed');
    expect(renamed?.message).toContain('00001-renamed.tif');
  });
});
