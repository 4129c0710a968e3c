// The writes of bench/captureFloor.ts's floor with capture's promise kept: each new file's data is
// synced (fdatasync) before it counts as written, <in flight> files at a time (the caller passes capture's),
// then one sync of the names. Run as a child so the thread pool is capture's (UV_THREADPOOL_SIZE=64).
//   node bench/durableWrite.mjs <scratch dir> <sizes json file> <in flight>
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const [scratch, sizesFile, inFlightArg] = process.argv.slice(2);
if (scratch === undefined || sizesFile === undefined || inFlightArg === undefined) throw new Error('usage: durableWrite.mjs <scratch> <sizes.json> <in flight>');
const sizes = /** @type {number[]} */ (JSON.parse(readFileSync(sizesFile, 'utf8')));
const inFlight = Number(inFlightArg);
const block = randomBytes(8 << 20);
for (let d = 0; d * 200 < sizes.length; d++) mkdirSync(join(scratch, String(d)), { recursive: true });

const t0 = performance.now();
let next = 0;
async function writer() {
  for (let i = next++; i < sizes.length; i = next++) {
    const fh = await open(join(scratch, String(Math.floor(i / 200)), String(i)), 'w');
    for (let left = sizes[i] ?? 0; left > 0; ) left -= (await fh.write(block, 0, Math.min(left, block.length))).bytesWritten;
    await fh.datasync();
    await fh.close();
  }
}
await Promise.all(Array.from({ length: inFlight }, writer));
spawnSync('sync', ['-f', scratch]);
process.stdout.write(`${JSON.stringify({ ms: performance.now() - t0 })}\n`);
