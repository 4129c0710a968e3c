import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../core/config.ts';
import { openStateDatabase, type Db } from '../runtime/stateDatabase.ts';
import { silentLogger } from '../core/log/logger.ts';
import { assertOk, err, ok, operatorError, type Result } from '../core/result.ts';
import type { SnapshotService } from '../snapshot/api.ts';
import type { DriveHelper, HelperReply } from './helperClient.ts';
import { DriveService } from './service.ts';
import { runnerOver, tempDir } from './testSupport.ts';
import type { DriveCandidate, DriveRole } from './types.ts';
import { startDriveAutomation, verifyDriveWithEngine } from './wiring.ts';

const idle: SnapshotService = { isBusy: () => false, run: async () => err(operatorError('x', 'not used')) };

describe('verifyDriveWithEngine', () => {
  it('reports a drive with no snapshots as failed, naming what is missing', async () => {
    const dir = tempDir('bs-wv-');
    try {
      const r = assertOk(await verifyDriveWithEngine(dir.path));
      expect(r.ok).toBe(false);
      expect(r.problems[0]).toMatch(/^MISSING .*no ballotsafe snapshots/);
    } finally {
      dir.remove();
    }
  });
});

describe('startDriveAutomation', () => {
  let dir: ReturnType<typeof tempDir>;
  let db: Db;
  beforeEach(() => {
    dir = tempDir('bs-auto-');
    db = openStateDatabase(':memory:');
  });
  afterEach(() => {
    db.close();
    dir.remove();
  });

  it('refuses to start with a bad schedule (config built without the load-time check)', async () => {
    const config = assertOk(parseConfig({}, dir.path));
    const bad: Config = { ...config, snapshot: { schedules: ['99 * * * *'], settledAfterMinutes: null } };
    const svc = new DriveService({ config: bad, db, logger: silentLogger() });
    const r = await startDriveAutomation({ service: svc, ...runnerOver(idle, async () => ok([])), config: bad, logger: silentLogger() });
    expect(!r.ok && r.error.message).toContain('snapshot.schedules.0');
  });

  it('with USB drives, verifies enrolled drives plugged in after start, not the ones already there', async () => {
    const config = assertOk(parseConfig({ drives: { mode: 'usb' } }, dir.path));
    const present: DriveCandidate[] = [];
    const mounts: string[] = [];
    // Mounting = pointing the role folder at a per-drive folder that holds its identity file.
    const helper: DriveHelper = {
      mount: async (device: string, role: DriveRole) => {
        mounts.push(`${device} ${role}`);
        return ok<HelperReply>({ mountpoint: join(dir.path, 'drv', device.replace(/\W/g, '_')) });
      },
      unmount: async () => ok<HelperReply>({}),
      eject: async () => ok<HelperReply>({}),
      formatExfat: async () => ok<HelperReply>({}),
    };
    const verified: string[] = [];
    const svc = new DriveService({
      config,
      db,
      logger: silentLogger(),
      helper,
      discover: async () => ok([...present]),
      mountBase: join(dir.path, 'media'),
      verify: async (root): Promise<Result<{ ok: boolean; filesChecked: number; problems: string[] }>> => {
        verified.push(root);
        return ok({ ok: true, filesChecked: 1, problems: [] });
      },
    });
    const stick = (n: number): DriveCandidate => ({ device: `/dev/sd${'bc'[n]}1`, disk: `/dev/sd${'bc'[n]}`, serial: `S${n}`, uuid: `U${n}`, fstype: 'exfat', label: null, sizeBytes: 1, vendor: null, model: null, mountpoint: null });
    for (const n of [0, 1]) {
      const root = join(dir.path, 'drv', stick(n).device.replace(/\W/g, '_'));
      mkdirSync(root, { recursive: true });
      present.push(stick(n));
      assertOk(await svc.enroll({ target: stick(n).device, role: n === 0 ? 'A' : 'B', operator: 'maria' }));
    }
    // Drive B goes to the safe before the daemon starts; drive A stays in.
    present.splice(1, 1);
    mounts.length = 0;
    const auto = assertOk(await startDriveAutomation({ service: svc, ...runnerOver(idle, async () => ok([])), config, logger: silentLogger(), discover: async () => ok([...present]), pollMs: 50 }));
    try {
      await new Promise((r) => setTimeout(r, 200));
      expect(verified).toEqual([]);
      // B comes back from the safe.
      present.push(stick(1));
      const until = Date.now() + 5000;
      while (verified.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(verified).toEqual([join(dir.path, 'drv', '_dev_sdc1')]);
      expect(mounts).toEqual(['/dev/sdc1 B']);
      expect(svc.store.returns().map((r) => r.ok)).toEqual([true]);
    } finally {
      auto.stop();
    }
  });
});
