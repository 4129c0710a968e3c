/**
 * The report names a sheet's AuditMark page (the third, short page of a Dominion ImageCast TIFF)
 * as evidence: in independent-cvr.csv, the report JSON and the discrepancy XLSX. On the real demo
 * export's TIFF (../shared/corpus/dominion-imagecast-demo) kept in a real vault; a TIFF of three
 * equal pages, a two-page TIFF, a JPEG and a file missing from the vault name none.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ExcelJS from 'exceljs';
import { afterAll, describe, expect, it } from 'vitest';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { auditMarkPages } from './auditMarkPages.ts';
import { decodeBallotImage } from './image.ts';
import { writePreauditReport } from './report.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const tiff = path.resolve(here, '../../../shared/corpus/dominion-imagecast-demo/Results/Tabulator00005/Batch001/Images/00005_00001_000004.tif');
const root = mkdtempSync(path.join(tmpdir(), 'auditmark-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const vault = path.join(root, 'vault');

/** Puts a file into the vault as the capture does (by its sha256); returns the digest. */
function intoVault(file: string): string {
  const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
  const at = vaultObjectPath(vault, sha);
  mkdirSync(path.dirname(at), { recursive: true });
  copyFileSync(file, at);
  return sha;
}

describe('the AuditMark page in the pre-audit report', () => {
  it('is named "<file> page 3" for a Dominion TIFF that has one, and for no other file', async () => {
    // Built with libtiff's own tool from the real file's pages: front, back, front (no short page); front, back.
    const equalPages = path.join(root, '00005_00001_000009.tif');
    const twoPages = path.join(root, '00005_00001_000010.tif');
    execFileSync('tiffcp', [`${tiff},0`, `${tiff},1`, `${tiff},0`, equalPages], { stdio: 'ignore' });
    execFileSync('tiffcp', [`${tiff},0`, `${tiff},1`, twoPages], { stdio: 'ignore' });
    const db = openStateDatabase(path.join(root, 'state.db'));
    try {
      const file = db.prepare(
        `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
         VALUES ('scan', ?, x'00', 1, '0', '0', '1', ?, 'ballot-image', 't', 't')`,
      );
      const real = Number(file.run('Tabulator00005/Batch001/Images/00005_00001_000004.tif', intoVault(tiff)).lastInsertRowid);
      const equal = Number(file.run('Images/00005_00001_000009.tif', intoVault(equalPages)).lastInsertRowid);
      const two = Number(file.run('Images/00005_00001_000010.tif', intoVault(twoPages)).lastInsertRowid);
      // Same bytes as the real TIFF, but named .jpg and never looked into; and a TIFF not in the vault.
      const jpeg = Number(file.run('Images/front.jpg', intoVault(tiff)).lastInsertRowid);
      const missing = Number(file.run('Images/00005_00001_000011.tif', 'f'.repeat(64)).lastInsertRowid);

      const target = { contestId: 'mayor', optionId: 'ann', x: 0, y: 0, width: 1, height: 1, fill: 0.8, mark: 'marked' };
      const pages = JSON.stringify([{ file: 0, page: 0, side: 'front', width: 1, height: 1, pitch: 1, targets: [target] }]);
      const sheet = db.prepare(`INSERT INTO preaudit_sheets (sheet_key, files_json, status, style_id, reading_json, pages_json, read_at) VALUES (?, '[]', 'read', 's1', '[]', ?, 't')`);
      const files = db.prepare(`INSERT INTO preaudit_sheet_files (sheet_key, image_key, file_version_ids_json) VALUES (?, ?, ?)`);
      const compare = db.prepare(
        `INSERT INTO preaudit_comparisons (sheet_key, ballot_key, contest_id, contest_title, verdict, image_votes_json, cvr_votes_json, marginal_json, image_overvote, cvr_overvote, undervotes, write_ins, compared_at)
         VALUES (?, ?, 'mayor', 'Mayor', ?, '["ann"]', '["bob"]', '[]', 0, 0, 0, 0, 't')`,
      );
      const sheets: [string, number[], string][] = [
        ['d:5_1_4', [real], 'disagree'],
        ['d:5_1_9', [equal], 'disagree'],
        ['d:5_1_10', [two], 'gray'],
        ['d:5_1_12', [jpeg, missing], 'disagree'],
      ];
      for (const [key, ids, verdict] of sheets) {
        sheet.run(key, pages);
        files.run(key, key, JSON.stringify(ids));
        compare.run(key, key, verdict);
      }

      const found = await auditMarkPages(db, vault);
      expect([...found.entries()]).toEqual([['d:5_1_4', '00005_00001_000004.tif page 3']]);

      const contests = [{ id: 'mayor', title: 'Mayor', seats: 1, allowWriteIns: false, options: [{ id: 'ann', name: 'Ann' }] }];
      const out = path.join(root, 'report');
      const written = await writePreauditReport(db, vault, out, { contests });

      const csv = readFileSync(written.independentCvr, 'utf8').split('\r\n');
      expect(csv[0]).toBe('ballot,files,style,contest,option,mark,score,auditmark,style_from');
      expect(csv).toContain('d:5_1_4,00005_00001_000004.tif,s1,Mayor,Ann,marked,0.8,00005_00001_000004.tif page 3,');
      expect(csv).toContain('d:5_1_9,00005_00001_000009.tif,s1,Mayor,Ann,marked,0.8,,');
      expect(csv).toContain('d:5_1_10,00005_00001_000010.tif,s1,Mayor,Ann,marked,0.8,,');
      expect(csv).toContain('d:5_1_12,"front.jpg;00005_00001_000011.tif",s1,Mayor,Ann,marked,0.8,,');

      const byBallot = new Map(written.report.disagreements.map((d) => [d.ballotKey, d.auditMark]));
      expect(Object.fromEntries(byBallot)).toEqual({ 'd:5_1_4': '00005_00001_000004.tif page 3', 'd:5_1_9': null, 'd:5_1_12': null });
      expect(written.report.gray.map((g) => [g.ballotKey, g.auditMark])).toEqual([['d:5_1_10', null]]);
      const json = JSON.parse(readFileSync(written.json, 'utf8')) as { disagreements: { ballotKey: string; auditMark: string | null }[] };
      expect(json.disagreements.find((d) => d.ballotKey === 'd:5_1_4')?.auditMark).toBe('00005_00001_000004.tif page 3');

      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(written.xlsx);
      const dis = wb.getWorksheet('Disagreements');
      const header = (dis?.getRow(1).values ?? []) as unknown[];
      const column = header.indexOf('AuditMark');
      expect(column).toBeGreaterThan(0);
      const cells = new Map<unknown, unknown>();
      dis?.eachRow((row, n) => {
        if (n > 1) cells.set(row.getCell(1).value, row.getCell(column).value ?? null);
      });
      expect(cells.get('d:5_1_4')).toBe('00005_00001_000004.tif page 3');
      expect(cells.get('d:5_1_9')).toBeNull();
    } finally {
      db.close();
    }
  });
});

describe('the AuditMark page kept with the reading', () => {
  it('is told by the decoder when it sets the short third page aside, and not for a file without one', async () => {
    const told: number[][] = [];
    const pages = await decodeBallotImage(tiff, { ballotSidesOnly: true, onPagesSetAside: (p) => told.push([...p]) });
    expect(pages.ok && pages.value.map((p) => p.page)).toEqual([0, 1]);
    expect(told).toEqual([[2]]);
    const equalPages = path.join(root, 'equal-for-decoder.tif');
    execFileSync('tiffcp', [`${tiff},0`, `${tiff},1`, `${tiff},0`, equalPages], { stdio: 'ignore' });
    const none: number[][] = [];
    await decodeBallotImage(equalPages, { ballotSidesOnly: true, onPagesSetAside: (p) => none.push([...p]) });
    expect(none).toEqual([]);
  });

  it('is named from what the reader stored, without opening the file again', async () => {
    const db = openStateDatabase(path.join(root, 'stored.db'));
    try {
      const file = db.prepare(
        `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
         VALUES ('scan', ?, x'00', 1, '0', '0', '1', ?, 'ballot-image', 't', 't')`,
      );
      // Not in the vault: only the stored value can name its page.
      const gone = Number(file.run('Images/00005_00001_000021.tif', 'e'.repeat(64)).lastInsertRowid);
      // The real TIFF, whose reader stored no AuditMark page: the headers are not read again to find one.
      const real = Number(file.run('Images/00005_00001_000022.tif', intoVault(tiff)).lastInsertRowid);
      // Read before the pages were kept (null): found from the headers as before.
      const older = Number(file.run('Images/00005_00001_000023.tif', intoVault(tiff)).lastInsertRowid);
      const sheet = db.prepare(`INSERT INTO preaudit_sheets (sheet_key, files_json, status, style_id, reading_json, pages_json, audit_mark_json, read_at) VALUES (?, '[]', 'read', 's1', '[]', '[]', ?, 't')`);
      const files = db.prepare(`INSERT INTO preaudit_sheet_files (sheet_key, image_key, file_version_ids_json) VALUES (?, ?, ?)`);
      const rows: [string, number[], string | null][] = [
        ['d:5_1_21', [gone], JSON.stringify([{ file: 0, page: 2 }])],
        ['d:5_1_22', [real], '[]'],
        ['d:5_1_23', [older], null],
        // A stored page of a file the sheet does not have names nothing.
        ['d:5_1_24', [gone], JSON.stringify([{ file: 3, page: 2 }])],
      ];
      for (const [key, ids, kept] of rows) {
        sheet.run(key, kept);
        files.run(key, key, JSON.stringify(ids));
      }
      const found = await auditMarkPages(db, vault);
      expect([...found.entries()].sort()).toEqual([
        ['d:5_1_21', '00005_00001_000021.tif page 3'],
        ['d:5_1_23', '00005_00001_000023.tif page 3'],
      ]);
    } finally {
      db.close();
    }
  });
});
