/**
 * #14 item 6: on a full data disk `ballotsafe user add` printed "internal error" and a stack trace
 * (exit 70). A full or failing disk is not a bug: plain words, what to do, exit 1, no stack.
 * The data disk is a real 2 MB tmpfs, filled up.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const base = mkdtempSync(join(tmpdir(), 'runtime-full-disk-'));
const disk = join(base, 'disk');
const configFile = join(base, 'config.yaml');
let mounted = false;

const cli = (args: string[], input: string, env: Record<string, string> = {}) =>
  spawnSync(process.execPath, [join(repoRoot, 'bin', 'ballotsafe.js'), ...args], { input, encoding: 'utf8', timeout: 60_000, env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'silent', ...env } });

beforeAll(() => {
  mkdirSync(disk);
  mkdirSync(join(base, 'export'));
  mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk]).status === 0;
  writeFileSync(configFile, `dataDir: ${join(disk, 'data')}\nroots:\n  - label: central-scan\n    path: export\ndrives:\n  mode: folders\n  a: drive-a\n  b: drive-b\n`);
});
afterAll(() => {
  if (mounted) spawnSync('umount', [disk]);
  rmSync(base, { recursive: true, force: true });
});

describe('a full data disk', () => {
  it('user add says so in plain words and exits 1, without a stack trace', () => {
    expect(mounted, 'the tests run as root and mount a small tmpfs as the data disk').toBe(true);
    const first = cli(['user', 'add', 'alice', '--role', 'operator', '--config', configFile], 'first-password-1\n');
    expect(first.status, first.stdout + first.stderr).toBe(0);
    // Fill the disk to the last block.
    spawnSync('dd', ['if=/dev/zero', `of=${join(disk, 'filler')}`, 'bs=64k']);
    const r = cli(['user', 'add', 'bob', '--role', 'operator', '--config', configFile], 'second-password-1\n');
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(/disk/);
    expect(r.stderr).toContain('What to do:');
    expect(r.stderr).not.toMatch(/internal error|SqliteError|    at |ENOSPC|SQLITE_/);
    // The details stay available for a report.
    const debug = cli(['user', 'add', 'bob', '--role', 'operator', '--config', configFile], 'second-password-1\n', { BALLOTSAFE_DEBUG: '1' });
    expect(debug.status).toBe(1);
    expect(debug.stderr).toMatch(/    at /);
  }, 120_000);
});
