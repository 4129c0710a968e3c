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
