import { openSync, readFileSync, readSync, statSync, writeSync, closeSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertOk } from '../../daemon/core/result.ts';
import { verifyPath } from '../../daemon/snapshot/verify.ts';
import { folderDrives, makeAppliance, type Appliance } from './fixture.ts';

/** Flips one byte of a file in place (size and mtime aside, nothing else changes). */
function flipByte(path: string, at: number): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0] = (b[0] ?? 0) ^ 0x01;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
}

// Verify hashes the payload on several worker threads: a wrong byte must be caught wherever the
// file falls (the last one answered, one hashed while others are), and every other file still pass.
describe('verify with concurrent hashing', () => {
  let app: Appliance;
  let bag: string;
  let manifest: string[];
  beforeAll(async () => {
    app = makeAppliance();
    // 150 small files (several 32-file batches, so several workers at once) and a 9 MiB file last.
    for (let i = 0; i < 150; i++) app.addFile('central-scan', `Tabulator00001/Batch${String(Math.floor(i / 50)).padStart(3, '0')}/Image${String(i).padStart(5, '0')}.tif`, Buffer.alloc(2000 + i, i));
    app.addFile('central-scan', 'Tabulator99999/Big.tif', Buffer.alloc(9 * 1024 * 1024 + 3, 7));
    const a = join(app.dir, 'driveA');
    const b = join(app.dir, 'driveB');
    mkdirSync(a);
    mkdirSync(b);
    assertOk(await app.engine().run({ reason: 'operator', actor: 'test', drives: folderDrives(a, b) }, () => undefined));
    const snaps = join(a, 'ballotsafe', 'test-election', 'snapshots');
    bag = join(snaps, readdirSync(snaps)[0] ?? '');
    manifest = readFileSync(join(bag, 'manifest-sha256.txt'), 'utf8').trim().split('\n').map((l) => l.slice(66));
  });
  afterAll(() => app.close());

  it('an untouched drive passes with every file read in full', async () => {
    const rep = await verifyPath(join(app.dir, 'driveA'), { concurrency: 4 });
    expect(rep.problems).toEqual([]);
    expect(rep.ok).toBe(true);
    expect(rep.files).toBe(151);
    expect(rep.bytes).toBe(manifest.reduce((n, p) => n + statSync(join(bag, p)).size, 0));
  });

  it('a wrong last byte in the last file of the manifest is caught', async () => {
    const last = manifest.at(-1) ?? '';
    expect(last).toBe('data/central-scan/Tabulator99999/Big.tif'); // the big file is last: its last byte is past two 4 MiB reads
    flipByte(join(bag, last), statSync(join(bag, last)).size - 1);
    const rep = await verifyPath(join(app.dir, 'driveA'), { concurrency: 4 });
    flipByte(join(bag, last), statSync(join(bag, last)).size - 1); // back as it was, for the next test
    expect(rep.ok).toBe(false);
    expect(rep.problems.map((p) => [p.kind, p.path.split('/snapshots/')[1]?.replace(/^[^/]+\//, '')])).toEqual([['BAD', last]]);
  });

  it('a wrong byte in a file hashed while other workers hash other files is caught, and only that file is named', async () => {
    // Files 40 and 100 fall in different 32-file batches, given to different workers at the start.
    const victims = [manifest[40] ?? '', manifest[100] ?? ''];
    for (const v of victims) flipByte(join(bag, v), 1000);
    const rep = await verifyPath(join(app.dir, 'driveA'), { concurrency: 4 });
    for (const v of victims) flipByte(join(bag, v), 1000);
    expect(rep.ok).toBe(false);
    const bad = rep.problems.map((p) => [p.kind, p.path.split('/snapshots/')[1]?.replace(/^[^/]+\//, '')]);
    expect(bad.sort()).toEqual(victims.map((v) => ['BAD', v]).sort());
    expect(rep.files).toBe(151);
  });
});
