import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const repo = join(import.meta.dirname, '..', '..');

// Each child tries the lock once; a winner holds it for a while so every other try overlaps it.
const childScript = `
import { SnapshotLock } from ${JSON.stringify(join(repo, 'daemon', 'snapshot', 'lock.ts'))};
const lock = new SnapshotLock(process.argv[1]);
const goAt = Number(process.argv[2]);
while (Date.now() < goAt) await new Promise((r) => setTimeout(r, 5));
const holder = lock.tryAcquire('test');
process.stdout.write(holder === undefined ? 'won' : 'busy');
if (holder === undefined) { await new Promise((r) => setTimeout(r, 3000)); lock.release(); }
`;

describe('snapshot lock across processes', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lets exactly one of several processes take over a stale lock', async () => {
    dir = mkdtempSync(join(tmpdir(), 'bs-lock-'));
    writeFileSync(join(dir, 'snapshot.lock'), JSON.stringify({ pid: 999_999_999, startTime: '1', since: 'long ago', purpose: 'crashed' }));
    const goAt = Date.now() + 6000; // all children start trying at the same moment
    const results = await Promise.all(
      Array.from(
        { length: 5 },
        () =>
          new Promise<string>((resolve, reject) => {
            const c = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', childScript, dir, String(goAt)], { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] });
            let out = '';
            c.stdout.on('data', (d: Buffer) => (out += d.toString()));
            c.on('error', reject);
            c.on('exit', () => resolve(out));
          }),
      ),
    );
    expect(results.filter((r) => r === 'won')).toHaveLength(1);
    expect(results.filter((r) => r === 'busy')).toHaveLength(4);
  }, 60_000);
});
