/**
 * #14 item 6: one part of the daemon that does not finish stopping (a long import pass, a sheet
 * still being read) held stop() forever, so the process never exited and the database was never
 * closed. Now the parts get a bound; the stop is recorded and the database closed regardless.
 * A real daemon in process, with one part's stop made to hang.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../daemon/core/config.ts';
import { openStateDatabase } from '../../daemon/runtime/stateDatabase.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { startDaemon } from '../../daemon/runtime/daemonRuntime.ts';

const base = mkdtempSync(join(tmpdir(), 'runtime-stop-bound-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('stop() with a part that never finishes stopping', () => {
  it('returns within the bound, records the stop and closes the database', async () => {
    mkdirSync(join(base, 'export'));
    mkdirSync(join(base, 'drive-a'));
    mkdirSync(join(base, 'drive-b'));
    const parsed = parseConfig({ dataDir: 'data', roots: [{ label: 'central-scan', path: 'export' }], drives: { mode: 'folders', a: 'drive-a', b: 'drive-b' }, web: { port: 0 }, log: { level: 'silent' } }, base);
    if (!parsed.ok) throw new Error(parsed.error.message);
    const started = await startDaemon({ config: parsed.value, logger: silentLogger() });
    if (!started.ok) throw new Error(started.error.message);
    const running = started.value;
    // As an import pass that goes on for minutes would (its timer is still stopped, so nothing
    // runs against the closed database after the test).
    const realStop = running.imports.stop.bind(running.imports);
    running.imports.stop = () => {
      void realStop();
      return new Promise<void>(() => undefined);
    };
    const t0 = Date.now();
    const outcome = await Promise.race([running.stop().then(() => 'stopped' as const), new Promise<'hung'>((r) => setTimeout(() => r('hung'), 12_000))]);
    expect(outcome).toBe('stopped');
    expect(Date.now() - t0).toBeLessThan(9_000);
    expect(running.db.open).toBe(false);
    const db = openStateDatabase(join(base, 'data', 'ballotsafe.db'));
    try {
      const last = db.prepare(`SELECT action FROM audit_log ORDER BY id DESC LIMIT 1`).get() as { action: string } | undefined;
      expect(last?.action).toBe('daemon.stopped');
    } finally {
      db.close();
    }
  }, 60_000);
});
