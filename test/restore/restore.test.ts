import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRestore } from '../../daemon/cli/commands/restore.ts';
import { makeAppliance, type Appliance } from '../snapshot/fixture.ts';
import { TestMounts } from '../snapshot/mounts.ts';
import { changedName, payloadOnDrive, twoSnapshots } from './driveFixture.ts';

const isRoot = process.getuid?.() === 0;

async function restore(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runRestore(args, { out: (t) => (out += t), err: (t) => (err += t) });
  return { code, out, err };
}

/** The real diff binary; status 0 and no output when the trees are identical. */
function diffR(a: string, b: string): { status: number | null; out: string } {
  const r = spawnSync('diff', ['-r', a, b], { encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function flipByte(path: string, at = 100): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] = (b[0] ?? 0) ^ 0x01;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

describe.skipIf(!isRoot)('ballotsafe restore', () => {
  let mounts: TestMounts;
  let app: Appliance;
  let work: string;
  let exfatA: string;
  let folderB: string;
  let tree1: string;
  let tree2: string;
  let n = 0;
  const fresh = (name: string) => join(work, `${name}-${n++}`);

  beforeAll(async () => {
    mounts = new TestMounts();
    work = mkdtempSync(join(tmpdir(), 'bs-restore-'));
    app = makeAppliance(join(work, 'appliance'));
    exfatA = mounts.exfat(64).mountPoint;
    folderB = join(work, 'driveB');
    mkdirSync(folderB);
    ({ tree1, tree2 } = await twoSnapshots(app, work, exfatA, folderB));
  }, 60_000);
  afterAll(() => {
    app.close();
    mounts.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('rebuilds the export tree as it stood at each snapshot from an exFAT drive (diff -r finds no difference)', async () => {
    const latest = fresh('latest');
    const r = await restore(exfatA, latest);
    expect(r.out).toContain('RESTORED all');
    expect(r.out).toContain('found on the drive — compare with the published key id');
    expect(r.code).toBe(0);
    expect(diffR(tree2, latest)).toEqual({ status: 0, out: '' });
    const first = fresh('first');
    const r1 = await restore(exfatA, first, '--snapshot', '1');
    expect(r1.code).toBe(0);
    expect(diffR(tree1, first)).toEqual({ status: 0, out: '' });
    // The two points in time really differ, so the comparison above can tell them apart.
    expect(diffR(tree1, latest).status).toBe(1);
    // Original modification times come back (the fixture records 1762200000 s).
    expect(statSync(join(latest, changedName)).mtimeMs).toBe(1762200000_000);
    expect(readdirSync(latest).sort()).toEqual(['central-scan', 'results']);
  });

  it('refuses a damaged file from a single drive, naming it, and never leaves it under its name', async () => {
    const damaged = fresh('damagedA');
    cpSync(folderB, damaged, { recursive: true });
    flipByte(payloadOnDrive(damaged, 2, changedName));
    const dest = fresh('dest');
    const r = await restore(damaged, dest);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`NOT RESTORED: ${changedName}`);
    expect(r.out).toContain('SHA-256 differs from the signed manifest');
    expect(r.out).toContain('--also');
    expect(existsSync(join(dest, changedName))).toBe(false);
    expect(existsSync(join(dest, '.ballotsafe-restore-partial'))).toBe(false);
    // Everything else is there and correct.
    const d = diffR(tree2, dest);
    expect(d.out.trim()).toBe(`Only in ${join(tree2, 'central-scan/Tabulator1/Batch001')}: Image0001.tif`);
  });

  it('with two drives takes a damaged file from the good drive and says so', async () => {
    const damaged = fresh('damagedA');
    cpSync(folderB, damaged, { recursive: true });
    flipByte(payloadOnDrive(damaged, 2, changedName));
    const dest = fresh('dest');
    const r = await restore(damaged, dest, '--also', exfatA);
    expect(r.out).toContain(`from drive B: ${changedName} (drive A: its SHA-256 differs from the signed manifest`);
    expect(r.out).toMatch(/RESTORED all \d+ files .*\(\d+ from drive A, 1 from drive B\)/);
    expect(r.code).toBe(0);
    expect(diffR(tree2, dest)).toEqual({ status: 0, out: '' });
  });

  it('never reads a link or FIFO planted in place of a file, and takes that file from the other drive', async () => {
    const planted = fresh('plantedA');
    cpSync(folderB, planted, { recursive: true });
    const target = payloadOnDrive(planted, 2, changedName);
    rmSync(target);
    symlinkSync('/etc/passwd', target);
    const fifo = payloadOnDrive(planted, 1, 'central-scan/Tabulator1/Batch001/Image0002.tif');
    rmSync(fifo);
    execFileSync('mkfifo', [fifo]);
    const alone = await restore(planted, fresh('dest'));
    expect(alone.code).toBe(1);
    expect(alone.out).toContain(`NOT RESTORED: ${changedName}`);
    expect(alone.out).toContain('a symbolic link');
    expect(alone.out).toContain('NOT RESTORED: central-scan/Tabulator1/Batch001/Image0002.tif');
    expect(alone.out).toContain('a FIFO');
    const dest = fresh('dest');
    const both = await restore(planted, dest, '--also', exfatA);
    expect(both.code).toBe(0);
    expect(both.out).toContain(`from drive B: ${changedName}`);
    expect(diffR(tree2, dest)).toEqual({ status: 0, out: '' });
  });

  it('refuses a drive whose signature fails, naming the file, and restores from the other drive', async () => {
    const forged = fresh('forgedA');
    cpSync(folderB, forged, { recursive: true });
    const tagManifest = join(payloadOnDrive(forged, 2, ''), '..', 'tagmanifest-sha256.txt');
    writeFileSync(tagManifest, readFileSync(tagManifest, 'utf8').replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0')));
    const alone = await restore(forged, fresh('dest'));
    expect(alone.code).toBe(1);
    expect(alone.out).toMatch(/Drive A .* REFUSED/);
    expect(alone.out).toMatch(/SIGNATURE +ballotsafe\/test-election\/snapshots\/000002-\d{8}T\d{6}Z\/tagmanifest-sha256.txt.minisig/);
    const dest = fresh('dest');
    const both = await restore(forged, dest, '--also', exfatA);
    expect(both.code).toBe(0);
    expect(both.out).toContain('from drive B');
    expect(diffR(tree2, dest)).toEqual({ status: 0, out: '' });
  });

  it('refuses a drive signed by another key than the one given with --key', async () => {
    const other = fresh('otherkey');
    mkdirSync(other);
    execFileSync('minisign', ['-G', '-W', '-p', join(other, 'k.pub'), '-s', join(other, 'k.key')], { stdio: 'ignore' });
    const r = await restore(exfatA, fresh('dest'), '--key', join(other, 'k.pub'));
    expect(r.code).toBe(1);
    expect(r.out).toContain('REFUSED');
    expect(r.out).toContain('is not the expected key');
    const good = await restore(exfatA, fresh('dest'), '--key', join(exfatA, 'ballotsafe', 'test-election', 'ballotsafe-appliance.pub'));
    expect(good.code).toBe(0);
    expect(good.out).toContain('checked against the key you gave');
  });

  it('never writes into a folder that is not empty', async () => {
    const dest = fresh('dest');
    mkdirSync(join(dest, 'central-scan', 'Tabulator1', 'Batch001'), { recursive: true });
    writeFileSync(join(dest, changedName), 'mine');
    const r = await restore(exfatA, dest);
    expect(r.code).toBe(1);
    expect(r.err).toContain('is not empty');
    expect(readFileSync(join(dest, changedName), 'utf8')).toBe('mine');
    expect(readdirSync(dest)).toEqual(['central-scan']);
    expect(readdirSync(join(dest, 'central-scan'))).toEqual(['Tabulator1']);
  });

  it('is a ballotsafe command: usage errors exit 2', async () => {
    const r = spawnSync('node', ['bin/ballotsafe.js', 'restore', exfatA], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Usage: ballotsafe restore');
    const bad = await restore(exfatA, fresh('d'), '--snapshot', 'two');
    expect(bad.code).toBe(2);
    const missing = await restore(exfatA, fresh('d'), '--snapshot', '7');
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('Snapshot 7 is not on the drive; it holds snapshots 1, 2');
  });
});
