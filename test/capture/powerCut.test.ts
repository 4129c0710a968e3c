import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CopyPool } from '../../daemon/capture/copyPool.ts';
import { removeDir, sha256, tempDir } from './helpers.ts';

/**
 * A power cut straight after a commit, on a real ext4 file system: the vault's disk is a loop
 * device, and the cut is a copy of what the file system had handed to that device by then
 * (O_DIRECT, so nothing still only in memory comes along). The copy is mounted (the journal
 * replays) and every object the commit promised must be there with its content. A kill -9 cannot
 * show a missing sync (the page cache survives it); this test can: without the syncs the data and
 * the renames sit in memory for up to 30 s and the cut image lacks them.
 */
const isRoot = process.getuid?.() === 0;
const base = tempDir('powercut');
const mounted: string[] = [];
const loops: string[] = [];

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function mountExt4(image: string, mountPoint: string, options: string): string {
  const loop = sh('losetup', ['-f', '--show', image]).trim();
  loops.push(loop);
  mkdirSync(mountPoint, { recursive: true });
  // commit=60: ext4's own periodic journal commit must not do the work the vault's sync should.
  sh('mount', ['-t', 'ext4', '-o', options, loop, mountPoint]);
  mounted.push(mountPoint);
  return loop;
}

afterAll(() => {
  for (const m of mounted.reverse()) {
    try {
      sh('umount', [m]);
    } catch {
      /* not mounted */
    }
  }
  for (const l of loops) {
    try {
      sh('losetup', ['-d', l]);
    } catch {
      /* already detached */
    }
  }
  removeDir(base);
});

describe.skipIf(!isRoot)('power cut straight after a vault commit (ext4 on a loop device)', () => {
  let loop: string;
  const disk = join(base, 'disk');
  beforeAll(() => {
    const image = join(base, 'disk.img');
    sh('truncate', ['-s', '96M', image]);
    sh('mkfs.ext4', ['-q', '-F', image]);
    loop = mountExt4(image, disk, 'commit=60');
  });

  it('every committed object survives with its content', async () => {
    const src = join(base, 'src');
    mkdirSync(src);
    const tempDirPath = join(disk, 'vault', 'tmp');
    const objectsDir = join(disk, 'vault', 'objects');
    mkdirSync(tempDirPath, { recursive: true });
    mkdirSync(objectsDir, { recursive: true });
    // Flush the empty layout, so what the cut image lacks can only be the commits' work.
    sh('sync', ['-f', disk]);
    const pool = new CopyPool(2);
    const promised = new Map<string, string>(); // object path → sha256
    try {
      for (let batch = 0; batch < 3; batch++) {
        const items = [];
        for (let i = 0; i < 60; i++) {
          const name = `b${batch}-${i}.tif`;
          const content = randomBytes(4_000 + ((batch * 60 + i) * 7919) % 200_000);
          writeFileSync(join(src, name), content);
          const tempPath = join(tempDirPath, name);
          const out = await pool.copy(Buffer.from(join(src, name)), tempPath);
          if (out.kind !== 'copied') throw new Error(out.kind);
          items.push({ tempPath, objectPath: join(objectsDir, out.sha256.slice(0, 2), out.sha256) });
          promised.set(join('vault', 'objects', out.sha256.slice(0, 2), out.sha256), out.sha256);
        }
        const committed = await pool.commit(items, objectsDir);
        expect(committed.kind).toBe('committed');
      }
    } finally {
      await pool.close();
    }
    // The cut: what the device holds now, read around the page cache.
    const cut = join(base, 'cut.img');
    sh('dd', [`if=${loop}`, `of=${cut}`, 'bs=1M', 'iflag=direct', 'status=none']);
    const after = join(base, 'after');
    mountExt4(cut, after, 'commit=60');
    const lost: string[] = [];
    for (const [rel, hash] of promised) {
      const p = join(after, rel);
      if (!existsSync(p) || sha256(readFileSync(p)) !== hash) lost.push(rel);
    }
    expect(lost, `${lost.length} of ${promised.size} committed objects missing or wrong after the cut`).toEqual([]);
  }, 60_000);
});
