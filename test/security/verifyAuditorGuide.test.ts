import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../daemon/core/config.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { cumulativeIndexName, cumulativeManifestName } from '../../daemon/snapshot/bagFormat.ts';
import { publicKeyFileName } from '../../daemon/snapshot/minisign.ts';
import { folderDrives, makeAppliance, type Appliance } from '../snapshot/fixture.ts';
import { bagDirs, copyDrive, electionDirOf, forgeElection, newForgerKey, repoRoot } from './verifyForge.ts';

/**
 * docs/auditor-guide.md's check script, run exactly as written with the real minisign and
 * sha256sum: it passes a genuine drive and fails forged, rolled-back and booby-trapped ones.
 */
const guide = readFileSync(join(repoRoot, 'docs', 'auditor-guide.md'), 'utf8');
const script = /```sh\n([\s\S]*?)```/.exec(guide)?.[1] ?? '';

describe('the auditor guide, with only coreutils and minisign', () => {
  let app: Appliance;
  let drive: string;
  let pub: string;
  const roots: string[] = [];
  let scriptPath: string;
  let n = 0;
  beforeAll(async () => {
    app = makeAppliance();
    drive = join(app.dir, 'drive-a');
    mkdirSync(drive);
    mkdirSync(join(app.dir, 'drive-b'));
    const engine = app.engine({ readBackFromMedia: false });
    app.addFile('cvr-exports', 'CvrExport_0.json', '{"Version":"5.17"}', 'cvr');
    app.addFile('central-scan', 'T1/B1/img 1.tif', Buffer.alloc(3000, 1));
    roots.push(assertOk(await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(drive, join(app.dir, 'drive-b')) })).rootHash);
    app.addFile('central-scan', 'T1/B2/img2.tif', Buffer.alloc(4000, 2));
    roots.push(assertOk(await engine.run({ reason: 'operator', actor: 't', drives: folderDrives(drive, join(app.dir, 'drive-b')) })).rootHash);
    pub = readFileSync(join(dataPaths(app.config).keys, publicKeyFileName), 'utf8').split('\n')[1] ?? '';
    scriptPath = join(app.dir, 'check-drive.sh');
    writeFileSync(scriptPath, script);
  });
  afterAll(() => app?.close());

  function check(election: string, root: string): { status: number | null; out: string } {
    const r = spawnSync('timeout', ['20', 'bash', scriptPath, election], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PUB: pub, ROOT: root } });
    return { status: r.status, out: r.stdout + r.stderr };
  }
  const copy = () => copyDrive(drive, join(app.dir, `copy-${n++}`));

  it('the guide has the script, using only bash, coreutils, find, grep and minisign', () => {
    expect(script).toContain('minisign -Vq -P "$PUB"');
    expect(script).toContain('sha256sum -c');
  });

  it('passes the genuine drive for the newest and an older published root hash', () => {
    for (const root of roots) {
      const r = check(electionDirOf(drive), root);
      expect(r.status, r.out).toBe(0);
      expect(r.out).toContain(`DRIVE OK`);
    }
  });

  it('fails a drive re-signed with another key (its own .pub replaced)', () => {
    const d = copy();
    writeFileSync(join(bagDirs(electionDirOf(d))[0] ?? '', 'data', 'cvr-exports', 'CvrExport_0.json'), '{"forged":1}');
    forgeElection(electionDirOf(d), newForgerKey(), { replacePublicKey: true });
    const r = check(electionDirOf(d), roots[1] ?? '');
    expect(r.status, r.out).toBe(1);
    expect(r.out).toMatch(/is not signed by the published key/);
  });

  it('fails a drive cut back to its first snapshot', () => {
    const d = copy();
    const election = electionDirOf(d);
    const newest = bagDirs(election).at(-1) ?? '';
    const name = newest.split('/').at(-1) ?? '';
    rmSync(newest, { recursive: true });
    for (const f of [cumulativeIndexName, cumulativeManifestName]) writeFileSync(join(election, f), readFileSync(join(election, f), 'utf8').split('\n').filter((l) => !l.includes(name)).join('\n'));
    const r = check(election, roots[1] ?? '');
    expect(r.status, r.out).toBe(1);
    expect(r.out).toContain('is not on this drive');
  });

  it('fails a changed data file, and stops at a FIFO instead of hanging', () => {
    const d = copy();
    const img = join(bagDirs(electionDirOf(d))[1] ?? '', 'data', 'central-scan', 'T1', 'B2', 'img2.tif');
    writeFileSync(img, Buffer.alloc(4000, 3));
    const changed = check(electionDirOf(d), roots[1] ?? '');
    expect(changed.status, changed.out).toBe(1);
    expect(changed.out).toContain('a data file differs from the manifest');
    unlinkSync(img);
    execFileSync('mkfifo', [img]);
    const fifo = check(electionDirOf(d), roots[1] ?? '');
    expect(fifo.status, fifo.out).toBe(1);
    expect(fifo.out).toContain('not a regular file or folder');
  });
});
