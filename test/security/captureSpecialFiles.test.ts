/**
 * Issue #14 item 7 (capture part): FIFOs, sockets and devices in an export are not election data.
 * They are never opened in a way that can block, and no longer skipped without a word: they are
 * listed in the catalog (for the status) with one alert per root pass, not one per file.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogStore } from '../../daemon/capture/catalogStore.ts';
import { alerts, makeConfig, openHarness, removeDir, rows, tempDir } from '../capture/helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function listen(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });
}

describe('special files in an export', () => {
  it('lists FIFOs, sockets and devices as not captured, with one alert per root pass, and never blocks on them', async () => {
    const base = tempDir('sec-special');
    cleanup.push(() => removeDir(base));
    const root = join(base, 'export');
    mkdirSync(join(root, 'Batch1'), { recursive: true });
    writeFileSync(join(root, 'Batch1/00001.tif'), 'a ballot image');
    expect(spawnSync('mkfifo', [join(root, 'Batch1/pipe')]).status).toBe(0);
    expect(spawnSync('mknod', [join(root, 'null-device'), 'c', '1', '3']).status).toBe(0);
    const server = await listen(join(root, 'Batch1/ems.sock'));
    cleanup.push(() => new Promise<void>((r) => server.close(() => r())));
    const config = makeConfig(base, { roots: [{ label: 'central-scan', path: root }], capture: { settleMs: 0 } });
    const h = openHarness(config);
    cleanup.push(() => h.close());
    await h.service.scanAll();
    await h.service.scanAll(); // a second pass adds no alert
    expect(rows(h.db).map((r) => r.rel_path)).toEqual(['Batch1/00001.tif']);
    const listed = () => new CatalogStore(h.db).listNotCaptured('central-scan');
    const raised = alerts(h.db).filter((a) => a.code === 'not-captured-special-files');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.subject).toBe('central-scan');
    expect(raised[0]!.message).toContain('3');
    for (const name of ['Batch1/pipe', 'Batch1/ems.sock', 'null-device']) expect(raised[0]!.details_json ?? '').toContain(name);
    expect(listed().map((s) => [s.relPath, s.type, s.status]).sort()).toEqual([
      ['Batch1/ems.sock', 'socket', 'current'],
      ['Batch1/pipe', 'fifo', 'current'],
      ['null-device', 'char-device', 'current'],
    ]);
    // A FIFO that goes away is no longer listed as current.
    spawnSync('rm', [join(root, 'Batch1/pipe')]);
    await h.service.scanAll();
    expect(listed().find((s) => s.relPath === 'Batch1/pipe')?.status).toBe('gone');
    expect(alerts(h.db).filter((a) => a.code === 'not-captured-special-files')).toHaveLength(1);
  });
});
