import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownerOfTables, productFiles, readSource, violations } from './sqlTables.ts';

/**
 * Issue #17: each table is read and written only by its owning folder's store. The owning folder of a table is
 * the folder whose migrations create it (derived from the `CREATE TABLE` statements, not typed here); the
 * store files of each folder are listed below. SQL naming a table anywhere else in daemon/ fails this test.
 * Tests may still use SQL (they are not scanned).
 */

const daemonDir = resolve(import.meta.dirname, '../../daemon');

/** The files of each folder that may hold SQL on that folder's tables. */
const storeFiles: Record<string, readonly string[]> = {
  core: ['core/db/database.ts', 'core/state/alerts.ts', 'core/state/alertResolution.ts', 'core/state/auditLog.ts', 'core/applianceFacts.ts'],
  // The catalog's writer is capture's hot write path; everyone else reads through catalogStore.ts.
  capture: ['capture/catalogStore.ts', 'capture/catalogWriter.ts', 'capture/specialFiles.ts'],
  importer: ['importer/store.ts', 'importer/sourceRows.ts', 'importer/activeRows.ts'],
  preaudit: ['preaudit/store.ts', 'preaudit/viewStore.ts'],
  snapshot: ['snapshot/store.ts'],
  drives: ['drives/store.ts'],
  custody: ['custody/store.ts'],
  intake: ['intake/store.ts'],
  web: ['web/store.ts'],
};

/**
 * SQL still outside its owner, as `file: table`. This list only shrinks: an entry that is no longer needed fails
 * the test too, so remove it when you move the SQL.
 */
const notYetMoved: readonly string[] = [];

describe('table ownership', () => {
  const files = productFiles(daemonDir, daemonDir);
  const read = (file: string): string => readSource(daemonDir, file);

  it('derives an owner for every table from the migrations, and each owner has store files', () => {
    const owner = ownerOfTables(files, read);
    expect(owner.get('file_versions')).toBe('capture');
    expect(owner.get('cvr_records')).toBe('importer');
    expect(owner.get('preaudit_sheets')).toBe('preaudit');
    expect(owner.get('appliance_facts')).toBe('core');
    for (const folder of new Set(owner.values())) expect(storeFiles[folder], `store files of ${folder}/`).toBeDefined();
  });

  it('finds SQL naming a table only in its owner’s store files', () => {
    const found = violations(files, read, storeFiles);
    expect(found.filter((v) => !notYetMoved.includes(v))).toEqual([]);
    expect(notYetMoved.filter((v) => !found.includes(v)), 'moved already: remove from notYetMoved').toEqual([]);
  });

  it('catches a planted violation, and ignores prose and comments that name a table', () => {
    const planted: Record<string, string> = {
      'capture/schema.ts': "export const s = `CREATE TABLE file_versions (id INTEGER PRIMARY KEY);`;",
      'capture/catalogStore.ts': "export const q = 'SELECT * FROM file_versions';",
      'web/page.ts': [
        '// SELECT * FROM file_versions in a comment is not SQL',
        "export const words = 'The file_versions table holds every capture';",
        'export const sql = `SELECT count(*) FROM file_versions WHERE id > ${0}`;',
      ].join('\n'),
      // A column that shares a table's name is not the table; the table itself still counts wherever it is named.
      'intake/store.ts': "export const u = 'UPDATE stick_intakes SET file_versions = ?, file_versions=? WHERE id = ?';",
      'intake/other.ts': "export const q = 'SELECT n FROM stick_intakes WHERE file_versions >= 1 UNION SELECT id FROM file_versions';",
    };
    const plantedRead = (file: string): string => planted[file] ?? '';
    expect(violations(Object.keys(planted), plantedRead, storeFiles)).toEqual(['intake/other.ts: file_versions', 'web/page.ts: file_versions']);
  });
});
