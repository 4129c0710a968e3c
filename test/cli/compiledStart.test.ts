import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The `ballotsafe` command runs the compiled dist/ only while it matches the sources: these tests
// work on a copy of the repository, so the build they make and break is not the one other tests use.
const repo = join(import.meta.dirname, '..', '..');
let copy: string;

function ballotsafe(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [join(copy, 'bin', 'ballotsafe.js'), ...args], {
    cwd: copy,
    encoding: 'utf8',
    env: { ...process.env, BALLOTSAFE_DEBUG: '1', BALLOTSAFE_FROM_SOURCES: '', ...env },
  });
  const [ran = '', ...rest] = r.stderr.split('\n');
  return { status: r.status, stdout: r.stdout, stderr: rest.join('\n'), ran };
}

function build(...args: string[]) {
  return spawnSync(process.execPath, [join(copy, 'scripts', 'build-cli.mjs'), ...args], { cwd: copy, encoding: 'utf8' });
}

const compiled = (ran: string) => ran.includes(join(copy, 'dist', 'daemon', 'cli.js'));

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'bs-build-'));
  for (const p of ['bin', 'daemon', 'scripts', 'web-ui', 'tsconfig.json', 'package.json']) cpSync(join(repo, p), join(copy, p), { recursive: true });
  symlinkSync(join(repo, 'node_modules'), join(copy, 'node_modules'));
}, 60_000);
afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('the compiled command', () => {
  it('runs from the TypeScript sources while there is no build', () => {
    expect(build('--check').status).toBe(1);
    const r = ballotsafe(['help']);
    expect(r.ran).toContain('from the TypeScript sources');
    expect(r.stdout).toContain('  verify ');
  });

  it('runs the build once made, with the same words and exit codes as the sources', () => {
    const b = build();
    expect(b.status, b.stderr).toBe(0);
    expect(build('--check').status).toBe(0);
    for (const args of [['help'], ['verify', join(copy, 'no-such-drive')], ['no-such-command']]) {
      const fast = ballotsafe(args);
      const slow = ballotsafe(args, { BALLOTSAFE_FROM_SOURCES: '1' });
      expect(compiled(fast.ran), args.join(' ')).toBe(true);
      expect(slow.ran).toContain('from the TypeScript sources');
      expect({ status: fast.status, stdout: fast.stdout, stderr: fast.stderr }, args.join(' ')).toEqual({ status: slow.status, stdout: slow.stdout, stderr: slow.stderr });
    }
  });

  it('never runs stale code: an edited source runs from the sources, even with its old times put back', () => {
    const catalog = join(copy, 'daemon', 'cli', 'catalog.ts');
    const before = statSync(catalog);
    const text = readFileSync(catalog, 'utf8');
    const edited = text.replace('Check a snapshot drive or folder', 'Check a snapshot drive or a folder');
    expect(edited).not.toBe(text);
    writeFileSync(catalog, edited);
    utimesSync(catalog, before.atime, before.mtime); // a copy that keeps modification times
    const r = ballotsafe(['help']);
    expect(r.ran).toContain('from the TypeScript sources');
    expect(r.stdout).toContain('Check a snapshot drive or a folder');
    expect(build('--check').status).toBe(1);

    expect(build().status).toBe(0);
    const rebuilt = ballotsafe(['help']);
    expect(compiled(rebuilt.ran)).toBe(true);
    expect(rebuilt.stdout).toContain('Check a snapshot drive or a folder');
  });

  it('a source file touched but unchanged still runs the build', () => {
    const result = join(copy, 'daemon', 'core', 'result.ts');
    writeFileSync(result, readFileSync(result));
    expect(compiled(ballotsafe(['help']).ran)).toBe(true);
  });

  it('a new source file makes the build stale', () => {
    expect(build().status).toBe(0);
    writeFileSync(join(copy, 'daemon', 'cli', 'extra.ts'), 'export const extra = 1;\n');
    expect(ballotsafe(['help']).ran).toContain('from the TypeScript sources');
    rmSync(join(copy, 'daemon', 'cli', 'extra.ts'));
    expect(compiled(ballotsafe(['help']).ran)).toBe(true);
  });
});
