/**
 * The physical floor for capturing a tree, measured on the same disk in the same run (issue #17):
 * one cold read of every file, SHA-256 of the same bytes on all the cores (Node's hash, as capture
 * uses), one write of the same bytes into new files plus a sync. Reading and writing share the disk,
 * so they add up; hashing can overlap them. floor = max(read + write and sync, hashing).
 *
 * The durable floor keeps capture's promise as well: each written file's data is synced before it
 * counts (fdatasync, as many files in flight as capture), so a disk where every sync is a flush
 * shows that cost here too. durableFloor = max(read + durable write, hashing).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

export interface Floor {
  readMs: number;
  writeSyncMs: number;
  hashMs: number;
  floorMs: number;
  /** The same writes, each file's data synced before it counts (bench/durableWrite.mjs). */
  durableWriteMs: number;
  durableFloorMs: number;
}

function filesUnder(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, out);
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** `dropCaches` is called before the cold read; `scratch` gets the written copies (the caller removes it). */
export function measureFloor(src: string, scratch: string, dropCaches: () => void): Floor {
  const files = filesUnder(src);
  const buffer = Buffer.allocUnsafe(1 << 20);
  const sizes: number[] = [];

  dropCaches();
  let t0 = performance.now();
  for (const f of files) {
    const fd = openSync(f, 'r');
    let size = 0;
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) size += n;
    closeSync(fd);
    sizes.push(size);
  }
  const readMs = performance.now() - t0;
  const bytes = sizes.reduce((a, b) => a + b, 0);

  // One thread's SHA-256 rate on in-memory data, spread over every core.
  const block = randomBytes(8 << 20);
  const hashed = Math.min(bytes, 512 << 20);
  t0 = performance.now();
  const h = createHash('sha256');
  for (let done = 0; done < hashed; done += block.length) h.update(block.subarray(0, Math.min(block.length, hashed - done)));
  h.digest();
  const hashMs = ((performance.now() - t0) * (bytes / Math.max(1, hashed))) / availableParallelism();

  // The same bytes written as new files of the same sizes, 200 to a folder, then synced.
  t0 = performance.now();
  sizes.forEach((size, i) => {
    const dir = join(scratch, String(Math.floor(i / 200)));
    if (i % 200 === 0) mkdirSync(dir, { recursive: true });
    const fd = openSync(join(dir, String(i)), 'w');
    for (let left = size; left > 0; ) left -= writeSync(fd, block, 0, Math.min(left, block.length));
    closeSync(fd);
  });
  spawnSync('sync', ['-f', scratch]);
  const writeSyncMs = performance.now() - t0;

  const sizesFile = join(scratch, 'sizes.json');
  writeFileSync(sizesFile, JSON.stringify(sizes));
  const durableDir = join(scratch, 'durable');
  // 32 files in flight: capture's default (captureEngine.ts).
  const child = spawnSync(process.execPath, [new URL('./durableWrite.mjs', import.meta.url).pathname, durableDir, sizesFile, '32'], {
    encoding: 'utf8',
    env: { ...process.env, UV_THREADPOOL_SIZE: '64' },
  });
  if (child.status !== 0) throw new Error(`durableWrite.mjs failed: ${child.stderr}`);
  const durableWriteMs = (JSON.parse(child.stdout.trim()) as { ms: number }).ms;
  rmSync(durableDir, { recursive: true, force: true });
  return { readMs, writeSyncMs, hashMs, floorMs: Math.max(readMs + writeSyncMs, hashMs), durableWriteMs, durableFloorMs: Math.max(readMs + durableWriteMs, hashMs) };
}
