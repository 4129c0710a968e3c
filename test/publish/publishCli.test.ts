import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { runPublish } from '../../daemon/cli/commands/publish.ts';
import { inProcessSigner, type Signer } from '../../daemon/snapshot/signerChoice.ts';
import { loadOrCreateApplianceKey } from '../../daemon/snapshot/minisign.ts';
import { makeAppliance, type Appliance } from '../snapshot/fixture.ts';
import { changedName, payloadOnDrive, twoSnapshots } from '../restore/driveFixture.ts';

/** Checked with the real tools an auditor has: minisign and coreutils' sha256sum. */

function run(cmd: string, args: string[], cwd: string, input?: string): { status: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', ...(input === undefined ? {} : { input }) });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The statement's own check line: the hashes of the other bundle files, through sha256sum -c. */
function checkBundleHashes(bundle: string): { status: number | null; out: string } {
  const lines = readFileSync(join(bundle, 'statement.txt'), 'utf8')
    .split('\n')
    .filter((l) => /^[0-9a-f]{64} {2}/.test(l));
  return run('sha256sum', ['-c', '--strict'], bundle, `${lines.join('\n')}\n`);
}

describe('ballotsafe publish', () => {
  let work: string;
  let app: Appliance;
  let signer: Signer;
  let driveA: string;
  let tree1: string;
  let tree2: string;
  let n = 0;
  const fresh = (name: string) => join(work, `${name}-${n++}`);

  async function publish(...args: string[]): Promise<{ code: number; out: string }> {
    let out = '';
    const code = await runPublish([...args, '--time-zone', 'America/Chicago'], { out: (t) => (out += t), err: () => undefined }, { signer, config: app.config });
    return { code, out };
  }

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'bs-publish-'));
    app = makeAppliance(join(work, 'appliance'));
    signer = inProcessSigner(loadOrCreateApplianceKey(dataPaths(app.config).keys));
    driveA = join(work, 'driveA');
    const driveB = join(work, 'driveB');
    mkdirSync(driveA);
    mkdirSync(driveB);
    ({ tree1, tree2 } = await twoSnapshots(app, work, driveA, driveB));
  }, 60_000);
  afterAll(() => {
    app.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('makes a bundle that minisign -V and sha256sum -c accept, against the export and the drive', async () => {
    const out = fresh('bundle');
    const r = await publish(driveA, out);
    expect(r.out).toMatch(/Published snapshot 2 of "test-election"/);
    expect(r.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['ballotsafe-appliance.pub', 'drive-manifest-sha256.txt', 'manifest-sha256.txt', 'statement.txt', 'statement.txt.minisig', 'verify.html']);
    const pub = readFileSync(join(out, 'ballotsafe-appliance.pub'), 'utf8').split('\n')[1] ?? '';
    expect(run('minisign', ['-V', '-P', pub, '-m', 'statement.txt'], out)).toMatchObject({ status: 0 });
    expect(run('minisign', ['-V', '-P', pub, '-m', 'statement.txt'], out).out).toContain('Trusted comment: ballotsafe publication election:test-election snapshot:2 root:');
    expect(checkBundleHashes(out)).toMatchObject({ status: 0 });
    // The export as it stood at snapshot 2 (odd names, a non-UTF-8 name, a backslash) and the drive.
    expect(run('sha256sum', ['-c', '--strict', '--quiet', join(out, 'manifest-sha256.txt')], tree2)).toEqual({ status: 0, out: '' });
    expect(run('sha256sum', ['-c', '--strict', '--quiet', join(out, 'drive-manifest-sha256.txt')], join(driveA, 'ballotsafe', 'test-election'))).toEqual({ status: 0, out: '' });
    const statement = readFileSync(join(out, 'statement.txt'), 'utf8');
    expect(statement).toMatch(/^Snapshot: 2$/m);
    expect(statement).toMatch(/^Taken \(local time\): .* \(America\/Chicago\)$/m);
    expect(statement).toMatch(/^Previous root hash: [0-9a-f]{64}$/m);
    expect(statement).toMatch(/^ {2}central-scan {2}ballot-image +\d+ +\d+$/m);
  });

  it('fails the same checks on a changed statement, a changed file or the wrong snapshot', async () => {
    const out = fresh('bundle');
    expect((await publish(driveA, out)).code).toBe(0);
    const pub = readFileSync(join(out, 'ballotsafe-appliance.pub'), 'utf8').split('\n')[1] ?? '';
    const forged = fresh('forged');
    cpSync(out, forged, { recursive: true });
    writeFileSync(join(forged, 'statement.txt'), readFileSync(join(out, 'statement.txt'), 'utf8').replace('Snapshot: 2', 'Snapshot: 3'));
    expect(run('minisign', ['-V', '-P', pub, '-m', 'statement.txt'], forged).status).not.toBe(0);
    writeFileSync(join(forged, 'manifest-sha256.txt'), `${readFileSync(join(out, 'manifest-sha256.txt'), 'utf8')}${'0'.repeat(64)}  planted.tif\n`);
    expect(checkBundleHashes(forged).out).toContain('manifest-sha256.txt: FAILED');
    // A changed export file is named by sha256sum.
    const changed = fresh('tree');
    // cp -a: names are bytes (one is not UTF-8), which Node's cpSync cannot copy.
    spawnSync('cp', ['-a', tree2, changed]);
    writeFileSync(join(changed, changedName), 'changed');
    const c = run('sha256sum', ['-c', '--quiet', join(out, 'manifest-sha256.txt')], changed);
    expect(c.status).toBe(1);
    expect(c.out).toContain(`${changedName}: FAILED`);
    // Snapshot 1's publication matches the export as it stood then, not as it stands now.
    const first = fresh('bundle1');
    expect((await publish(driveA, first, '--snapshot', '1')).code).toBe(0);
    expect(run('sha256sum', ['-c', '--strict', '--quiet', join(first, 'manifest-sha256.txt')], tree1)).toEqual({ status: 0, out: '' });
    expect(run('sha256sum', ['-c', '--quiet', join(first, 'manifest-sha256.txt')], tree2).status).toBe(1);
  });

  it('refuses a drive with a flipped byte, naming the file, and writes nothing', async () => {
    const damaged = fresh('damaged');
    cpSync(driveA, damaged, { recursive: true });
    const target = payloadOnDrive(damaged, 2, changedName);
    const bytes = readFileSync(target);
    bytes[50] = (bytes[50] ?? 0) ^ 1;
    writeFileSync(target, bytes);
    const out = fresh('bundle');
    const r = await publish(damaged, out);
    expect(r.code).toBe(1);
    expect(r.out).toContain('failed verification, so nothing was published');
    expect(r.out).toContain(changedName);
    expect(() => readdirSync(out)).toThrow();
  });

  it("gives the same bundle, byte for byte, from the appliance's own records", async () => {
    const fromDrive = fresh('drive');
    const fromVault = fresh('vault');
    expect((await publish(driveA, fromDrive)).code).toBe(0);
    expect((await publish('vault', fromVault)).code).toBe(0);
    for (const name of readdirSync(fromDrive)) expect(readFileSync(join(fromVault, name)).equals(readFileSync(join(fromDrive, name)))).toBe(true);
  });

  it('never writes into a folder that is not empty', async () => {
    const out = fresh('full');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const r = await publish(driveA, out);
    expect(r.code).toBe(1);
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });
});
