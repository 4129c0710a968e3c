import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { alerts, makeConfig, openHarness, removeDir, rows, tempDir, type Harness } from './helpers.ts';

// Another process (a CLI snapshot, import or scan) holding the catalog's write lock while capture
// commits a batch: capture waits for it (BEGIN IMMEDIATE + busy_timeout), and when it is held past
// the wait the batch is retried later and the clerk gets an alert.

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A real second process that takes the write lock, writes a row, holds it, commits and prints when. */
/** `holdMs` undefined: held until release() is called. */
function holdWriteLock(dbPath: string, holdMs?: number): Promise<{ child: ChildProcess; released: Promise<number>; release(): void }> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(${JSON.stringify(dbPath)});
    db.exec('BEGIN IMMEDIATE');
    db.prepare("INSERT INTO schema_migrations (area, version, applied_at) VALUES ('lock-holder', ?, 'now')").run(Date.now());
    process.stdout.write('locked\\n');
    ${holdMs === undefined ? "require('node:fs').readSync(0, Buffer.alloc(1));" : `Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${holdMs});`}
    db.exec('COMMIT');
    process.stdout.write('released ' + Date.now() + '\\n');
  `;
  const child = spawn(process.execPath, ['-e', script], { cwd: join(import.meta.dirname, '..', '..'), stdio: ['pipe', 'pipe', 'inherit'] });
  cleanup.push(() => void child.kill());
  let out = '';
  let onReleased: (t: number) => void = () => undefined;
  const released = new Promise<number>((resolve) => (onReleased = resolve));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('locked\n') && !out.includes('released')) resolve({ child, released, release: () => child.stdin?.end('go\n') });
      const m = /released (\d+)/.exec(out);
      if (m) onReleased(Number(m[1]));
    });
    child.on('exit', (code) => (code === 0 ? undefined : reject(new Error(`lock holder exited ${code}`))));
  });
}

function setup(files: number, capture: { settleMs: number; rootRetryMs: number }): { h: Harness; dbPath: string; vault: string } {
  const base = tempDir('catalog-busy');
  cleanup.push(() => removeDir(base));
  const scan = join(base, 'export/central-scan');
  mkdirSync(join(scan, 'Batch001'), { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(scan, 'Batch001', `Image${i}.tif`), `ballot image ${i}\n`);
  const config = makeConfig(base, { roots: [{ label: 'central-scan', path: scan }], capture });
  const h = openHarness(config);
  cleanup.push(() => h.close());
  return { h, dbPath: join(config.dataDir, 'ballotsafe.db'), vault: dataPaths(config).vault };
}

function vaultObjectTimes(vault: string): number[] {
  const objects = join(vault, 'objects');
  return readdirSync(objects).flatMap((d) => readdirSync(join(objects, d)).map((f) => statSync(join(objects, d, f)).mtimeMs));
}

describe('capture while another process writes the catalog', () => {
  it('waits for a write lock held a few seconds: every file captured at the first try, no alert', async () => {
    // Files seen by a first scan settle 1.5 s later, while the other process holds the lock; a
    // batch that failed would come back only after a minute (rootRetryMs), past this test.
    const { h, dbPath, vault } = setup(12, { settleMs: 1500, rootRetryMs: 60_000 });
    expect((await h.service.scanAll()).ok).toBe(true);
    await h.service.idle();
    expect(rows(h.db)).toHaveLength(0);
    const holder = await holdWriteLock(dbPath, 3000);
    expect(await h.service.settle(8000)).toBe(0);
    const releasedAt = await holder.released;
    // The files reached the vault while the lock was held, so their catalog batch had to wait for it.
    expect(Math.min(...vaultObjectTimes(vault))).toBeLessThan(releasedAt);
    expect(rows(h.db).filter((r) => r.status === 'current')).toHaveLength(12);
    expect(alerts(h.db).map((a) => a.code)).not.toContain('catalog-busy');
  });

  it('a lock held past the wait: the batch is retried later and the clerk gets an alert', async () => {
    const { h, dbPath } = setup(5, { settleMs: 0, rootRetryMs: 200 });
    h.db.pragma('busy_timeout = 500'); // the wait, shortened for the test (5 s on the appliance)
    const holder = await holdWriteLock(dbPath);
    expect((await h.service.scanAll()).ok).toBe(true);
    await h.service.idle();
    expect(rows(h.db)).toHaveLength(0); // given back, not lost: still in the export folder
    holder.release();
    await holder.released;
    expect(await h.service.settle(10_000)).toBe(0);
    expect(rows(h.db).filter((r) => r.status === 'current')).toHaveLength(5);
    const busy = alerts(h.db).filter((a) => a.code === 'catalog-busy');
    expect(busy).toHaveLength(1);
    expect(busy[0]?.severity).toBe('warning');
    expect(busy[0]?.message).toContain('Capture could not record 5 new files in its catalog');
    expect(busy[0]?.message).not.toMatch(/SQLITE|locked|Error/);
  });
});
