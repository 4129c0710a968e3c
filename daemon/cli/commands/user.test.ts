import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openStateDatabase } from '../../runtime/stateDatabase.ts';
import { Accounts } from '../../web/accounts.ts';
import { userCommand } from './user.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'ballotsafe-user-cli-'));
const configFile = join(dir, 'config.yaml');
writeFileSync(configFile, `dataDir: ${join(dir, 'var')}\n`);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `ballotsafe user ...` in-process with the given stdin (piped, as from `echo pw |`). */
async function user(args: string[], input = '') {
  let out = '';
  let err = '';
  const code = await userCommand({
    stdin: Readable.from([Buffer.from(input)]),
    stdout: { write: (t: string) => (out += t) },
    stderr: { write: (t: string) => (err += t) },
  }).run([...args, '--config', configFile]);
  return { code, out, err };
}

describe('ballotsafe user', () => {
  it('adds an operator with the password from stdin, lists it, and refuses a duplicate', async () => {
    const added = await user(['add', 'pat', '--role', 'operator'], 'a good long password\n');
    expect(added.err).toBe('');
    expect(added.code).toBe(0);
    expect(added.out).toContain('"pat" (operator) created');
    expect((await user(['list'])).out).toContain('pat\toperator');
    const dup = await user(['add', 'pat', '--role', 'observer'], 'a good long password\n');
    expect(dup.code).toBe(1);
    expect(dup.err).toContain('ballotsafe user passwd pat');
  });

  it('asks for a valid role and a password, and sets a new password', async () => {
    expect((await user(['add', 'sam', '--role', 'admin'], 'x')).err).toContain('--role operator');
    expect((await user(['add', 'sam', '--role', 'observer'], '')).err).toContain('No password given');
    expect((await user(['add', 'sam', '--role', 'observer'], 'short\n')).err).toContain('at least 8');
    expect((await user(['passwd', 'pat'], 'another long password\n')).code).toBe(0);
    const db = openStateDatabase(join(dir, 'var', 'ballotsafe.db'));
    try {
      const accounts = new Accounts(db);
      expect(await accounts.checkPassword('pat', 'another long password')).toMatchObject({ role: 'operator' });
      expect(accounts.findUser('sam')).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it('is registered in the ballotsafe CLI', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(repo, 'daemon/cli.ts'), 'user', 'list', '--config', configFile], {
      cwd: repo,
      encoding: 'utf8',
      env: { ...process.env, BALLOTSAFE_LOG_LEVEL: 'silent' },
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('pat\toperator');
  });
});
