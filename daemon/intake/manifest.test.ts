import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { tempDir } from '../drives/testSupport.ts';
import { stickManifest } from './manifest.ts';

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('stick manifest', () => {
  const dir = tempDir('bs-manifest-');
  afterAll(() => dir.remove());

  it('matches coreutils sha256sum | LC_ALL=C sort | sha256sum, odd names included', () => {
    const files: [string, string][] = [
      ['b.txt', 'bee'],
      ['a/Ä ballot.tif', 'image'],
      ['a/back\\slash.csv', 'x'],
      ['a/new\nline.csv', 'y'],
      ['Z upper.txt', 'z'],
      ['same.txt', 'bee'],
    ];
    for (const [rel, body] of files) {
      mkdirSync(join(dir.path, rel, '..'), { recursive: true });
      writeFileSync(join(dir.path, rel), body);
    }
    const ours = stickManifest(files.map(([rel, body]) => ({ relPathRaw: Buffer.from(rel), sha256: sha(body) })));
    const coreutils = execFileSync('sh', ['-c', "find . -type f -printf '%P\\0' | xargs -0 sha256sum | LC_ALL=C sort"], { cwd: dir.path });
    expect(ours.text.equals(coreutils)).toBe(true);
    expect(ours.sha256).toBe(sha(coreutils));
    // A changed byte in one file changes the manifest hash.
    const changed = stickManifest(files.map(([rel, body]) => ({ relPathRaw: Buffer.from(rel), sha256: sha(rel === 'b.txt' ? 'bef' : body) })));
    expect(changed.sha256).not.toBe(ours.sha256);
  });
});
