import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { corpusDir, tempDir } from '../importer/testSupport.ts';
import { interpretSheetFiles } from './interpret.ts';
import { layoutsFromVxElection } from './layout.ts';
import { catalogSheets } from './service.ts';
import { pageNameOf } from './sheetPages.ts';

/** Pages are paired into sheets by the common naming conventions, front first (rule in sheetPages.ts). */
const nh = join(corpusDir, 'nh-amherst-scans');

describe('page names', () => {
  it('finds the sheet and side of each convention, and nothing in other names', () => {
    expect(pageNameOf('p1/ballot-0042-front.jpg')).toEqual({ sheetStem: 'p1/ballot-0042', page: 0 });
    expect(pageNameOf('p1/ballot-0042-Back.jpg')).toEqual({ sheetStem: 'p1/ballot-0042', page: 1 });
    expect(pageNameOf('a/scan7_p2.png')).toEqual({ sheetStem: 'a/scan7', page: 1 });
    expect(pageNameOf('a/scan7_page1.png')).toEqual({ sheetStem: 'a/scan7', page: 0 });
    expect(pageNameOf('sheet A_F.tif')).toEqual({ sheetStem: 'sheet A', page: 0 });
    expect(pageNameOf('sheet A_R.tif')).toEqual({ sheetStem: 'sheet A', page: 1 });
    expect(pageNameOf('x\\y\\card.side2.jpg')).toEqual({ sheetStem: 'x/y/card', page: 1 });
    for (const plain of ['ballot.jpg', 'scanF.jpg', 'front.jpg', 'backup.tif', 'audit-board.png', 'p1/000123i.pdf', 'ballot_fb.jpg']) expect(pageNameOf(plain), plain).toBeNull();
  });
});

describe('catalog sheets from real NH scans named by each convention', () => {
  const t = tempDir('ballotsafe-sheetpages-');
  afterAll(() => t.cleanup());

  it('pairs -front/-back, _p1/_p2, _F/_B and numbered pages into sheets, front first, and reads each as one sheet', async () => {
    const vault = join(t.dir, 'vault');
    const put = (file: string): string => {
      const sha = createHash('sha256').update(readFileSync(join(nh, file))).digest('hex');
      const dest = vaultObjectPath(vault, sha);
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(join(nh, file), dest);
      return sha;
    };
    const front = put('scan-marked-front.jpeg');
    const back = put('scan-marked-back.jpeg');
    const db = openStateDatabase(':memory:');
    const insert = db.prepare(
      `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
       VALUES (?, ?, ?, 1, '0', '0', ?, ?, 'ballot-image', '2026-11-03T20:00:00Z', '2026-11-03T20:00:00Z')`,
    );
    // Backs sort before fronts by name in most conventions: the pairing must put the front first anyway.
    const files: [root: string, rel: string, sha: string][] = [
      ['scans', 'ward1/amherst-back.jpeg', back],
      ['scans', 'ward1/amherst-front.jpeg', front],
      ['scans', 'ward1/deck_p2.jpeg', back],
      ['scans', 'ward1/deck_p1.jpeg', front],
      ['scans', 'ward1/card A_B.jpeg', back],
      ['scans', 'ward1/card A_F.jpeg', front],
      ['scans', 'ward1/0007-back.jpeg', back],
      ['scans', 'ward1/0007-front.jpeg', front],
      // Same name in another folder, and a file with no side: each a sheet of its own.
      ['scans', 'ward2/amherst-front.jpeg', front],
      ['scans', 'ward1/loose.jpeg', front],
    ];
    const ids = new Map<string, number>();
    for (const [root, rel, sha] of files) ids.set(rel, Number(insert.run(root, rel, Buffer.from(rel), rel, sha).lastInsertRowid));
    const sheets = catalogSheets(db, vault);
    db.close();
    const byFiles = sheets.map((s) => s.fileVersionIds.map((id) => [...ids].find(([, v]) => v === id)?.[0]));
    expect(byFiles).toHaveLength(6);
    for (const pair of [
      ['ward1/amherst-front.jpeg', 'ward1/amherst-back.jpeg'],
      ['ward1/deck_p1.jpeg', 'ward1/deck_p2.jpeg'],
      ['ward1/card A_F.jpeg', 'ward1/card A_B.jpeg'],
      ['ward1/0007-front.jpeg', 'ward1/0007-back.jpeg'],
      ['ward2/amherst-front.jpeg'],
      ['ward1/loose.jpeg'],
    ]) {
      expect(byFiles).toContainEqual(pair);
    }

    // Each pair read as one sheet: front then back, the hand-read marks of both sides.
    const layouts = layoutsFromVxElection(JSON.parse(readFileSync(join(nh, 'election.json'), 'utf8')));
    if (!layouts.ok) throw new Error(layouts.error.message);
    const layout = layouts.value[0]!;
    const expected = JSON.parse(readFileSync(join(nh, 'expected-scan-marked.json'), 'utf8')) as Record<'front' | 'back', Record<string, string[]>>;
    const want: Record<string, string[]> = { ...expected.front, ...expected.back };
    for (const first of ['ward1/amherst-front.jpeg', 'ward1/deck_p1.jpeg', 'ward1/card A_F.jpeg', 'ward1/0007-front.jpeg']) {
      const sheet = sheets.find((s) => s.fileVersionIds[0] === ids.get(first));
      const reading = await interpretSheetFiles(sheet?.job.files ?? [], layout);
      if (!reading.ok) throw new Error(reading.error.message);
      expect(reading.value.pages.map((p) => p.side), first).toEqual(['front', 'back']);
      for (const c of reading.value.contests) expect([...c.selected].sort(), c.contestId).toEqual([...(want[c.contestId] ?? [])].sort());
    }
  });
});
