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

  it('names a sheet inside an ES&S export zip by the zip and the member a person opens; captured files by their own names', async () => {
    const db = openStateDatabase(path.join(root, 'ess.db'));
    try {
      const file = db.prepare(
        `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
         VALUES ('ess', ?, x'00', 1, '0', '0', '1', ?, ?, 't', 't')`,
      );
      const zip = Number(file.run('Export 3/Ballot Images.zip', 'aa11', 'other').lastInsertRowid);
      const pdf = Number(file.run('Images/T Albion/Nonpartisan/000124i.pdf', 'bb22', 'ballot-image').lastInsertRowid);
      const front = Number(file.run('Images/T Albion/Nonpartisan/000125F.pbm', 'cc33', 'ballot-image').lastInsertRowid);
      const back = Number(file.run('Images/T Albion/Nonpartisan/000125R.pbm', 'dd44', 'ballot-image').lastInsertRowid);
      const sheet = db.prepare(`INSERT INTO preaudit_sheets (sheet_key, files_json, status, style_id, reading_json, pages_json, style_from, read_at) VALUES (?, ?, 'read', 'ess-1', '[]', ?, 'printed-ovals', 't')`);
      const pages = JSON.stringify([{ file: 0, page: 0, side: 'front', width: 1, height: 1, pitch: 1, targets: [{ contestId: '1', optionId: '1', x: 0, y: 0, width: 1, height: 1, fill: 0.8, mark: 'marked' }] }]);
      const sheetFiles = db.prepare(`INSERT INTO preaudit_sheet_files (sheet_key, image_key, file_version_ids_json) VALUES (?, ?, ?)`);
      // As zipSheets.ts and catalogSheets() give them to the reader: a zip member is `<vault copy>\0<member>`.
      const vault = '/var/lib/ballotsafe/vault/aa/11';
      sheet.run('zip:1:T Albion/Nonpartisan/000123i.pdf', JSON.stringify([`${vault}\u0000T Albion/Nonpartisan/000123i.pdf`]), pages);
      sheetFiles.run('zip:1:T Albion/Nonpartisan/000123i.pdf', 'c:123', JSON.stringify([zip]));
      sheet.run('zip:1:pbm', JSON.stringify([`${vault}\u0000Old/000126F.pbm`, `${vault}\u0000Old/000126R.pbm`]), pages);
      sheetFiles.run('zip:1:pbm', 'c:126', JSON.stringify([zip]));
      sheet.run('c:124#2', JSON.stringify(['/var/lib/ballotsafe/vault/bb/22']), pages);
      sheetFiles.run('c:124#2', 'c:124', JSON.stringify([pdf]));
      sheet.run('c:125#3+4', JSON.stringify(['/var/lib/ballotsafe/vault/cc/33', '/var/lib/ballotsafe/vault/dd/44']), pages);
      sheetFiles.run('c:125#3+4', 'c:125', JSON.stringify([front, back]));
      const contests = [{ id: '1', title: 'Governor', seats: 1, allowWriteIns: false, options: [{ id: '1', name: 'Jane Roe' }] }];
      const written = await writeIndependentCvr(db, root, contests);
      expect(readFileSync(written.path, 'utf8').split('\r\n').map((l) => l.split(',').slice(0, 2).join(','))).toEqual([
        'ballot,files',
        'c:123,Ballot Images.zip > T Albion/Nonpartisan/000123i.pdf',
        'c:124,000124i.pdf',
        'c:125,"000125F.pbm;000125R.pbm"',
        'c:126,"Ballot Images.zip > Old/000126F.pbm;Ballot Images.zip > Old/000126R.pbm"',
        '',
      ]);
    } finally {
      db.close();
    }
  });

  it('writes a header alone when nothing was read', () => {
    expect(independentCvrCsv([])).toBe('ballot,files,style,contest,option,mark,score,auditmark,style_from\r\n');
  });
});
