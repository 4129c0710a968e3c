/**
 * independent-cvr.csv: every read sheet's targets, with or without a CVR, names as imported,
 * file names from the catalog; text from the EMS cannot turn into a spreadsheet formula.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { independentCvrCsv, writeIndependentCvr } from './independentCvr.ts';

const root = mkdtempSync(path.join(tmpdir(), 'independent-cvr-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('independent-cvr.csv', () => {
  it('lists every target of every read sheet, unread sheets left out', async () => {
    const db = openStateDatabase(path.join(root, 'state.db'));
    try {
      const file = db.prepare(
        `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
         VALUES ('scan', ?, x'00', 1, '0', '0', '1', 'ab', 'ballot-image', 't', 't')`,
      );
      const front = Number(file.run('Batch001/Images/00005_00001_000001.tif').lastInsertRowid);
      const back = Number(file.run('Batch001/Images/other side.jpg').lastInsertRowid);
      const sheet = db.prepare(`INSERT INTO preaudit_sheets (sheet_key, files_json, status, style_id, reading_json, pages_json, style_from, read_at) VALUES (?, '[]', ?, 'style-1', '[]', ?, ?, 't')`);
      const target = (contestId: string, optionId: string, fill: number, mark: string) => ({ contestId, optionId, x: 0, y: 0, width: 1, height: 1, fill, mark });
      sheet.run('d:5_1_1#3', 'read', JSON.stringify([{ file: 0, page: 0, side: 'front', width: 1, height: 1, pitch: 1, targets: [target('1', '1', 0.9123, 'marked'), target('1', 'write-in-0', 0.26, 'marginal')] }]), 'cvr-ballot-type');
      sheet.run('sheet-without-cvr', 'read', JSON.stringify([{ file: 0, page: 0, side: 'back', width: 1, height: 1, pitch: 1, targets: [target('2', '7', 0, 'unmarked')] }]), 'printed-code');
      sheet.run('unreadable', 'error', null, null);
      db.prepare(`INSERT INTO preaudit_sheet_files (sheet_key, image_key, file_version_ids_json) VALUES (?, ?, ?)`).run('d:5_1_1#3', 'd:5_1_1', JSON.stringify([front, back]));
      const contests = [
        { id: '1', title: 'Best Ice Cream Flavor', seats: 1, allowWriteIns: true, options: [{ id: '1', name: '=HYPERLINK("x")' }] },
        { id: '2', title: 'Measure', seats: 1, allowWriteIns: false, options: [{ id: '7', name: 'YES \\ SI' }] },
      ];
      const written = await writeIndependentCvr(db, root, contests);
      expect(written.rows).toBe(3);
      expect(readFileSync(written.path, 'utf8')).toBe(
        [
          'ballot,files,style,contest,option,mark,score,auditmark,style_from',
          `d:5_1_1,"00005_00001_000001.tif;other side.jpg",style-1,Best Ice Cream Flavor,"'=HYPERLINK(""x"")",marked,0.912,,CVR ballot type`,
          'd:5_1_1,"00005_00001_000001.tif;other side.jpg",style-1,Best Ice Cream Flavor,Write-in 1,marginal,0.26,,CVR ballot type',
          'sheet-without-cvr,,style-1,Measure,YES \\ SI,unmarked,0,,printed code',
          '',
        ].join('\r\n'),
      );
    } finally {
      db.close();
    }
  });

  it('writes a header alone when nothing was read', () => {
    expect(independentCvrCsv([])).toBe('ballot,files,style,contest,option,mark,score,auditmark,style_from\r\n');
  });
});
