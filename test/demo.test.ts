import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(repoRoot, 'bin', 'ballotsafe.js');
const base = mkdtempSync(join(tmpdir(), 'ballotsafe-demo-'));

afterAll(() => rmSync(base, { recursive: true, force: true }));

// The README's first command (`npm run demo`) is `ballotsafe demo`; --once makes it end after the snapshot.
describe('ballotsafe demo', () => {
  it('generates an election, captures it, snapshots both folder drives and serves the UI', () => {
    const dir = join(base, 'demo');
    const run = spawnSync(process.execPath, [cli, 'demo', '--dir', dir, '--ballots', '12', '--port', '0', '--once'], { cwd: base, encoding: 'utf8', timeout: 180_000 });
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/The ballotsafe UI is at http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/Log in as "demo" with password "[A-Za-z0-9_-]{8,}"/);
    expect(run.stdout).toMatch(/Snapshot 1 \(\d+ files\) written and verified on both drives/);

    for (const drive of ['drive-a', 'drive-b']) {
      const verify = spawnSync(process.execPath, [cli, 'verify', join(dir, drive)], { encoding: 'utf8' });
      expect(verify.status, verify.stdout + verify.stderr).toBe(0);
      const snapshots = join(dir, drive, 'ballotsafe', 'sample-election', 'snapshots');
      const bags = readdirSync(snapshots);
      expect(bags).toHaveLength(1);
      const sums = spawnSync('sha256sum', ['-c', '--quiet', 'manifest-sha256.txt'], { cwd: join(snapshots, bags[0] ?? ''), encoding: 'utf8' });
      expect(sums.status, sums.stdout + sums.stderr).toBe(0);
    }
  });

  it('refuses to delete a folder it did not make', () => {
    const dir = join(base, 'not-a-demo');
    spawnSync('mkdir', ['-p', join(dir, 'keep')]);
    const run = spawnSync(process.execPath, [cli, 'demo', '--dir', dir, '--port', '0', '--once'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('was not made by the demo');
    expect(readdirSync(dir)).toEqual(['keep']);
  });
});
