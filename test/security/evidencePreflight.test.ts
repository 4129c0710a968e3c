import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { completeMarkerName } from '../../daemon/snapshot/bagFormat.ts';
import { loadOrCreateApplianceKey } from '../../daemon/snapshot/minisign.ts';
import { verifyPath } from '../../daemon/snapshot/verify.ts';
import { AlertLog } from '../../daemon/core/state/alerts.ts';
import { folderDrives, makeAppliance, type Appliance } from '../snapshot/fixture.ts';
import { bagDirs, electionDirOf, forgeElection, treeDigest } from './verifyForge.ts';

/**
 * Issue #14 item 3: before a snapshot writes anything, every earlier bag on each drive is checked
 * against the database. A drive that differs is not written to, not called verified, raises a
 * critical alert; the other drive still gets the snapshot.
 */
describe('a snapshot never writes over evidence', () => {
  let app: Appliance;
  let a: string;
  let b: string;
  beforeEach(async () => {
    app = makeAppliance();
    a = join(app.dir, 'drive-a');
    b = join(app.dir, 'drive-b');
    app.addFile('cvr-exports', 'CvrExport_0.json', '{"Version":"5.17","Votes":3}', 'cvr');
    app.addFile('central-scan', 'T1/B1/img1.tif', Buffer.alloc(20_000, 1));
    mkdirSync(a);
    mkdirSync(b);
    assertOk(await app.engine({ readBackFromMedia: false }).run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) }));
    app.addFile('central-scan', 'T1/B2/img2.tif', Buffer.alloc(10_000, 2));
  });
  afterEach(() => app?.close());

  const image1 = (drive: string) => join(bagDirs(electionDirOf(drive))[0] ?? '', 'data', 'central-scan', 'T1', 'B1', 'img1.tif');

  async function snapshotRefusingB(): Promise<void> {
    const before = treeDigest(b);
    const out = assertOk(await app.engine({ readBackFromMedia: false }).run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) }));
    // A got the new snapshot and verifies; B was not touched at all.
    expect(out.perDrive.find((d) => d.role === 'A')?.state).toBe('complete');
    const onB = out.perDrive.find((d) => d.role === 'B');
    expect(onB?.state).toBe('failed');
    expect(onB?.error?.code).toBe('drive-evidence-mismatch');
    expect(onB?.error?.message).toContain('Drive B does not match what was written to it: keep it as evidence and enroll a replacement');
    expect(treeDigest(b)).toEqual(before);
    expect(bagDirs(electionDirOf(a))).toHaveLength(2);
    expect((await verifyPath(a)).ok).toBe(true);
    const alerts = new AlertLog(app.db, silentLogger()).open();
    const critical = alerts.filter((x) => x.code === 'drive-evidence-mismatch');
    expect(critical).toHaveLength(1);
    expect(critical[0]).toMatchObject({ severity: 'critical' });
    expect(critical[0]?.message).toContain('Drive B does not match what was written to it: keep it as evidence and enroll a replacement');
    // Only one alert for the drive (not a second, generic one).
    expect(alerts.filter((x) => x.code === 'snapshot-drive-failed')).toEqual([]);
  }

  it('one flipped byte in bag 1 on drive B: B is refused and untouched, A gets the snapshot', async () => {
    const img = image1(b);
    const bytes = readFileSync(img);
    bytes[100] = (bytes[100] ?? 0) ^ 0x01;
    writeFileSync(img, bytes);
    await snapshotRefusingB();
  });

  it('drive B forged with the appliance key (consistent manifests, valid signatures, other content) is refused, not caught up over', async () => {
    writeFileSync(image1(b), Buffer.alloc(20_000, 9));
    forgeElection(electionDirOf(b), loadOrCreateApplianceKey(dataPaths(app.config).keys), { replacePublicKey: false });
    // Consistent by itself: only the database knows what was really written.
    expect((await verifyPath(b)).ok).toBe(true);
    await snapshotRefusingB();
  });

  it("a bag written completely to drive B that lost its completion marker is not re-copied over", async () => {
    writeFileSync(image1(b), Buffer.alloc(20_000, 9));
    unlinkSync(join(bagDirs(electionDirOf(b))[0] ?? '', completeMarkerName));
    await snapshotRefusingB();
  });

  it('a completion marker replaced by a FIFO on drive B: the snapshot does not hang, B is refused', { timeout: 30_000 }, async () => {
    const marker = join(bagDirs(electionDirOf(b))[0] ?? '', completeMarkerName);
    unlinkSync(marker);
    execFileSync('mkfifo', [marker]);
    const out = assertOk(await app.engine({ readBackFromMedia: false }).run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) }));
    expect(out.perDrive.map((d) => d.state)).toEqual(['complete', 'failed']);
    expect(out.perDrive[1]?.error?.message).toContain('is a FIFO');
  });

  it('an untouched pair: both drives checked and written (no alert)', async () => {
    const out = assertOk(await app.engine({ readBackFromMedia: false }).run({ reason: 'operator', actor: 't', drives: folderDrives(a, b) }));
    expect(out.perDrive.map((d) => d.state)).toEqual(['complete', 'complete']);
    expect(new AlertLog(app.db, silentLogger()).open()).toEqual([]);
  });
});
