import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodePathBytes } from '../../daemon/capture/pathCodec.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { folderDrives, type Appliance } from '../snapshot/fixture.ts';

/**
 * An export tree on disk that is captured (catalog + vault) and snapshotted twice onto two drives,
 * with a copy of the tree kept as it stood at each snapshot, for `diff -r` against a restore.
 */

const deep = Array.from({ length: 12 }, (_, i) => `level${i + 1}`).join('/');

/** Odd names (as bytes): non-ASCII, FAT-forbidden characters, case clashes, long names, a non-UTF-8 byte, "%". */
export const oddNames: readonly Buffer[] = [
  'central-scan/odd/Ünïcödé ballot 日本.tif',
  'central-scan/odd/a:b?c*"d|e<f>g\\h.tif',
  'central-scan/odd/Case.TIF',
  'central-scan/odd/case.tif',
  'central-scan/odd/CASE.tif',
  'central-scan/odd/CON',
  'central-scan/odd/dots...',
  'central-scan/odd/100% sure.txt',
  `central-scan/odd/${'long-name-ü-'.repeat(19)}.tif`,
  `central-scan/${deep}/deep file.txt`,
  'results/summary.csv',
].map((s) => Buffer.from(s));
export const nonUtf8Name = Buffer.concat([Buffer.from('central-scan/odd/latin1-'), Buffer.from([0xe9, 0xff]), Buffer.from('.tif')]);
/** The file changed between snapshot 1 and 2. */
export const changedName = 'central-scan/Tabulator1/Batch001/Image0001.tif';

export class ExportTree {
  constructor(
    readonly dir: string,
    private readonly app: Appliance,
  ) {}

  /** Writes `<dir>/<label>/<path>` and captures it (as capture would: catalog text form of the bytes). */
  put(labelAndPath: Buffer, content: Buffer | string): void {
    const slash = labelAndPath.indexOf(0x2f);
    const label = labelAndPath.subarray(0, slash).toString('utf8');
    const rel = labelAndPath.subarray(slash + 1);
    const abs = Buffer.concat([Buffer.from(`${this.dir}/`), labelAndPath]);
    mkdirSync(abs.subarray(0, abs.lastIndexOf(0x2f)), { recursive: true });
    writeFileSync(abs, content);
    this.app.addFile(label, encodePathBytes(rel), content);
  }

  /** A copy of the tree as it stands now (cp -a keeps names byte for byte). */
  keep(as: string): string {
    execFileSync('cp', ['-a', this.dir, as]);
    return as;
  }
}

export function image(seed: number, size = 40_000): Buffer {
  const buf = Buffer.alloc(size, seed & 0xff);
  buf.writeUInt32BE(seed, 0);
  return buf;
}

/** Two snapshots of the tree on drives `a` and `b`; returns the kept trees of each snapshot. */
export async function twoSnapshots(app: Appliance, work: string, a: string, b: string): Promise<{ tree1: string; tree2: string }> {
  const tree = new ExportTree(join(work, 'export'), app);
  for (let i = 1; i <= 5; i++) tree.put(Buffer.from(`central-scan/Tabulator1/Batch001/Image000${i}.tif`), image(i));
  for (const [i, n] of oddNames.entries()) tree.put(n, `odd file ${i}\n`);
  tree.put(nonUtf8Name, 'latin-1 name\n');
  const engine = app.engine();
  assertOk(await engine.run({ reason: 'operator', actor: 'test', drives: folderDrives(a, b) }));
  const tree1 = tree.keep(join(work, 'tree-at-1'));
  tree.put(Buffer.from(changedName), image(999));
  for (let i = 1; i <= 3; i++) tree.put(Buffer.from(`central-scan/Tabulator1/Batch002/Image000${i}.tif`), image(100 + i));
  assertOk(await engine.run({ reason: 'end-of-day', actor: 'test', drives: folderDrives(a, b) }));
  const tree2 = tree.keep(join(work, 'tree-at-2'));
  return { tree1, tree2 };
}

/** The payload file of `labelAndPath` in snapshot `sequence` on a drive (names are plain ASCII here). */
export function payloadOnDrive(drive: string, sequence: number, labelAndPath: string): string {
  const snaps = join(drive, 'ballotsafe', 'test-election', 'snapshots');
  const bag = readdirSync(snaps).find((n) => n.startsWith(String(sequence).padStart(6, '0')));
  if (bag === undefined) throw new Error(`no snapshot ${sequence} on ${drive}`);
  return join(snaps, bag, 'data', labelAndPath);
}
