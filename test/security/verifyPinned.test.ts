import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, parseConfig } from '../../daemon/core/config.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { DriveService } from '../../daemon/drives/service.ts';
import { verifyDriveWithEngine } from '../../daemon/drives/wiring.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { cumulativeIndexName, cumulativeManifestName } from '../../daemon/snapshot/bagFormat.ts';
import { SnapshotEngine } from '../../daemon/snapshot/engine.ts';
import { keyIdHex, parsePublicKeyFile, publicKeyFileName } from '../../daemon/snapshot/minisign.ts';
import { verifyPath } from '../../daemon/snapshot/verify.ts';
import { AlertLog } from '../../daemon/core/state/alerts.ts';
import { makeAppliance, type Appliance } from '../snapshot/fixture.ts';
import { bagDirs, copyDrive, electionDirOf, forgeElection, newForgerKey, runVerifyCli } from './verifyForge.ts';

/**
 * Issue #14 item 2: verify and the return-from-safe check must not trust the public key a drive
 * carries, and must notice a chain cut back to an earlier snapshot.
 */
describe('pinned verification: a re-signed or rolled-back drive fails', () => {
  let app: Appliance;
  let db: Db;
  let svc: DriveService;
  let applianceKeyFile: string;
  let rootHashes: string[];
  const drive = (role: 'A' | 'B') => join(app.dir, `drive-${role.toLowerCase()}`);

  beforeAll(async () => {
    app = makeAppliance();
    // Folder drives enrolled with the drive service, written by the real engine (two snapshots).
    const config = assertOk(parseConfig({ dataDir: join(app.dir, 'data'), election: { name: 'test-election', title: 'Test County' }, drives: { mode: 'folders', a: 'drive-a', b: 'drive-b' } }, app.dir));
    db = app.db;
    svc = new DriveService({ config, db, logger: silentLogger(), verify: verifyDriveWithEngine });
    assertOk(await svc.enroll({ target: 'A', role: 'A', operator: 'maria' }));
    assertOk(await svc.enroll({ target: 'B', role: 'B', operator: 'maria' }));
    const engine = new SnapshotEngine({ db, config, logger: silentLogger(), readBackFromMedia: false });
    app.addFile('cvr-exports', 'CvrExport_0.json', '{"Version":"5.17","Sessions":[{"TabulatorId":1,"Votes":3}]}', 'cvr');
    app.addFile('central-scan', 'T1/B1/img1.tif', Buffer.alloc(5000, 1));
    const first = assertOk(await engine.run({ reason: 'operator', actor: 'maria', drives: assertOk(await svc.prepareTargets()) }));
    app.addFile('central-scan', 'T1/B2/img2.tif', Buffer.alloc(7000, 2));
    const second = assertOk(await engine.run({ reason: 'end-of-day', actor: 'maria', drives: assertOk(await svc.prepareTargets()) }));
    rootHashes = [first.rootHash, second.rootHash];
    applianceKeyFile = join(dataPaths(config).keys, publicKeyFileName);
  });
  afterAll(() => app?.close());

  const applianceKey = () => {
    const k = parsePublicKeyFile(readFileSync(applianceKeyFile, 'utf8'));
    if (k === undefined) throw new Error('no appliance key');
    return k;
  };

  /** Change a CVR, rebuild every manifest, re-sign with a new key, replace the .pub. */
  function forgedCopy(to: string): { path: string; forgerKeyId: string } {
    const path = copyDrive(drive('A'), to);
    const bag1 = bagDirs(electionDirOf(path))[0] ?? '';
    writeFileSync(join(bag1, 'data', 'cvr-exports', 'CvrExport_0.json'), '{"Version":"5.17","Sessions":[{"TabulatorId":1,"Votes":4}]}');
    const forger = newForgerKey();
    forgeElection(electionDirOf(path), forger, { replacePublicKey: true });
    return { path, forgerKeyId: keyIdHex(forger.keyId) };
  }

  it('a drive re-signed with another key is self-consistent, but fails --key with the published key; the key id is printed first', async () => {
    const { path, forgerKeyId } = forgedCopy(join(app.dir, 'forged'));
    // Well made: checked only against itself it passes (this is why pinning is needed).
    expect((await verifyPath(path)).ok).toBe(true);

    const pinned = await verifyPath(path, { pins: { key: applianceKey() } });
    expect(pinned.ok).toBe(false);
    expect(pinned.problems.some((p) => p.kind === 'SIGNATURE')).toBe(true);

    const byFile = runVerifyCli([path, '--key', applianceKeyFile]);
    expect(byFile.status, byFile.stdout + byFile.stderr).toBe(1);
    expect(byFile.stdout.split('\n')[0]).toMatch(new RegExp(`^key id +${forgerKeyId}\\b`));
    expect(byFile.stdout).toContain(`not the expected key ${keyIdHex(applianceKey().keyId)}`);
    expect(byFile.stdout).toMatch(/^FAIL /m);
    // The published key line ("RW...") works the same as the file.
    const line = readFileSync(applianceKeyFile, 'utf8').split('\n')[1] ?? '';
    expect(runVerifyCli([path, '--key', line]).status).toBe(1);

    // The genuine drive passes with the same pin and names its key first.
    const genuine = runVerifyCli([drive('A'), '--key', applianceKeyFile, '--expect', rootHashes[1] ?? '']);
    expect(genuine.status, genuine.stdout + genuine.stderr).toBe(0);
    expect(genuine.stdout.split('\n')[0]).toMatch(new RegExp(`^key id +${keyIdHex(applianceKey().keyId)}\\b`));
    rmSync(path, { recursive: true, force: true });
  });

  it('a drive with the newest snapshot and its lines in the cumulative files removed fails --expect <newest root hash>', async () => {
    const path = copyDrive(drive('B'), join(app.dir, 'rolled-back'));
    const election = electionDirOf(path);
    const newest = bagDirs(election).at(-1) ?? '';
    const newestName = newest.split('/').at(-1) ?? '';
    rmSync(newest, { recursive: true });
    for (const f of [cumulativeIndexName, cumulativeManifestName]) {
      const kept = readFileSync(join(election, f), 'utf8').split('\n').filter((l) => !l.includes(newestName)).join('\n');
      writeFileSync(join(election, f), kept);
    }
    const r = await verifyPath(path, { pins: { key: applianceKey(), expectRootHashes: [rootHashes[1] ?? ''] } });
    expect(r.ok).toBe(false);
    expect(r.problems.find((p) => p.kind === 'CHAIN')?.detail).toContain(rootHashes[1]);
    const cli = runVerifyCli([path, '--key', applianceKeyFile, '--expect', rootHashes[1] ?? '']);
    expect(cli.status, cli.stdout + cli.stderr).toBe(1);
    expect(cli.stdout).toContain(`the expected root hash ${rootHashes[1]} is not in this drive's signed snapshots`);
    // The edited cumulative files no longer match their signatures either.
    expect((await verifyPath(path)).ok).toBe(false);
    rmSync(path, { recursive: true, force: true });
  });

  it("the daemon's return check pins the appliance key and the root hashes it wrote: forged or rolled-back drives raise a critical alert", async () => {
    const good = assertOk(await svc.verifyReturned('A'));
    expect(good.ok, good.summary).toBe(true);

    // Drive A forged in place (new key, new .pub).
    const backup = copyDrive(drive('A'), join(app.dir, 'a-backup'));
    const bag1 = bagDirs(electionDirOf(drive('A')))[0] ?? '';
    writeFileSync(join(bag1, 'data', 'cvr-exports', 'CvrExport_0.json'), '{"forged":true}');
    forgeElection(electionDirOf(drive('A')), newForgerKey(), { replacePublicKey: true });
    const forged = assertOk(await svc.verifyReturned('A'));
    expect(forged.ok).toBe(false);
    const alerts = new AlertLog(db, silentLogger()).open().filter((a) => a.code === 'drive-return-verify-failed');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'critical' });
    expect(alerts[0]?.action).toMatch(/evidence/i);

    // Drive B rolled back to its first snapshot: still signed by the appliance key, but short.
    const election = electionDirOf(drive('B'));
    const newest = bagDirs(election).at(-1) ?? '';
    const name = newest.split('/').at(-1) ?? '';
    rmSync(newest, { recursive: true });
    for (const f of [cumulativeIndexName, cumulativeManifestName]) writeFileSync(join(election, f), readFileSync(join(election, f), 'utf8').split('\n').filter((l) => !l.includes(name)).join('\n'));
    const rolled = assertOk(await svc.verifyReturned('B'));
    expect(rolled.ok).toBe(false);
    expect(rolled.problems.join('\n')).toContain(rootHashes[1]);
    rmSync(drive('A'), { recursive: true });
    copyDrive(backup, drive('A'));
  });
});
