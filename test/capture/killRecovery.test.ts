import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { openStateDatabase } from '../../daemon/runtime/stateDatabase.ts';
import { assertVaultMatchesCatalog, makeConfig, removeDir, repoRoot, rows, seeded, sha256, sleep, tempDir } from './helpers.ts';

const base = tempDir('kill');
afterAll(() => removeDir(base));

const FILES = 1200;

function countRows(dbPath: string): number {
  if (!existsSync(dbPath)) return 0;
  try {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare("SELECT count(*) AS n FROM file_versions").get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // not migrated yet
  }
}

describe('kill -9 while capturing', () => {
  it('never leaves a catalog row whose vault object is missing or wrong, and a restart completes the catalog', async () => {
    const rng = seeded(20261103);
    const root = join(base, 'export/central-scan');
    for (let t = 0; t < 6; t++) {
      const dir = join(root, `Tabulator0000${t}/Batch001`);
      mkdirSync(dir, { recursive: true });
      for (let i = 0; i < FILES / 6; i++) writeFileSync(join(dir, `${String(i).padStart(5, '0')}.tif`), randomBytes(2048 + Math.floor(rng() * 12_000)));
    }
    const config = makeConfig(base, { roots: [{ label: 'central-scan', path: root }], capture: { settleMs: 0 } });
    const configFile = join(base, 'config.json');
    writeFileSync(configFile, JSON.stringify({ dataDir: config.dataDir, roots: [{ label: 'central-scan', path: root }], capture: { settleMs: 0 } }));
    const dbPath = dataPaths(config).database;
    const vault = dataPaths(config).vault;

    const run = () => spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'daemon/cli.ts'), 'scan', '--config', configFile, '--wait-seconds', '0'], { cwd: repoRoot, stdio: 'ignore', env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'silent' } });

    const killedAt: number[] = [];
    const tmpCount = () => {
      try {
        return readdirSync(join(vault, 'tmp')).length;
      } catch {
        return 0;
      }
    };
    for (let round = 0; round < 4; round++) {
      const before = countRows(dbPath);
      const child = run();
      let exited = false;
      child.on('exit', () => (exited = true));
      if (round % 2 === 0) {
        // Kill while copies sit in the vault's tmp folder, before their batch is committed.
        const want = 1 + Math.floor(rng() * 300);
        while (!exited && tmpCount() < want) await sleep(2);
      } else {
        // Kill a seeded moment after a batch of rows was committed: inside the next copies, fsyncs or renames.
        while (!exited && countRows(dbPath) <= before) await sleep(5);
        await sleep(Math.floor(rng() * 80)); // capture commits 512 small files in well under 100 ms
      }
      if (!exited) child.kill('SIGKILL');
      await new Promise<void>((resolve) => (exited ? resolve() : child.on('exit', () => resolve())));
      const after = countRows(dbPath);
      killedAt.push(after);
      // The promise a row makes holds after every kill: its object exists and re-hashes to its name.
      const db = openStateDatabase(dbPath);
      try {
        expect(assertVaultMatchesCatalog(db, vault)).toBe(after);
        const paths = rows(db).map((r) => r.rel_path);
        expect(new Set(paths).size).toBe(paths.length);
      } finally {
        db.close();
      }
    }
    process.stderr.write(`kill-9 rounds stopped at ${killedAt.join(", ")} of ${FILES} rows\n`);
    expect(killedAt.some((n) => n > 0 && n < FILES)).toBe(true);

    // A clean run finishes the job.
    const final = run();
    const code = await new Promise<number | null>((resolve) => final.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    const db = openStateDatabase(dbPath);
    try {
      const all = rows(db);
      expect(all).toHaveLength(FILES);
      expect(all.every((r) => r.status === 'current')).toBe(true);
      expect(assertVaultMatchesCatalog(db, vault)).toBe(FILES);
      for (const r of all) expect(r.sha256).toBe(sha256(readFileSync(join(root, r.rel_path))));
      expect(db.prepare("SELECT count(*) AS n FROM alerts WHERE severity = 'critical'").get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
    expect(readdirSync(join(vault, 'tmp'))).toEqual([]);
  });
});
