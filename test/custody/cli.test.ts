/**
 * `ballotsafe status` shows the drives and the last snapshot like the overview; `ballotsafe handoff`
 * goes through the same guards as the web button. Real CLI processes over the rig's database.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeCustodyRig, type CustodyRig } from './rig.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
let rig: CustodyRig;
let configFile: string;

beforeEach(async () => {
  rig = await makeCustodyRig();
  configFile = join(rig.dir, 'config.yaml');
  writeFileSync(
    configFile,
    `election:\n  name: custody-test\n  title: Custody Test County\ndataDir: ${rig.config.dataDir}\nroots:\n  - label: central-scan\n    path: ${join(rig.dir, 'export')}\ndrives:\n  mode: folders\n  a: ${join(rig.dir, 'drive-a')}\n  b: ${join(rig.dir, 'drive-b')}\n`,
  );
});

afterEach(() => {
  rig.cleanup();
});

const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'daemon/cli.ts'), ...args, '--config', configFile], { cwd: repoRoot, encoding: 'utf8' });

describe('ballotsafe status', () => {
  it('shows the custody verdict, each drive and the last snapshot', async () => {
    rig.capture(2);
    const fresh = run('status');
    expect(fresh.status, fresh.stderr).toBe(0);
    expect(fresh.stdout).toContain('Drives and snapshots: NOT PROTECTED');
    expect(fresh.stdout).toContain('Drive A: NOT SET UP');
    expect(fresh.stdout).toContain('Last snapshot: none yet');
    await rig.enroll();
    await rig.snapshot();
    rig.unplug('B');
    const text = run('status');
    expect(text.stdout).toContain('Drive B is not plugged in.');
    expect(text.stdout).toMatch(/Drive A: verified, holds every captured file; last verified snapshot #1/);
    expect(text.stdout).toMatch(/Last snapshot: #1 \(complete\), 2 files/);
  });
});

describe('ballotsafe handoff', () => {
  it('refuses a drive that is not plugged in, hands off once, and refuses the same snapshot again', async () => {
    await rig.enroll();
    rig.capture(2);
    await rig.snapshot();
    rig.unplug('B');
    const absent = run('handoff', '1', '--to-a', "Clerk's office safe", '--to-b', "Sheriff's evidence room", '--witness', 'Sam Witness', '--operator', 'olivia');
    expect(absent.status).toBe(1);
    expect(absent.stderr).toContain('Drive B is not plugged in');
    expect(rig.custodyCount()).toBe(0);
    rig.plugIn('B');
    const done = run('handoff', '1', '--to-a', "Clerk's office safe", '--to-b', "Sheriff's evidence room", '--witness', 'Sam Witness', '--operator', 'olivia');
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toContain('Snapshot #1 handed off: custody record 1.');
    const again = run('handoff', '1', '--to-a', 'x', '--to-b', 'y', '--operator', 'olivia');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already handed off');
    expect(rig.custodyCount()).toBe(1);
  });
});
