import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureMigrations } from '../capture/schema.ts';
import { coreMigrations } from '../db/coreSchema.ts';
import { openDatabase, type Db } from '../db/database.ts';
import { importMigrations } from './schema.ts';

/** Test helpers (imported only by *.test.ts and bench). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpusDir = resolve(repoRoot, '..', 'shared', 'corpus');
export const dominionCorpus = join(corpusDir, 'dominion-alaska-2024-partial');
export const nistCorpus = join(corpusDir, 'nist-cvr');

/** A database with only the areas the importer reads (core, capture catalog, import). */
export function importTestDb(path = ':memory:'): Db {
  return openDatabase(path, [coreMigrations, captureMigrations, importMigrations]);
}

export function tempDir(prefix = 'ballotsafe-import-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes rows to an .xlsx file with exceljs (fixtures for the xlsx parsers). */
export async function writeXlsx(path: string, rows: readonly (readonly (string | number | null)[])[], sheetName = 'Sheet1'): Promise<void> {
  const ExcelJS = (await import('exceljs')).default;
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheetName);
  for (const r of rows) ws.addRow(r.map((v) => (v === null ? undefined : v)));
  await wb.xlsx.writeFile(path);
}

export function csvText(rows: readonly (readonly (string | number)[])[]): string {
  return rows.map((r) => r.map((c) => (/[",\r\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : String(c))).join(',')).join('\r\n') + '\r\n';
}
