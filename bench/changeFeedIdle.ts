import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
/**
 * Issue #17, one change feed: what the daemon does every interval (5 s) when nothing changed. Before, three
 * timers each looked (the growth watch's max(id), the importer's whole pass, the pre-audit's whole pass);
 * now one feed look, and no pass. Run: npx tsx bench/changeFeedIdle.ts [images] (default 20000).
 */
import { ChangeFeed } from '../daemon/capture/changeFeed.ts';
import { CatalogStore } from '../daemon/capture/catalogStore.ts';
import { silentLogger } from '../daemon/core/log/logger.ts';
import { ImportService } from '../daemon/importer/service.ts';
import { activeImportsSignature } from '../daemon/importer/store.ts';
import { PreauditService } from '../daemon/preaudit/service.ts';
import { openStateDatabase } from '../daemon/runtime/stateDatabase.ts';
import { readSheetFills } from '../daemon/preaudit/viewStore.ts';

const n = Number(process.argv[2] ?? 20000);
const dir = mkdtempSync(join(tmpdir(), 'feedidle-'));
const db = openStateDatabase(join(dir, 'db.sqlite'));
const ins = db.prepare(`INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
  VALUES ('scans', ?, ?, 1, '0', '0', ?, ?, 'ballot-image', '2026-11-03T20:00:00Z', '2026-11-03T20:00:00Z')`);
db.transaction(() => {
  for (let i = 0; i < n; i++) ins.run(`T1/B${Math.floor(i / 100)}/img${i}.tif`, Buffer.from(`img${i}`), String(i), i.toString(16).padStart(64, '0'));
})();
const time = async (label: string, runs: number, f: () => unknown) => {
  await f();
  const t0 = performance.now();
  for (let i = 0; i < runs; i++) await f();
  console.log(`${label}: ${((performance.now() - t0) / runs).toFixed(2)} ms`);
};
const feed = new ChangeFeed(db, 5000);
feed.watch('imports', () => activeImportsSignature(db));
await time(`now: one feed look (idle, ${n} images)`, 50, () => feed.check());
const cat = new CatalogStore(db);
await time('before: growth watch look (maxVersionId)', 50, () => cat.maxVersionId());
const imports = new ImportService({ db, readSheets: () => readSheetFills(db), vaultDir: join(dir, 'vault'), reportsDir: join(dir, 'reports'), logger: silentLogger() });
await time('before: importer timer pass (idle)', 5, () => imports.tick());
const pre = new PreauditService({ db, vaultDir: join(dir, 'vault'), logger: silentLogger() });
await time('before: pre-audit timer pass (idle, no contests)', 5, () => pre.runOnce());
db.close();
rmSync(dir, { recursive: true, force: true });
