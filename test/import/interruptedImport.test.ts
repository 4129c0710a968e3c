import { spawn } from 'node:child_process';
import { createWriteStream, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStateDatabase } from '../../daemon/runtime/stateDatabase.ts';
import { importerCommands } from '../../daemon/cli/commands/importer.ts';
import { repoRoot, tempDir } from '../../daemon/importer/testSupport.ts';

/**
 * Issue #18: a `kill -9` mid-import left rows "loading" until the next `check`. A real child
 * process imports a large export and is killed with SIGKILL while rows stream in; the next
 * `ballotsafe import` cleans up at its start, and the file imports in full afterwards.
 */
async function writeExport(path: string, sessions: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('{"Version":"5.17.17.1","ElectionId":"Kill test","Sessions":[');
  for (let i = 0; i < sessions; i++) {
    const s = { TabulatorId: 1 + (i % 20), BatchId: 1 + Math.floor(i / 20 / 500), RecordId: 1 + (Math.floor(i / 20) % 500), Original: { IsCurrent: true, Contests: [{ Id: 1, Marks: [{ CandidateId: 1 + (i % 3), IsVote: true }] }] } };
    if (!out.write(`${i > 0 ? ',' : ''}${JSON.stringify(s)}`)) await once(out, 'drain');
  }
  out.end(']}');
  await once(out, 'finish');
}

describe('an import killed mid-way', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('is cleaned up when the next import starts, and the file then imports whole', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const data = join(dir, 'var');
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `dataDir: ${data}\nlog: { level: silent }\nroots: []\n`);
    const exportFile = join(dir, 'export', 'CvrExport.json');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'export'));
    const sessions = 300_000;
    await writeExport(exportFile, sessions);

    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'bin', 'ballotsafe.js'), 'import', exportFile, '--config', config], { cwd: repoRoot, stdio: 'ignore' });
    const dbPath = join(data, 'ballotsafe.db');
    // Kill -9 once rows are streaming in (a source is 'loading' and has records on disk).
    let killed = false;
    for (let i = 0; i < 600 && !killed; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        const db = openStateDatabase(dbPath);
        try {
          const n = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM cvr_records r JOIN import_sources s ON s.id = r.source_id WHERE s.state = 'loading'`).get()?.n ?? 0;
          if (n > 0) {
            child.kill('SIGKILL');
            killed = true;
          }
        } finally {
          db.close();
        }
      } catch {
        // the database is not created yet
      }
    }
    expect(killed).toBe(true);
    await once(child, 'exit');

    const before = openStateDatabase(dbPath);
    expect(before.prepare<[], { n: number }>(`SELECT count(*) AS n FROM import_sources WHERE state = 'loading'`).get()?.n).toBe(1);
    before.close();

    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const other = join(dir, 'notes.txt');
    writeFileSync(other, 'not election data\n');
    const command = importerCommands.find((c) => c.name === 'import');
    await command?.run([other, '--config', config]);

    const after = openStateDatabase(dbPath);
    try {
      expect(after.prepare<[], { n: number }>(`SELECT count(*) AS n FROM import_sources WHERE state = 'loading'`).get()?.n).toBe(0);
      expect(after.prepare<[], { n: number }>(`SELECT count(*) AS n FROM cvr_records`).get()?.n).toBe(0);
      const failed = after.prepare<[], { error_json: string }>(`SELECT error_json FROM import_sources WHERE state = 'failed'`).get();
      expect(failed?.error_json).toMatch(/import-interrupted/);
    } finally {
      after.close();
    }
    expect(await command?.run([exportFile, '--config', config])).toBe(0);
    const done = openStateDatabase(dbPath);
    try {
      expect(done.prepare<[], { n: number }>(`SELECT count(*) AS n FROM cvr_records r JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'`).get()?.n).toBe(sessions);
    } finally {
      done.close();
    }
  });
});
