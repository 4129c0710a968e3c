import { describe, expect, it } from 'vitest';
import { coreMigrations } from '../core/db/coreSchema.ts';
import { openDatabase } from '../core/db/database.ts';
import { preauditMigrations } from './schema.ts';
import { NEEDS_MAPPING_CODE } from './service.ts';
import { BMD_CARD_CODE, DESIGN_NOT_READ_CODE } from './setApart.ts';
import { PREAUDIT_EXIT, preauditExitCode, tallyLines, tallySheets } from './sheetTally.ts';

function dbWith(rows: readonly { key: string; status: 'read' | 'error'; code?: string }[]) {
  const db = openDatabase(':memory:', [coreMigrations, preauditMigrations]);
  const insert = db.prepare(`INSERT INTO preaudit_sheets (sheet_key, files_json, status, style_id, error_code, error_message, reading_json, read_at) VALUES (?, '[]', ?, 's1', ?, ?, ?, '2026-11-03T20:00:00Z')`);
  for (const r of rows) insert.run(r.key, r.status, r.code ?? null, r.code === undefined ? null : 'why', r.status === 'read' ? '[]' : null);
  return db;
}

describe('every sheet of a pre-audit pass counted, and an exit code that says so', () => {
  it('every style waiting for a person: no sheet read, so not "no disagreements" (exit 3, not 0)', () => {
    const db = dbWith([
      { key: 'a', status: 'error', code: NEEDS_MAPPING_CODE },
      { key: 'b', status: 'error', code: NEEDS_MAPPING_CODE },
    ]);
    const t = tallySheets(db, ['a', 'b']);
    expect(t).toMatchObject({ total: 2, read: 0, waitingForPerson: 2, unreadable: 0, notReadYet: 0 });
    expect(preauditExitCode(t, 0)).toBe(PREAUDIT_EXIT.sheetsNotRead);
    expect(PREAUDIT_EXIT.sheetsNotRead).not.toBe(0);
    expect(tallyLines(t).join('\n')).toContain('2  sheets waiting for a person to map their ballot style');
    expect(tallyLines(t).join('\n')).toContain('0  sheets read');
    db.close();
  });

  it('sheets set aside, unreadable or never read are counted each in their row; every sheet once', () => {
    const db = dbWith([
      { key: 'read1', status: 'read' },
      { key: 'bmd', status: 'error', code: BMD_CARD_CODE },
      { key: 'ess', status: 'error', code: DESIGN_NOT_READ_CODE },
      { key: 'bad', status: 'error', code: 'preaudit-decode-failed' },
      { key: 'other-pass', status: 'read' }, // not a sheet of this pass: not counted
    ]);
    const t = tallySheets(db, ['read1', 'bmd', 'ess', 'bad', 'missing', 'read1']);
    expect(t.total).toBe(5);
    expect(t.read + t.waitingForPerson + t.unreadable + t.notReadYet + [...t.setAside.values()].reduce((a, b) => a + b, 0)).toBe(t.total);
    expect(t).toMatchObject({ read: 1, unreadable: 1, notReadYet: 1, waitingForPerson: 0 });
    expect([...t.setAside.entries()]).toEqual([
      ['ballot-marking device cards, checked by hand', 1],
      ['ES&S border of timing marks not found', 1],
    ]);
    const text = tallyLines(t).join('\n');
    expect(text).toContain('1  sheets set aside: ES&S border of timing marks not found');
    expect(text).toContain('1  sheets that could not be read');
    expect(text).toContain('1  sheets not read yet');
    expect(preauditExitCode(t, 0)).toBe(PREAUDIT_EXIT.sheetsNotRead);
    // disagreements keep their code whatever else happened
    expect(preauditExitCode(t, 2)).toBe(PREAUDIT_EXIT.disagreements);
    db.close();
  });

  it('exit 0 only when every sheet was read and none disagrees', () => {
    const db = dbWith([{ key: 'a', status: 'read' }, { key: 'b', status: 'read' }]);
    const t = tallySheets(db, ['a', 'b']);
    expect(preauditExitCode(t, 0)).toBe(PREAUDIT_EXIT.allReadNoDisagreement);
    expect(preauditExitCode(t, 1)).toBe(PREAUDIT_EXIT.disagreements);
    expect(tallyLines(t).join('\n')).not.toContain('waiting for a person');
    db.close();
  });
});
