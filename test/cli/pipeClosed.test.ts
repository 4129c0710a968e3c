import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

// `ballotsafe help | head -1`: the reader goes away before the command has written everything. That is not
// a failure of the command, and it must not print a Node stack trace (it did: "Unhandled 'error' event … EPIPE").
it('exits quietly with status 0 when the reader of its output has gone', async () => {
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'ballotsafe.js');
  const child = spawn(process.execPath, [bin, 'help'], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy(); // closes our end of the pipe before the command writes its first line
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const status = await new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  expect(stderr).toBe('');
  expect(status).toBe(0);
}, 30_000);
