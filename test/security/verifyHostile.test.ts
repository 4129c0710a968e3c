import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { verifyDriveWithEngine } from '../../daemon/drives/wiring.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { loadOrCreateApplianceKey, signMinisign, type ApplianceKey } from '../../daemon/snapshot/minisign.ts';
import { folderDrives, makeAppliance, type Appliance } from '../snapshot/fixture.ts';
import { bagDirs, copyDrive, electionDirOf, forgeElection, runVerifyCli } from './verifyForge.ts';

/**
 * Issue #14 item 4: `ballotsafe verify` on a crafted drive must finish quickly with a clear FAIL
 * (exit 1), never hang (exit 124 under timeout) or read without end. Run through the real CLI.
 */
/** Enough ".." to reach / from any bag (as on a drive mounted at /media/usb). */
const devZero = `${'../'.repeat(16)}dev/zero`;
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

describe('verify on hostile media', () => {
  let app: Appliance;
  let good: string;
  let n = 0;
  beforeAll(async () => {
    app = makeAppliance();
    app.addFile('cvr-exports', 'CvrExport_0.json', '{"Version":"5.17"}', 'cvr');
    app.addFile('central-scan', 'T1/B1/img1.tif', Buffer.alloc(3000, 7));
    app.addFile('central-scan', 'T1/B1/img2.tif', Buffer.alloc(4000, 8));
    good = join(app.dir, 'drive-a');
    mkdirSync(good);
    mkdirSync(join(app.dir, 'drive-b'));
    assertOk(await app.engine({ readBackFromMedia: false }).run({ reason: 'operator', actor: 't', drives: folderDrives(good, join(app.dir, 'drive-b')) }));
  });
  afterAll(() => app?.close());

  /** A fresh copy of the good drive, its first bag and a data file in it. */
  function copy(): { drive: string; bag: string; image: string } {
    const drive = copyDrive(good, join(app.dir, `hostile-${n++}`));
    const bag = bagDirs(electionDirOf(drive))[0] ?? '';
    return { drive, bag, image: join(bag, 'data', 'central-scan', 'T1', 'B1', 'img1.tif') };
  }

  function expectQuickFail(drive: string, pattern: RegExp): string {
    const r = runVerifyCli([drive], 20);
    expect(r.status, `exit ${r.status} after ${r.ms} ms\n${r.stdout}${r.stderr}`).toBe(1);
    expect(r.ms).toBeLessThan(18_000);
    expect(r.stdout).toMatch(/^FAIL /m);
    expect(r.stdout).toMatch(pattern);
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at |ENOENT|EISDIR/); // no stack trace, no errno jargon
    rmSync(drive, { recursive: true, force: true });
    return r.stdout;
  }

  it('the good drive passes (the baseline for the cases below)', () => {
    const r = runVerifyCli([good]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
  });

  it('a FIFO in place of a data file: reported, not opened (used to hang)', () => {
    const { drive, image } = copy();
    unlinkSync(image);
    execFileSync('mkfifo', [image]);
    expectQuickFail(drive, /img1\.tif: is a FIFO \(named pipe\), not a file; not read/);
  });

  it("the daemon's plug-in check (same code) reports a FIFO instead of hanging", { timeout: 20_000 }, async () => {
    const { drive, image } = copy();
    unlinkSync(image);
    execFileSync('mkfifo', [image]);
    const r = assertOk(await verifyDriveWithEngine(drive));
    expect(r.ok).toBe(false);
    expect(r.problems.join('\n')).toContain('is a FIFO (named pipe), not a file; not read');
    rmSync(drive, { recursive: true, force: true });
  });

  it('a data file replaced by a symbolic link to /etc/passwd: reported, the target never read', () => {
    const { drive, image } = copy();
    unlinkSync(image);
    symlinkSync('/etc/passwd', image);
    expectQuickFail(drive, /img1\.tif: is a symbolic link, not a file; not read/);
  });

  it('a symbolic link to a FIFO outside the drive (would hang if followed)', () => {
    const { drive, image } = copy();
    const fifo = join(app.dir, `outside-fifo-${n}`);
    execFileSync('mkfifo', [fifo]);
    unlinkSync(image);
    symlinkSync(fifo, image);
    expectQuickFail(drive, /img1\.tif: is a symbolic link/);
  });

  it('a tag-manifest line naming ../../../../dev/zero: the signature fails first, nothing listed is read (used to read /dev/zero without end)', () => {
    const { drive, bag } = copy();
    appendFileSync(join(bag, 'tagmanifest-sha256.txt'), `${'0'.repeat(64)}  ${devZero}\n`);
    expectQuickFail(drive, /SIGNATURE .*tagmanifest-sha256\.txt\.minisig: signature does not match the file/);
  });

  it('the same line in a tag manifest signed with the real key (a stolen key): the path is refused, not read', () => {
    const { drive, bag } = copy();
    const key = loadOrCreateApplianceKey(dataPaths(app.config).keys);
    forgeElection(electionDirOf(drive), key, { replacePublicKey: false });
    // Re-sign after adding the line, as a key holder could.
    appendFileSync(join(bag, 'tagmanifest-sha256.txt'), `${'0'.repeat(64)}  ${devZero}\n`);
    const tm = readFileSync(join(bag, 'tagmanifest-sha256.txt'));
    writeFileSync(join(bag, 'tagmanifest-sha256.txt.minisig'), signFor(key, tm));
    expectQuickFail(drive, new RegExp(`names "${escaped(devZero)}", which is not a tag file of this bag; not read`));
  });

  it('a huge (sparse, 1.9 GiB) manifest: refused by size before it is read (used to be read into memory whole)', () => {
    const { drive, bag } = copy();
    truncateSync(join(bag, 'manifest-sha256.txt'), Math.floor(1.9 * 1024 ** 3));
    expectQuickFail(drive, /manifest-sha256\.txt: is \d+ bytes, more than/);
  });

  it('a manifest path climbing out of the bag (signed with the real key) is refused, not read (regression: this one was refused before too)', () => {
    const { drive, bag } = copy();
    const key = loadOrCreateApplianceKey(dataPaths(app.config).keys);
    appendFileSync(join(bag, 'manifest-sha256.txt'), `${'0'.repeat(64)}  data/../../../../../dev/zero\n`);
    // Keep the bag consistent under the stolen key (tag manifest and signature redone).
    const lines = readFileSync(join(bag, 'tagmanifest-sha256.txt'), 'utf8').split('\n');
    const manifestSha = execFileSync('sha256sum', ['manifest-sha256.txt'], { cwd: bag, encoding: 'utf8' }).slice(0, 64);
    writeFileSync(join(bag, 'tagmanifest-sha256.txt'), lines.map((l) => (l.endsWith('  manifest-sha256.txt') ? `${manifestSha}  manifest-sha256.txt` : l)).join('\n'));
    writeFileSync(join(bag, 'tagmanifest-sha256.txt.minisig'), signFor(key, readFileSync(join(bag, 'tagmanifest-sha256.txt'))));
    expectQuickFail(drive, /path outside data\/: "data\/\.\.\/\.\.\/\.\.\/\.\.\/\.\.\/dev\/zero"; not read/);
  });
});

function signFor(key: ApplianceKey, content: Buffer): string {
  return signMinisign(key, content, 'forged with a stolen key');
}
