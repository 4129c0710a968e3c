/**
 * A sheet inside an ES&S export zip has one catalog file, the zip, for all its images: an older
 * export's F/R PBM pair is two members. Its back side must still find its picture (the zip and the
 * member), for the disagreement page, the evidence crop and the hand-mapping form.
 */
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { fileVersionIdOf } from './catalogSheet.ts';
import { locateContest } from './webProvider.ts';
import { zipMemberPath } from './zipMembers.ts';

const root = mkdtempSync(path.join(tmpdir(), 'zip-sheet-files-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the files of a sheet inside an ES&S export zip', () => {
  it('both sides of a PBM pair are the zip, each its own member; files of their own keep their ids', () => {
    const pair = [zipMemberPath('/vault/aa/11', 'Old/000126F.pbm'), zipMemberPath('/vault/aa/11', 'Old/000126R.pbm')];
    expect([0, 1, 2].map((f) => fileVersionIdOf([7], pair, f))).toEqual([7, 7, undefined]);
    expect([0, 1].map((f) => fileVersionIdOf([3, 4], ['/vault/cc/33', '/vault/dd/44'], f))).toEqual([3, 4]);
    expect(fileVersionIdOf([3], ['/vault/cc/33', '/vault/dd/44'], 1)).toBeUndefined(); // a lost id is not guessed
  });

  it('a contest on the back of a PBM pair is located on the zip, in the R member', () => {
    const db = openStateDatabase(path.join(root, 'state.db'));
    try {
      const zip = Number(
        db
          .prepare(
            `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
             VALUES ('ess', 'Ballot Images.zip', x'00', 1, '0', '0', '1', 'aa11', 'other', 't', 't')`,
          )
          .run().lastInsertRowid,
      );
      const target = (contestId: string) => ({ contestId, optionId: '1', x: 0, y: 0, width: 1, height: 1, fill: 0.8, mark: 'marked' });
      const pages = [
        { file: 0, page: 0, side: 'front', width: 1, height: 1, pitch: 1, targets: [target('governor')] },
        { file: 1, page: 0, side: 'back', width: 1, height: 1, pitch: 1, targets: [target('question-1')] },
      ];
      const files = [zipMemberPath('/vault/aa/11', 'Old/000126F.pbm'), zipMemberPath('/vault/aa/11', 'Old/000126R.pbm')];
      db.prepare(`INSERT INTO preaudit_sheets (sheet_key, files_json, status, style_id, reading_json, pages_json, style_from, read_at) VALUES ('zip:1:pbm', ?, 'read', 'ess-1', '[]', ?, 'printed-ovals', 't')`).run(JSON.stringify(files), JSON.stringify(pages));
      db.prepare(`INSERT INTO preaudit_sheet_files (sheet_key, image_key, file_version_ids_json) VALUES ('zip:1:pbm', 'c:126', ?)`).run(JSON.stringify([zip]));
      expect(locateContest(db, 'zip:1:pbm', 'question-1')).toMatchObject({ fileVersionId: zip, member: 'Old/000126R.pbm', page: { file: 1 } });
      expect(locateContest(db, 'zip:1:pbm', 'governor')).toMatchObject({ fileVersionId: zip, member: 'Old/000126F.pbm', page: { file: 0 } });
    } finally {
      db.close();
    }
  });
});
