import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CopyPool } from './copyPool.ts';

const base = mkdtempSync(join(tmpdir(), 'copy-pool-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function vaultDirs(name: string): { tempDir: string; objectsDir: string } {
  const tempDir = join(base, name, 'tmp');
  const objectsDir = join(base, name, 'objects');
  mkdirSync(tempDir, { recursive: true });
  mkdirSync(objectsDir, { recursive: true });
  return { tempDir, objectsDir };
}

async function copyAndCommit(pool: CopyPool, name: string): Promise<string[]> {
  const { tempDir, objectsDir } = vaultDirs(name);
  const src = join(base, name, 'src');
  mkdirSync(src);
  const contents = [Buffer.alloc(0), Buffer.from('one'), Buffer.alloc(3 * 1024 * 1024 + 5, 7), Buffer.from('one')];
  const items = [];
  for (const [i, c] of contents.entries()) {
    writeFileSync(join(src, `f${i}`), c);
    const out = await pool.copy(Buffer.from(join(src, `f${i}`)), join(tempDir, `t${i}`));
    if (out.kind !== 'copied') throw new Error(out.kind);
    expect(out.sha256).toBe(sha(c));
    expect(out.bytes).toBe(c.length);
    expect(out.after?.size).toBe(c.length);
    items.push({ tempPath: join(tempDir, `t${i}`), objectPath: join(objectsDir, out.sha256.slice(0, 2), out.sha256) });
  }
  const committed = await pool.commit(items, objectsDir);
  if (committed.kind !== 'committed') throw new Error(committed.message);
  // The second "one" finds the first one's object already in place.
  expect(committed.deduplicated).toEqual([false, false, false, true]);
  expect(readdirSync(tempDir)).toEqual([]);
  const objects = readdirSync(objectsDir).flatMap((d) => readdirSync(join(objectsDir, d)));
  for (const o of objects) expect(sha(readFileSync(join(objectsDir, o.slice(0, 2), o)))).toBe(o);
  return objects;
}

describe('copy pool', () => {
  it('copies with one read, hashes, and commits', async () => {
    const pool = new CopyPool(2);
    try {
      expect(await copyAndCommit(pool, 'first')).toHaveLength(3);
      expect(await copyAndCommit(pool, 'second')).toHaveLength(3);
    } finally {
      await pool.close();
    }
  });

  it('renames nothing when a temp copy of the batch is gone', async () => {
    const pool = new CopyPool(1);
    try {
      const { tempDir, objectsDir } = vaultDirs('gone');
      writeFileSync(join(base, 'gone', 'a'), 'a');
      const out = await pool.copy(Buffer.from(join(base, 'gone', 'a')), join(tempDir, 'a'));
      if (out.kind !== 'copied') throw new Error(out.kind);
      writeFileSync(join(tempDir, 'b'), 'b');
      const committed = await pool.commit(
        [
          { tempPath: join(tempDir, 'a'), objectPath: join(objectsDir, 'aa', 'a') },
          { tempPath: join(tempDir, 'missing'), objectPath: join(objectsDir, 'bb', 'missing') },
        ],
        objectsDir,
      );
      expect(committed).toMatchObject({ kind: 'commit-failed', code: 'ENOENT' });
      expect(readdirSync(objectsDir)).toEqual([]);
      expect(readdirSync(tempDir).sort()).toEqual(['a', 'b']);
    } finally {
      await pool.close();
    }
  });

  it('says what went wrong instead of following a symlink or reading a folder', async () => {
    const pool = new CopyPool(1);
    try {
      const { tempDir } = vaultDirs('refuse');
      symlinkSync('/etc/hostname', join(base, 'refuse', 'link'));
      const link = await pool.copy(Buffer.from(join(base, 'refuse', 'link')), join(tempDir, 'a'));
      expect(link).toMatchObject({ kind: 'open-failed', code: 'ELOOP' });
      const folder = await pool.copy(Buffer.from(join(base, 'refuse')), join(tempDir, 'b'));
      expect(folder).toEqual({ kind: 'not-a-file' });
      const gone = await pool.copy(Buffer.from(join(base, 'refuse', 'missing')), join(tempDir, 'c'));
      expect(gone).toMatchObject({ kind: 'open-failed', code: 'ENOENT' });
      expect(readdirSync(tempDir)).toEqual([]);
    } finally {
      await pool.close();
    }
  });
});
