import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ChangeFeed, coalescingRun } from '../../daemon/capture/changeFeed.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { ImportService } from '../../daemon/importer/service.ts';
import { PreauditService } from '../../daemon/preaudit/service.ts';
import { CatalogGrowthWatch } from '../../daemon/runtime/catalogGrowthWatch.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { readSheetFills } from '../../daemon/preaudit/viewStore.ts';

/**
 * Issue #17: one change feed on the catalog wakes the importer, the pre-audit and the export-settled
 * trigger, each once per change; when nothing changed none of them runs. The consumers are the real
 * services; only their passes are counted (stubbed), since what a pass does is tested elsewhere.
 */

let n = 0;
function capture(db: Db, kind = 'ballot-image'): number {
  n++;
  const info = db
    .prepare(
      `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
       VALUES ('scans', ?, ?, 1, '0', '0', ?, ?, ?, '2026-11-03T20:00:00Z', '2026-11-03T20:00:00Z')`,
    )
    .run(`f${n}.tif`, Buffer.from(`f${n}.tif`), String(n), n.toString(16).padStart(64, '0'), kind);
  return Number(info.lastInsertRowid);
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('the one change feed', () => {
  const stops: (() => unknown)[] = [];
  afterEach(async () => {
    for (const stop of stops.splice(0)) await stop();
  });

  function wire() {
    const dir = mkdtempSync(join(tmpdir(), 'ballotsafe-feed-'));
    const db = openStateDatabase(':memory:');
    let importsMark = 'a';
    const feed = new ChangeFeed(db, 60_000); // looked at by hand below, never by its timer
    feed.watch('imports', () => importsMark);
    const imports = new ImportService({ db, readSheets: () => readSheetFills(db), vaultDir: join(dir, 'vault'), reportsDir: join(dir, 'reports'), logger: silentLogger() });
    const importPasses = vi.spyOn(imports, 'tick').mockResolvedValue({ imported: 0, newFailures: 0, reportRefreshed: false });
    const preaudit = new PreauditService({ db, vaultDir: join(dir, 'vault'), logger: silentLogger() });
    const preauditPasses = vi.spyOn(preaudit, 'runOnce').mockResolvedValue({ ok: true, value: {} as never });
    let growth = 0;
    const watch = new CatalogGrowthWatch(feed, () => growth++);
    imports.start(feed);
    preaudit.start(feed);
    watch.start();
    stops.push(() => imports.stop(), () => preaudit.stop(), () => watch.stop(), () => db.close(), () => rmSync(dir, { recursive: true, force: true }));
    const counts = () => ({ imports: importPasses.mock.calls.length, preaudit: preauditPasses.mock.calls.length, growth });
    return { db, feed, counts, setImports: (m: string) => (importsMark = m) };
  }

  it('runs nothing when nothing changed: only the passes at start, however often it looks', async () => {
    const { feed, counts } = wire();
    await settle();
    expect(counts()).toEqual({ imports: 1, preaudit: 1, growth: 0 });
    for (let i = 0; i < 5; i++) expect(feed.check()).toBe(false);
    await settle();
    expect(counts()).toEqual({ imports: 1, preaudit: 1, growth: 0 });
  });

  it('one captured file wakes each consumer once', async () => {
    const { db, feed, counts } = wire();
    await settle();
    capture(db);
    expect(feed.check()).toBe(true);
    expect(feed.check()).toBe(false);
    await settle();
    expect(counts()).toEqual({ imports: 2, preaudit: 2, growth: 1 });
    expect(feed.current().maxId).toBeGreaterThan(0);
  });

  it('a file that disappears wakes the importer and the pre-audit, not the growth trigger; new imports wake only the pre-audit', async () => {
    const { db, feed, counts, setImports } = wire();
    const id = capture(db);
    feed.check();
    await settle();
    const before = counts();
    db.prepare(`UPDATE file_versions SET status = 'deleted', superseded_at = '2026-11-03T21:00:00Z' WHERE id = ?`).run(id);
    expect(feed.check()).toBe(true);
    await settle();
    expect(counts()).toEqual({ imports: before.imports + 1, preaudit: before.preaudit + 1, growth: before.growth });
    setImports('b');
    expect(feed.check()).toBe(true);
    await settle();
    expect(counts()).toEqual({ imports: before.imports + 1, preaudit: before.preaudit + 2, growth: before.growth });
  });

  it('a pre-audit pass that failed is tried again after a minute with nothing changed (no clerk can restart it); a pass that ends well is not', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const db = openStateDatabase(':memory:');
      const dir = mkdtempSync(join(tmpdir(), 'ballotsafe-feed-'));
      const feed = new ChangeFeed(db, 60_000);
      const preaudit = new PreauditService({ db, vaultDir: join(dir, 'vault'), logger: silentLogger() });
      let fail = true;
      const passes = vi.spyOn(preaudit, 'runOnce').mockImplementation(() => (fail ? Promise.reject(new Error('worker died')) : Promise.resolve({ ok: true, value: {} as never })));
      stops.push(() => preaudit.stop(), () => db.close(), () => rmSync(dir, { recursive: true, force: true }));
      preaudit.start(feed);
      await vi.advanceTimersByTimeAsync(10);
      expect(passes).toHaveBeenCalledTimes(1);
      expect(preaudit.status().state).toBe('failed');
      await vi.advanceTimersByTimeAsync(30_000);
      expect(passes).toHaveBeenCalledTimes(1);
      fail = false;
      await vi.advanceTimersByTimeAsync(31_000);
      expect(passes).toHaveBeenCalledTimes(2);
      await vi.advanceTimersByTimeAsync(600_000);
      expect(passes).toHaveBeenCalledTimes(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a change seen while a pass runs runs it once more afterwards (not lost, not once per wake)', async () => {
    let release: () => void = () => undefined;
    let runs = 0;
    const runner = coalescingRun(async () => {
      runs++;
      await new Promise<void>((resolve) => (release = resolve));
    });
    runner.wake();
    runner.wake();
    runner.wake();
    expect(runs).toBe(1);
    release();
    await settle();
    expect(runs).toBe(2);
    release();
    await runner.idle();
    expect(runs).toBe(2);
  });
});
