/**
 * Issue #15: one drive missing (unplugged folder, or a real exFAT drive whose FUSE process died)
 * still lets the other get the snapshot: the missing one drops out before writing, with a critical
 * alert saying what to do; the overview is not green, the card says what the drive lacks, the
 * hand-off stays refused. The CLI `snapshot` leaves out exactly the drives the UI leaves out.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { AlertLog } from '../../daemon/core/state/alerts.ts';
import { TestMounts } from '../snapshot/mounts.ts';
import { makeCustodyRig, type CustodyRig } from './rig.ts';

interface Overview {
  verdict: { ok: boolean; problems: { message: string; action: string }[] };
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const isRoot = process.getuid?.() === 0;
let rig: CustodyRig | undefined;
let mounts: TestMounts | undefined;

afterEach(() => {
  rig?.cleanup();
  rig = undefined;
  mounts?.cleanup();
  mounts = undefined;
});

const bagsOn = (folder: string) => {
  const dir = join(folder, 'ballotsafe', 'custody-test', 'snapshots');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};
const problems = async (r: CustodyRig) => ((await (await r.get('/api/overview')).json()) as Overview).verdict;
const openAlerts = (r: CustodyRig) => new AlertLog(r.db, silentLogger()).open();
const handOff = (r: CustodyRig, sequence: number) => r.post(`/api/snapshots/${sequence}/handoff`, { destinationA: "Clerk's office safe", destinationB: "Sheriff's evidence room", witness: 'Sam Witness' });

function cli(r: CustodyRig, ...args: string[]) {
  const configFile = join(r.dir, 'config.json');
  const d = r.config.drives;
  if (d.mode !== 'folders') throw new Error('folder drives expected');
  writeFileSync(configFile, JSON.stringify({ election: { name: 'custody-test', title: 'Custody Test County' }, dataDir: r.config.dataDir, roots: [{ label: 'central-scan', path: join(r.dir, 'export') }], drives: { mode: 'folders', a: d.a, b: d.b } }));
  return spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'daemon/cli.ts'), ...args, '--config', configFile], { cwd: repoRoot, encoding: 'utf8' });
}

/** Everything a clerk sees after a snapshot that drive B missed. */
async function expectBLeftOut(r: CustodyRig, sequence: number, lacks: number): Promise<void> {
  const d = r.config.drives;
  if (d.mode !== 'folders') throw new Error('folder drives expected');
  expect(bagsOn(d.a)).toHaveLength(sequence);
  const alert = openAlerts(r).find((a) => a.code === 'snapshot-drive-failed');
  expect(alert?.severity).toBe('critical');
  expect(alert?.message).toMatch(/^Drive B is not plugged in, so it gets nothing from this snapshot\. Drive A holds a complete, verified copy\.( \(This happened at \d snapshots in a row\.\))?$/);
  expect(alert?.action).toBe('Plug in the drive labelled B, then press End-of-day snapshot again: it brings drive B level.');
  const v = await problems(r);
  expect(v.ok).toBe(false);
  const text = v.problems.map((p) => p.message).join('\n');
  expect(text).toContain('Drive B is not plugged in.');
  expect(text).toContain(`(drive A lacks 0, drive B lacks ${lacks})`);
  const page = await (await r.get('/snapshot')).text();
  expect(page).not.toContain('data-testid="safe-to-remove"');
  expect(page).toMatch(/data-field="drive-B">Not connected/);
  expect(page).not.toContain('data-testid="handoff"');
  const refused = await handOff(r, sequence);
  expect(refused.status).toBe(409);
  expect(r.custodyCount()).toBe(0);
}

describe('drive B unplugged (folder drives)', () => {
  it('End-of-day writes drive A; drive B drops out before writing, with a critical alert; plugged back, catch-up brings it level', async () => {
    rig = await makeCustodyRig();
    await rig.enroll();
    rig.capture(3);
    expect((await rig.snapshot()).status).toBe(202);
    rig.unplug('B');
    rig.capture(2);
    // Said before the clerk confirms, not only afterwards.
    const confirm = await (await rig.get('/snapshot?confirm=1')).text();
    expect(confirm).toContain('Drive B is not plugged in, so it gets nothing from this snapshot.');
    expect(confirm).toContain('Only drive A gets this snapshot.');
    expect(confirm).not.toContain('to drive A and drive B');
    const res = await rig.snapshot();
    expect(res.status).toBe(202);
    expect(rig.deps.snapshot.current()).toMatchObject({ state: 'finished' });
    await expectBLeftOut(rig, 2, 2);
    expect(bagsOn(join(rig.dir, 'drive-b-unplugged'))).toHaveLength(1);

    rig.plugIn('B');
    expect((await rig.snapshot()).status).toBe(202);
    expect(bagsOn(join(rig.dir, 'drive-b'))).toEqual(bagsOn(join(rig.dir, 'drive-a')));
    expect((await problems(rig)).ok).toBe(true);
    expect(openAlerts(rig).filter((a) => a.code === 'snapshot-drive-failed')).toEqual([]);
    expect((await handOff(rig, 3)).status).toBe(200);
  });

  it('the CLI snapshot leaves out exactly the drive the UI leaves out, with the same words', async () => {
    rig = await makeCustodyRig();
    await rig.enroll();
    rig.capture(3);
    rig.unplug('B');
    const c = cli(rig, 'snapshot', '--reason', 'end-of-day');
    expect(c.status).toBe(1);
    expect(c.stdout).toContain('Drive A: complete, read back and verified');
    expect(c.stdout).toContain('Drive B: FAILED: Drive B is not plugged in, so it gets nothing from this snapshot.');
    expect(bagsOn(join(rig.dir, 'drive-a'))).toHaveLength(1);
    rig.capture(2);
    const ui = await (await rig.get('/snapshot?confirm=1')).text();
    expect(ui).toContain('Drive B is not plugged in, so it gets nothing from this snapshot.');
    expect((await rig.snapshot()).status).toBe(202);
    const outcome = rig.deps.snapshot.current();
    expect(outcome.outcome?.perDrive.map((d) => `${d.role}:${d.state}:${d.error?.code ?? ''}`)).toEqual(['A:complete:', 'B:failed:drive-missing']);
    await expectBLeftOut(rig, 2, 5);
  });

  it('a drive that is not the enrolled drive B gets nothing, in the CLI as in the UI; drive A gets the snapshot', async () => {
    rig = await makeCustodyRig();
    await rig.enroll();
    rig.capture(2);
    const idB = join(rig.dir, 'drive-b', 'ballotsafe', 'drive-identity.json');
    writeFileSync(idB, readFileSync(join(rig.dir, 'drive-a', 'ballotsafe', 'drive-identity.json')));
    const c = cli(rig, 'snapshot');
    expect(c.status).toBe(1);
    expect(c.stdout).toContain('Drive B: FAILED: The drive in place B is not the enrolled drive B, so nothing is written to it.');
    const ui = await (await rig.get('/snapshot?confirm=1')).text();
    expect(ui).toContain('The drive in place B is not the enrolled drive B, so nothing is written to it.');
    expect(bagsOn(join(rig.dir, 'drive-a'))).toHaveLength(1);
    expect(bagsOn(join(rig.dir, 'drive-b'))).toEqual([]);
    expect((await problems(rig)).ok).toBe(false);
  });
});

describe.skipIf(!isRoot)('drive B on a real exFAT drive whose FUSE process died (pulled)', () => {
  it('drops out before writing; drive A gets the snapshot and the screens say what B lacks', async () => {
    mounts = new TestMounts();
    const a = mounts.exfat(32);
    const b = mounts.exfat(32);
    rig = await makeCustodyRig({ driveFolders: { a: a.mountPoint, b: b.mountPoint } });
    await rig.enroll();
    rig.capture(3);
    expect((await rig.snapshot()).status).toBe(202);
    expect(bagsOn(b.mountPoint)).toHaveLength(1);
    mounts.pull(b);
    rig.capture(2);
    expect((await rig.snapshot()).status).toBe(202);
    await expectBLeftOut(rig, 2, 2);
    mounts.replug(b);
    expect(bagsOn(b.mountPoint)).toHaveLength(1);
  });
});
