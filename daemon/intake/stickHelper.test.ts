import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { helperScriptPath } from '../drives/helperClient.ts';
import { isRoot, tempDir } from '../drives/testSupport.ts';

/** The helper as the socket unit runs it: one request on stdin, one JSON reply on stdout. */
function runHelper(input: string, env: Record<string, string>) {
  const r = spawnSync('/bin/sh', [helperScriptPath], { input, encoding: 'utf8', env: { PATH: '/usr/bin:/bin', ...env }, timeout: 30_000 });
  return { status: r.status, reply: JSON.parse(r.stdout.split('\n')[0] ?? '{}') as { ok: boolean; code?: string } };
}

describe.skipIf(!isRoot)('ballotsafe-drive-helper: the export-stick requests refuse malformed input (run as root)', () => {
  const dir = tempDir('bs-stick-helper-');
  const canary = join(dir.path, 'pwned');
  const env = { BALLOTSAFE_HELPER_MOUNT_BASE: join(dir.path, 'media'), BALLOTSAFE_HELPER_USER: 'root' };
  afterAll(() => dir.remove());

  const cases: [string, string][] = [
    ['mount-stick', 'bad-request'],
    ['mount-stick /dev/sdb A', 'bad-request'],
    ['mount-stick /dev/sdb stick', 'bad-request'],
    [`mount-stick /dev/sdb;touch ${canary}`, 'bad-request'],
    [`mount-stick $(touch ${canary})`, 'bad-request'],
    ['mount-stick /dev/../dev/sdb', 'bad-request'],
    ['mount-stick /etc/passwd', 'bad-device'],
    ['mount-stick /dev/nvme0n1p1', 'bad-device'],
    ['mount-stick /dev/loop0', 'bad-device'], // loop devices only when the unit allows them (tests)
    ['mount-stick /dev/sdzz9', 'no-device'],
    ['unmount-stick now', 'bad-request'],
    ['unmount-stick /media/ballotsafe/stick', 'bad-request'],
  ];
  for (const [request, code] of cases) {
    it(`refuses ${JSON.stringify(request)} with ${code}`, () => {
      const r = runHelper(`${request}\n`, env);
      expect(r.reply).toMatchObject({ ok: false, code });
      expect(r.status).toBe(1);
      expect(existsSync(canary)).toBe(false);
    });
  }

  it('unmount-stick with nothing mounted is a plain success', () => {
    expect(runHelper('unmount-stick\n', env).reply).toMatchObject({ ok: true });
  });
});
