import { spawnSync } from 'node:child_process';
import { closeSync, cpSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { exportZipsFromDrive } from '../../daemon/restore/zipsFromDrive.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { exportZips } from '../../daemon/snapshot/exportZips.ts';
import { makeAppliance, type Appliance } from '../snapshot/fixture.ts';
import { changedName, payloadOnDrive, twoSnapshots } from './driveFixture.ts';

function flipByte(path: string, at = 100): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] = (b[0] ?? 0) ^ 0x01;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

describe('export-zips --from <drive>', () => {
  let app: Appliance;
  let work: string;
  let driveA: string;
  const maxBytes = 300 * 1024;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'bs-zips-'));
    app = makeAppliance(join(work, 'appliance'));
    driveA = join(work, 'driveA');
    const driveB = join(work, 'driveB');
    mkdirSync(driveA);
    mkdirSync(driveB);
    await twoSnapshots(app, work, driveA, driveB);
  }, 60_000);
  afterAll(() => {
    app.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('makes the same ZIPs and manifest from a drive as from the vault, byte for byte', async () => {
    const fromVault = join(work, 'vault-zips');
    const fromDrive = join(work, 'drive-zips');
    const v = assertOk(await exportZips({ db: app.db, vaultDir: dataPaths(app.config).vault, electionName: 'test-election', dest: fromVault, maxBytes, logger: silentLogger() }));
    const d = assertOk(await exportZipsFromDrive({ drive: driveA, pins: {}, dest: fromDrive, maxBytes, logger: silentLogger() }));
    expect(v.zips.length).toBeGreaterThan(1);
    expect(d.zips).toEqual(v.zips);
    expect(d.snapshot).toBe(2);
    const names = readdirSync(fromVault).sort();
    expect(readdirSync(fromDrive).sort()).toEqual(names);
    for (const n of names) expect(readFileSync(join(fromDrive, n)).equals(readFileSync(join(fromVault, n))), n).toBe(true);
    // The manifest checks with the real sha256sum, and the ZIPs hold the changed file's newest version.
    expect(spawnSync('sha256sum', ['-c', '--quiet', 'test-election-manifest-sha256.txt'], { cwd: fromDrive }).status).toBe(0);
    const listing = spawnSync('unzip', ['-Z1', join(fromDrive, 'test-election-001.zip')], { encoding: 'utf8' });
    if (listing.status === 0) expect(listing.stdout).toContain(changedName);
  });

  it('refuses a drive with a damaged file, naming it, and leaves no ZIP', async () => {
    const damaged = join(work, 'damaged');
    cpSync(driveA, damaged, { recursive: true });
    flipByte(payloadOnDrive(damaged, 2, changedName));
    const dest = join(work, 'damaged-zips');
    const r = await exportZipsFromDrive({ drive: damaged, pins: {}, dest, maxBytes, logger: silentLogger() });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toContain(`${changedName} on the drive`);
    expect(r.error.message).toContain('does not match the signed manifest');
    expect(readdirSync(dest)).toEqual([]);
  });
});
