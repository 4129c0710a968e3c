import { describe, expect, it } from 'vitest';
import { alignPaths, asBrowserSees, compareWithManifest, parseSha256sum, parseStatement } from './statementFormat.ts';

const h = (c: string) => c.repeat(64);

describe('reading a publication', () => {
  it('reads sha256sum lines, including coreutils backslash form, and counts bad lines', () => {
    const m = parseSha256sum(`${h('a')}  dir/one.tif\n\\${h('b')}  dir/back\\\\slash\\nline.tif\nnot a line\n`);
    expect([...m.entries]).toEqual([
      ['dir/one.tif', h('a')],
      ['dir/back\\slash\nline.tif', h('b')],
    ]);
    expect(m.badLines).toBe(1);
  });

  it('lines up the folder the user picked with the manifest, whichever level and folder names they have', () => {
    const manifest = new Map([
      ['central-scan/B1/1.tif', h('a')],
      ['central-scan/B1/2.tif', h('b')],
      ['results/summary.csv', h('c')],
    ]);
    // A restored folder (sources under their labels), picked as "export".
    expect([...alignPaths(['export/central-scan/B1/1.tif', 'export/results/summary.csv', 'export/notes.txt'], manifest).values()]).toEqual(['central-scan/B1/1.tif', 'results/summary.csv', 'notes.txt']);
    // A copy of the EMS share, where the sources' folders have other names, picked deeper down.
    const share = alignPaths(['usb/ems/scans/B1/1.tif', 'usb/ems/scans/B1/2.tif', 'usb/ems/tallies/summary.csv', 'usb/ems/tallies/B1/1.tif'], manifest);
    expect([...share.values()]).toEqual(['central-scan/B1/1.tif', 'central-scan/B1/2.tif', 'results/summary.csv', 'results/B1/1.tif']);
    // A drive: the election folder's snapshots/ lines up, its own files are named from the election folder.
    const drive = new Map([['snapshots/000001-20261103T200000Z/data/a.tif', h('a')]]);
    expect([...alignPaths(['usb/ballotsafe/e/snapshots/000001-20261103T200000Z/data/a.tif', 'usb/ballotsafe/e/cumulative-index.tsv'], drive).values()]).toEqual([
      'snapshots/000001-20261103T200000Z/data/a.tif',
      'cumulative-index.tsv',
    ]);
  });

  it('sorts hashed files into matched, changed, missing and extra; on a drive, later snapshots are not covered', () => {
    const manifest = new Map([
      ['snapshots/000001-20261103T200000Z/data/a.tif', h('a')],
      ['snapshots/000001-20261103T200000Z/data/b.tif', h('b')],
      ['snapshots/000001-20261103T200000Z/data/c.tif', h('c')],
    ]);
    const hashed = new Map([
      ['snapshots/000001-20261103T200000Z/data/a.tif', h('a')],
      ['snapshots/000001-20261103T200000Z/data/b.tif', h('f')],
      ['snapshots/000001-20261103T200000Z/data/planted.tif', ''],
      ['snapshots/000002-20261104T200000Z/data/d.tif', ''],
      ['cumulative-index.tsv', ''],
    ]);
    expect(compareWithManifest(manifest, hashed, true)).toEqual({
      matched: ['snapshots/000001-20261103T200000Z/data/a.tif'],
      changed: ['snapshots/000001-20261103T200000Z/data/b.tif'],
      missing: ['snapshots/000001-20261103T200000Z/data/c.tif'],
      extra: ['snapshots/000001-20261103T200000Z/data/planted.tif'],
      notCovered: ['cumulative-index.tsv', 'snapshots/000002-20261104T200000Z/data/d.tif'],
    });
    // In an export folder nothing is excused.
    expect(compareWithManifest(manifest, hashed, false).extra).toHaveLength(3);
  });

  it('keys a backslash in a Linux name the way browsers hand it over', () => {
    expect([...asBrowserSees(new Map([['odd/a\\b.tif', h('a')]])).keys()]).toEqual(['odd/a/b.tif']);
  });

  it('refuses a statement without its root hash or key id', () => {
    const good = `ballotsafe publication statement\n\nElection: e\nSnapshot: 2\nRoot hash: ${h('a')}\nKey id: 0123456789ABCDEF\n${h('b')}  manifest-sha256.txt\n`;
    const s = parseStatement(good);
    expect(typeof s === 'string' ? s : [s.election, s.snapshot, s.files.get('manifest-sha256.txt')]).toEqual(['e', 2, h('b')]);
    expect(typeof parseStatement(good.replace(/Root hash: .*\n/, ''))).toBe('string');
    expect(typeof parseStatement(good.replace('ballotsafe publication statement', 'something else'))).toBe('string');
  });
});
