/**
 * Issue #15: a snapshot with no new files has an empty manifest-sha256.txt, on which coreutils'
 * `sha256sum -c` fails. The drive README's own check and the auditor guide's script, run exactly
 * as written with the real sha256sum and minisign, must pass such a drive (and still fail a
 * tampered one); `ballotsafe verify` too.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { driveReadmeName } from '../../daemon/snapshot/bagFormat.ts';
import { publicKeyFileName } from '../../daemon/snapshot/minisign.ts';
import { verifyPath } from '../../daemon/snapshot/verify.ts';
import { folderDrives, makeAppliance, type Appliance } from '../snapshot/fixture.ts';
import { bagDirs, copyDrive, electionDirOf, repoRoot } from '../security/verifyForge.ts';

/** The README's command block: the indented lines from "cd ballotsafe/..." to the root-hash line. */
function readmeCommands(readme: string): string {
  const lines = readme.split('\n');
  const start = lines.findIndex((l) => l.startsWith('  cd ballotsafe/'));
  const end = lines.findIndex((l, i) => i > start && l.startsWith('  sha256sum snapshots/'));
  return lines.slice(start, end + 1).map((l) => l.slice(2)).join('\n');
}

const guide = /```sh\n([\s\S]*?)```/.exec(readFileSync(join(repoRoot, 'docs', 'auditor-guide.md'), 'utf8'))?.[1] ?? '';

describe('a snapshot with no new files', () => {
  let app: Appliance;
  let drive: string;
  let roots: string[];
  let pub: string;
  beforeAll(async () => {
    app = makeAppliance();
    drive = join(app.dir, 'drive-a');
    mkdirSync(drive);
    mkdirSync(join(app.dir, 'drive-b'));
    const engine = app.engine({ readBackFromMedia: false });
    app.addFile('central-scan', 'T1/B1/img1.tif', Buffer.alloc(3000, 1));
    const first = assertOk(await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(drive, join(app.dir, 'drive-b')) }));
    const empty = assertOk(await engine.run({ reason: 'end-of-day', actor: 't', drives: folderDrives(drive, join(app.dir, 'drive-b')) }));
    roots = [first.rootHash, empty.rootHash];
    pub = readFileSync(join(dataPaths(app.config).keys, publicKeyFileName), 'utf8').split('\n')[1] ?? '';
  });
  afterAll(() => app?.close());

  const runReadme = (root: string) => {
    const script = readmeCommands(readFileSync(join(root, 'ballotsafe', driveReadmeName), 'utf8'));
    expect(script).toContain('sha256sum -c --quiet manifest-sha256.txt');
    const r = spawnSync('bash', ['-c', script], { cwd: root, encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`;
  };

  it('has an empty payload manifest (the case this is about)', () => {
    const newest = bagDirs(electionDirOf(drive)).at(-1) ?? '';
    expect(statSync(join(newest, 'manifest-sha256.txt')).size).toBe(0);
  });

  it("passes the drive README's own check, as written, with real coreutils and minisign", () => {
    const out = runReadme(drive);
    expect(out).not.toContain('FAILED');
    expect(out).toContain('Signature and comment signature verified');
  });

  it("passes the auditor guide's script and ballotsafe verify", async () => {
    const scriptPath = join(app.dir, 'check-drive.sh');
    writeFileSync(scriptPath, guide);
    const r = spawnSync('timeout', ['20', 'bash', scriptPath, electionDirOf(drive)], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PUB: pub, ROOT: roots[1] ?? '' } });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('DRIVE OK');
    expect((await verifyPath(drive)).problems).toEqual([]);
  });

  it('the README check still fails a drive whose files were changed', () => {
    const copy = copyDrive(drive, join(app.dir, 'tampered'));
    const bag = bagDirs(electionDirOf(copy))[0] ?? '';
    writeFileSync(join(bag, 'data', 'central-scan', 'T1', 'B1', 'img1.tif'), 'forged');
    expect(runReadme(copy)).toMatch(/FAILED: snapshots\/000001/);
  });
});
