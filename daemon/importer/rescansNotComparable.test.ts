import { describe, expect, it } from 'vitest';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { encodeInkPatch } from './inkPatch.ts';
import { findRescannedSheets, type ReadSheet } from './rescans.ts';

/** A check mark's ink in a 76×50 patch (a 200 dpi oval's box): the same pixels on both sheets, as a rescan of the same paper shows. */
function checkInk(): string {
  const width = 76;
  const height = 50;
  const ink = new Uint8Array(width * height);
  const dot = (x: number, y: number) => {
    for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) ink[(y + dy) * width + x + dx] = 1;
  };
  for (let i = 0; i < 12; i++) dot(20 + i, 24 + i);
  for (let i = 0; i < 30; i++) dot(32 + i, 36 - i);
  return encodeInkPatch({ width, height, ink });
}

function twoSheetsAlike(marksTellHands: boolean | undefined): { db: ReturnType<typeof openStateDatabase>; sheets: ReadSheet[] } {
  const db = openStateDatabase(':memory:');
  const insert = db.prepare(
    `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
     VALUES ('scans', ?, ?, 1, '0', '0', ?, ?, 'ballot-image', '2026-11-03T20:00:00Z', '2026-11-03T20:00:00Z')`,
  );
  const sheets = ['000004i.pdf', '000031i.pdf'].map((rel): ReadSheet => {
    const id = String(insert.run(rel, Buffer.from(rel), rel, `sha-${rel}`).lastInsertRowid);
    return { sheetKey: `${rel}#${id}`, styleId: 'ess-0123456789', fills: [0.4, 0, 0, 0.4], inks: [checkInk(), undefined, undefined, checkInk()], ...(marksTellHands === undefined ? {} : { marksTellHands }) };
  });
  return { db, sheets };
}

describe('rescans on a design whose marks do not tell voters apart', () => {
  it('sheets whose marks do not tell hands apart (ES&S) are not compared, and counted as not checked', () => {
    const { db, sheets } = twoSheetsAlike(false);
    const r = findRescannedSheets(db, () => sheets);
    expect(r.pairs).toEqual([]);
    expect(r.sheetsCompared).toBe(0);
    expect(r.sheetsNotComparable).toBe(2);
    db.close();
  });

  it('the same two sheets on a design whose marks do tell hands apart are found as one ballot scanned twice', () => {
    const { db, sheets } = twoSheetsAlike(undefined);
    const r = findRescannedSheets(db, () => sheets);
    expect(r.pairs.map((p) => [...p.first, ...p.second])).toEqual([['scans:000004i.pdf', 'scans:000031i.pdf']]);
    expect(r.sheetsNotComparable).toBe(0);
    db.close();
  });
});
