import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStateDatabase } from '../../daemon/runtime/stateDatabase.ts';
import { removeDir, repoRoot, rows, sleep, tempDir } from './helpers.ts';

const base = tempDir('cli');
afterAll(() => removeDir(base));

const cli = (args: string[]) => [...['--import', 'tsx', join(repoRoot, 'daemon/cli.ts')], ...args];

describe('daemon and status commands', () => {
  it('the daemon captures a file dropped into a watched folder, status lists it, SIGTERM stops cleanly', async () => {
    const root = join(base, 'export/central-scan');
    mkdirSync(join(root, 'Tabulator00001'), { recursive: true });
    writeFileSync(join(root, 'Tabulator00001/before.tif'), 'exported before the daemon started');
    const configFile = join(base, 'config.yaml');
    writeFileSync(
      configFile,
      `dataDir: ${join(base, 'data')}\nroots:\n  - label: central-scan\n    path: ${root}\n  - label: pollbooks\n    path: ${join(base, 'export/missing-share')}\n    defaultKind: pollbook\ncapture:\n  settleMs: 200\nweb:\n  port: 0\n`,
    );
    const daemon = spawn(process.execPath, cli(['daemon', '--config', configFile]), { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'info' } });
    let out = '';
    daemon.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (!out.includes('"daemon.started"') && Date.now() < deadline) await sleep(50);
      writeFileSync(join(root, 'Tabulator00001/after.tif'), 'exported while the daemon ran');
      const dbPath = join(base, 'data/ballotsafe.db');
      let captured: string[] = [];
      while (Date.now() < deadline) {
        try {
          const db = openStateDatabase(dbPath);
          captured = rows(db).map((r) => r.rel_path);
          db.close();
        } catch {
          // not created yet
        }
        if (captured.length === 2) break;
        await sleep(100);
      }
      expect(captured.sort(), `daemon output:\n${out}`).toEqual(['Tabulator00001/after.tif', 'Tabulator00001/before.tif']);
      // Every log line is JSON with an event name.
      for (const line of out.trim().split('\n')) expect(JSON.parse(line)).toHaveProperty('event');

      const status = spawnSync(process.execPath, cli(['status', '--config', configFile, '--json']), { cwd: repoRoot, encoding: 'utf8' });
      expect(status.status, status.stderr).toBe(0);
      const parsed = JSON.parse(status.stdout) as { roots: { label: string; files: number; reachable: boolean }[]; openAlerts: { code: string }[]; lastCapture: { relPath: string } | null };
      expect(parsed.roots.map((r) => [r.label, r.files, r.reachable])).toEqual([
        ['central-scan', 2, true],
        ['pollbooks', 0, false],
      ]);
      expect(parsed.openAlerts.map((a) => a.code)).toEqual(['root-missing']);
      expect(parsed.lastCapture?.relPath).toMatch(/Tabulator00001\//);
      const text = spawnSync(process.execPath, cli(['status', '--config', configFile]), { cwd: repoRoot, encoding: 'utf8' });
      expect(text.stdout).toMatch(/central-scan\s+ok\s+2 files/);
      expect(text.stdout).toMatch(/pollbooks\s+MISSING/);
      expect(text.stdout).toMatch(/\[warning\] root-missing \(pollbooks\)/);
    } finally {
      daemon.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const db = openStateDatabase(join(base, 'data/ballotsafe.db'));
    const actions = db.prepare<[], { action: string }>('SELECT action FROM audit_log ORDER BY id').all().map((a) => a.action);
    db.close();
    // The daemon records its own start and stop around capture's (other services may add entries between).
    expect(actions.filter((a) => a.startsWith('capture.') || a.startsWith('daemon.'))).toEqual(['capture.started', 'daemon.started', 'capture.stopped', 'daemon.stopped']);
  });
});
