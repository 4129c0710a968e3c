import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDirBeneath, type DirHandle } from './dirAccess.ts';
import { DirHandleCache } from './dirHandleCache.ts';
import type { Result } from '../core/result.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function must<T, E>(r: Result<T, E>): T {
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
}

/** Is the descriptor behind a /proc/self/fd/<n> path still open? */
const isOpen = (h: DirHandle) => existsSync(h.access.toString());

describe('DirHandleCache', () => {
  it('shares one descriptor per folder, walks afresh on request, and closes descriptors only when no one holds them', () => {
    const root = mkdtempSync(join(tmpdir(), 'bs-dircache-'));
    dirs.push(root);
    mkdirSync(join(root, 'a/b'), { recursive: true });
    let walks = 0;
    const cache = new DirHandleCache((r, d) => {
      walks++;
      return openDirBeneath(r, d);
    }, 60_000);
    const one = must(cache.acquire(root, Buffer.from('a/b')));
    const two = must(cache.acquire(root, Buffer.from('a/b')));
    expect(walks).toBe(1);
    expect(two.access.equals(one.access)).toBe(true);
    const fresh = must(cache.acquire(root, Buffer.from('a/b'), { fresh: true }));
    expect(walks).toBe(2);
    expect(fresh.access.equals(one.access)).toBe(false);
    one.release();
    expect(isOpen(two)).toBe(true); // the old descriptor is retired but still held by `two`
    two.release();
    two.release(); // a second release is harmless
    expect(existsSync(one.access.toString())).toBe(false);
    cache.clear();
    expect(isOpen(fresh)).toBe(true); // in use: closed on its release
    fresh.release();
    expect(existsSync(fresh.access.toString())).toBe(false);
  });

  it('expires entries after maxAgeMs and keeps at most maxEntries open', async () => {
    const root = mkdtempSync(join(tmpdir(), 'bs-dircache-'));
    dirs.push(root);
    for (const n of ['x', 'y', 'z']) mkdirSync(join(root, n));
    let walks = 0;
    const cache = new DirHandleCache((r, d) => {
      walks++;
      return openDirBeneath(r, d);
    }, 50, 2);
    for (const n of ['x', 'y', 'z']) must(cache.acquire(root, Buffer.from(n))).release();
    expect(walks).toBe(3);
    must(cache.acquire(root, Buffer.from('x'))).release(); // evicted as the oldest of three
    expect(walks).toBe(4);
    await new Promise((r) => setTimeout(r, 80));
    must(cache.acquire(root, Buffer.from('x'))).release(); // expired
    expect(walks).toBe(5);
    cache.clear();
  });
});
