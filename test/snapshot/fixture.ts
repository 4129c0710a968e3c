import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { vaultObjectPath } from '../../daemon/capture/vaultLayout.ts';
import { dataPaths, parseConfig, type Config } from '../../daemon/core/config.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import type { DriveTarget } from '../../daemon/snapshot/api.ts';
import { SnapshotEngine, type SnapshotEngineOptions } from '../../daemon/snapshot/engine.ts';

/** A throwaway appliance: data dir, database with catalog rows, vault objects. */
export interface Appliance {
  readonly dir: string;
  readonly config: Config;
  readonly db: Db;
  addFile(rootLabel: string, relPath: string, content: string | Buffer, kind?: string): number;
  engine(options?: Partial<SnapshotEngineOptions>): SnapshotEngine;
  close(): void;
}

export function folderDrives(a: string, b: string): DriveTarget[] {
  return [
    { role: 'A', root: a },
    { role: 'B', root: b },
  ];
}

export function makeAppliance(base?: string, dataDir?: string): Appliance {
  const dir = base ?? mkdtempSync(join(tmpdir(), 'bs-snap-'));
  const config = assertOk(parseConfig({ dataDir: dataDir ?? join(dir, 'data'), election: { name: 'test-election', title: 'Test County' } }, dir));
  const db = openStateDatabase(dataPaths(config).database);
  const vault = dataPaths(config).vault;
  let clock = 0;
  return {
    dir,
    config,
    db,
    addFile(rootLabel, relPath, content, kind = 'ballot-image') {
      const buf = typeof content === 'string' ? Buffer.from(content) : content;
      const sha = createHash('sha256').update(buf).digest('hex');
      const obj = vaultObjectPath(vault, sha);
      mkdirSync(join(obj, '..'), { recursive: true });
      writeFileSync(obj, buf);
      const at = new Date(Date.UTC(2026, 10, 3, 20, 0, clock++)).toISOString();
      // One 'current' row per path (capture's rule): the older version becomes 'changed'.
      db.prepare("UPDATE file_versions SET status = 'changed', superseded_at = ? WHERE root_label = ? AND rel_path = ? AND status = 'current'").run(at, rootLabel, relPath);
      const info = db
        .prepare(
          `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
           VALUES (?, ?, ?, ?, '1762200000000000000', '1762200000000000000', '1', ?, ?, ?, ?)`,
        )
        .run(rootLabel, relPath, Buffer.from(relPath), buf.length, sha, kind, at, at);
      return Number(info.lastInsertRowid);
    },
    engine(options = {}) {
      return new SnapshotEngine({ db, config, logger: silentLogger(), ...options });
    },
    close() {
      db.close();
      if (base === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
