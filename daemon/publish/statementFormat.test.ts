import { describe, expect, it } from 'vitest';
import { asBrowserSees, compareWithManifest, cutPath, parseSha256sum, parseStatement, pathCut } from './statementFormat.ts';

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

  it('lines up the folder the user picked with the manifest, whichever folder level they chose', () => {
    const manifest = new Map([
      ['central-scan/B1/1.tif', h('a')],
      ['central-scan/B1/2.tif', h('b')],
      ['results/summary.csv', h('c')],
    ]);
    expect(pathCut(['export/central-scan/B1/1.tif', 'export/results/summary.csv', 'export/notes.txt'], manifest)).toBe(1);
    expect(pathCut(['usb/ballotsafe/restore/central-scan/B1/1.tif'], manifest)).toBe(3);
    expect(cutPath('usb/ballotsafe/restore/central-scan/B1/1.tif', 3)).toBe('central-scan/B1/1.tif');
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
