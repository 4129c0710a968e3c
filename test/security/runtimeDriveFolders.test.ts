/**
 * #14 item 7: the same folder configured as drive A and drive B was accepted (config and
 * `ballotsafe enroll`), so one copy passed for two. Refused now, also through a symlink, a folder
 * inside the other, a link to a folder not made yet, and a bind mount (compared by device+inode).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../daemon/core/config.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const base = mkdtempSync(join(tmpdir(), 'runtime-drive-folders-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts) spawnSync('umount', [m]);
  rmSync(base, { recursive: true, force: true });
});

function drives(dir: string, a: string, b: string) {
  return parseConfig({ dataDir: 'data', roots: [{ label: 'central-scan', path: 'export' }], drives: { mode: 'folders', a, b } }, dir);
}

function folder(name: string): string {
  const dir = join(base, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('config: drives A and B must be two separate folders', () => {
  it('refuses the same path twice, written differently', () => {
    const dir = folder('same');
    const r = drives(dir, 'drive-a', './x/../drive-a');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('config-drives-overlap');
    expect(r.error.message).toContain('are the same folder');
    expect(r.error.action).toMatch(/two separate folders/);
  });

  it('refuses B as a symlink to A', () => {
    const dir = folder('link');
    mkdirSync(join(dir, 'drive-a'));
    symlinkSync(join(dir, 'drive-a'), join(dir, 'drive-b'));
    const r = drives(dir, 'drive-a', 'drive-b');
    expect(r.ok ? 'accepted' : r.error.message).toContain('are the same folder');
  });

  it('refuses B as a symlink to a folder A will be (not made yet)', () => {
    const dir = folder('dangling');
    symlinkSync(join(dir, 'drive-a'), join(dir, 'drive-b'));
    const r = drives(dir, 'drive-a', 'drive-b');
    expect(r.ok ? 'accepted' : r.error.message).toContain('are the same folder');
  });

  it('refuses one drive folder inside the other, also through a symlinked parent', () => {
    const dir = folder('inside');
    mkdirSync(join(dir, 'usb', 'b'), { recursive: true });
    const direct = drives(dir, 'usb', 'usb/b');
    expect(direct.ok ? 'accepted' : direct.error.message).toMatch(/Drive B .* is inside drive A/);
    symlinkSync(join(dir, 'usb'), join(dir, 'alias'));
    const viaLink = drives(dir, 'alias/b', 'usb');
    expect(viaLink.ok ? 'accepted' : viaLink.error.message).toMatch(/Drive A .* is inside drive B/);
  });

  it('refuses a bind mount of A as B (same device and inode)', () => {
    const dir = folder('bind');
    mkdirSync(join(dir, 'drive-a'));
    mkdirSync(join(dir, 'drive-b'));
    const bind = spawnSync('mount', ['--bind', join(dir, 'drive-a'), join(dir, 'drive-b')]);
    // The tests run as root (see .ci/run): a bind mount that cannot be made is a failure, not a skip.
    expect(bind.status, String(bind.stderr)).toBe(0);
    mounts.push(join(dir, 'drive-b'));
    const r = drives(dir, 'drive-a', 'drive-b');
    expect(r.ok ? 'accepted' : r.error.message).toContain('are the same folder');
  });

  it('accepts two separate folders (existing or not)', () => {
    const dir = folder('separate');
    mkdirSync(join(dir, 'drive-a'));
    expect(drives(dir, 'drive-a', 'drive-b').ok).toBe(true);
    expect(drives(dir, 'drive-a', 'drive-ab').ok).toBe(true);
  });
});

describe('CLI: enroll and daemon refuse a config whose drives overlap', () => {
  const cli = (args: string[]) => spawnSync(process.execPath, [join(repoRoot, 'bin', 'ballotsafe.js'), ...args], { cwd: tmpdir(), encoding: 'utf8', timeout: 60_000, env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'silent' } });

  it('ballotsafe enroll A and B on one folder (B a symlink to A) fail with a clear message', () => {
    const dir = folder('cli');
    mkdirSync(join(dir, 'export'));
    mkdirSync(join(dir, 'drive-a'));
    symlinkSync(join(dir, 'drive-a'), join(dir, 'drive-b'));
    const configFile = join(dir, 'config.yaml');
    writeFileSync(configFile, 'dataDir: data\nroots:\n  - label: central-scan\n    path: export\ndrives:\n  mode: folders\n  a: drive-a\n  b: drive-b\nweb:\n  port: 0\n');
    for (const role of ['A', 'B']) {
      const r = cli(['enroll', role, '--role', role, '--operator', 'clerk', '--config', configFile]);
      expect(r.status, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toContain('are the same folder');
      expect(r.stdout).not.toContain('Enrolled');
      expect(r.stderr).not.toMatch(/internal error|    at /);
    }
    const daemon = cli(['daemon', '--config', configFile]);
    expect(daemon.status, daemon.stdout + daemon.stderr).toBe(1);
    expect(daemon.stderr).toContain('are the same folder');
  });
});
