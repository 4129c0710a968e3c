/**
 * `ballotsafe status` shows the drives and the last snapshot like the overview; `ballotsafe handoff`
 * goes through the same guards as the web button. Real CLI processes over the rig's database.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
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
    // The witness is required here as on the web form: left out or blank, nothing is ejected or recorded.
    for (const witness of [[], ['--witness', '  ']]) {
      const unwitnessed = run('handoff', '1', '--to-a', "Clerk's office safe", '--to-b', "Sheriff's evidence room", ...witness, '--operator', 'olivia');
      expect(unwitnessed.status).toBe(1);
      expect(unwitnessed.stderr).toContain('A hand-off needs a witness');
      expect(unwitnessed.stderr).not.toMatch(/Usage|undefined|null/);
      expect(rig.custodyCount()).toBe(0);
    }
    const done = run('handoff', '1', '--to-a', "Clerk's office safe", '--to-b', "Sheriff's evidence room", '--witness', 'Sam Witness', '--operator', 'olivia', '--seal-a', 'EB-0417');
    expect(done.status, done.stderr).toBe(0);
    expect(done.stdout).toContain("Drive A, seal EB-0417 → Clerk's office safe");
    expect(done.stdout).toContain('Snapshot #1 handed off: custody record 1.');
    const again = run('handoff', '1', '--to-a', 'x', '--to-b', 'y', '--witness', 'Sam Witness', '--operator', 'olivia');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain('already handed off');
    expect(rig.custodyCount()).toBe(1);
  });
});

describe('ballotsafe snapshot', () => {
  const snapshots = () => (rig.db.prepare('SELECT count(*) AS n FROM snapshots').get() as { n: number }).n;
  const refusals = () => rig.db.prepare("SELECT details_json AS d FROM audit_log WHERE action = 'snapshot.refused'").all() as { d: string }[];

  it('refuses folder drives that were never enrolled, as the End-of-day button does', async () => {
    rig.capture(2);
    const cli = run('snapshot', '--reason', 'end-of-day');
    expect(cli.status).toBe(1);
    expect(cli.stderr).toContain('Drive A has never been set up on this appliance.');
    expect(snapshots()).toBe(0);
    const ui = (await (await rig.snapshot()).json()) as { error: { code: string; message: string } };
    expect(ui.error.message).toBe('Drive A has never been set up on this appliance.');
    expect(snapshots()).toBe(0);
    // One audit entry per refused action, whoever asked.
    expect(refusals().map((r) => JSON.parse(r.d) as { code: string })).toEqual([{ reason: 'end-of-day', code: 'drive-not-enrolled' }, { reason: 'end-of-day', code: 'drive-not-enrolled' }]);
  });

  it('refuses a drive whose identity is not the enrolled one, and writes to the right pair', async () => {
    await rig.enroll();
    rig.capture(2);
    const idB = join(rig.dir, 'drive-b', 'ballotsafe', 'drive-identity.json');
    const original = readFileSync(idB, 'utf8');
    // Drive A's identity file on drive B: a drive swapped in from another pair or forged.
    writeFileSync(idB, readFileSync(join(rig.dir, 'drive-a', 'ballotsafe', 'drive-identity.json')));
    // The wrong drive gets nothing (it drops out before writing); drive A still gets the snapshot.
    const cli = run('snapshot');
    expect(cli.status).toBe(1);
    expect(cli.stdout).toContain('Drive B: FAILED: The drive in place B is not the enrolled drive B, so nothing is written to it.');
    expect((await rig.snapshot()).status).toBe(202);
    expect(rig.deps.snapshot.current().outcome?.perDrive[1]?.error?.message).toBe('The drive in place B is not the enrolled drive B, so nothing is written to it.');
    expect(snapshots()).toBe(2);
    expect(readdirSync(join(rig.dir, 'drive-b', 'ballotsafe')).filter((n) => n !== 'drive-identity.json')).toEqual([]);
    writeFileSync(idB, original);
    const good = run('snapshot');
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toContain('Drive B: complete, read back and verified');
    expect(snapshots()).toBe(3);
  });
});
