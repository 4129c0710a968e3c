import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Finds which tables the SQL text of a source file names (issue #17, table ownership). SQL is any string or
 * template literal that starts with an SQL statement word; a table is named when one of the known table names
 * appears in it as a whole word. Comments and prose never count, only literals.
 */

const statementStart = /^\s*(?:--[^\n]*\n\s*)*(SELECT|INSERT|UPDATE|DELETE|REPLACE|CREATE|ALTER|DROP|WITH|PRAGMA)\b/;

/** The text of every string and template literal in a TypeScript source (substitutions left as a space). */
const parsed = new Map<string, string[]>();

export function literalsOf(fileName: string, source: string): string[] {
  const key = `${fileName}\0${source}`;
  const cached = parsed.get(key);
  if (cached !== undefined) return cached;
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, false, fileName.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) out.push(node.text);
    else if (ts.isTemplateExpression(node)) {
      out.push([node.head.text, ...node.templateSpans.map((span) => span.literal.text)].join(' '));
      node.templateSpans.forEach((span) => visit(span.expression));
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  parsed.set(key, out);
  return out;
}

export function isSql(literal: string): boolean {
  return statementStart.test(literal);
}

/**
 * The tables (of `known`) named by the SQL of a source: anywhere in a literal that starts a statement (except as a
 * column: followed by `=`), or right after FROM/JOIN/INTO/UPDATE/TABLE in any literal (SQL glued from pieces).
 */
export function tablesNamedIn(fileName: string, source: string, known: readonly string[]): Set<string> {
  const named = new Set<string>();
  for (const literal of literalsOf(fileName, source)) {
    const sql = isSql(literal);
    for (const table of known) {
      // A name followed by `=` is a column being set or compared (stick_intakes.special_files), never a table.
      const pattern = sql ? `\\b${table}\\b(?!\\s*=)` : `\\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\\s+${table}\\b`;
      if (new RegExp(pattern).test(literal)) named.add(table);
    }
  }
  return named;
}

/** Tables created by a source's SQL: `CREATE TABLE [IF NOT EXISTS] name`. */
export function tablesCreatedIn(fileName: string, source: string): string[] {
  const created: string[] = [];
  for (const literal of literalsOf(fileName, source)) {
    for (const match of literal.matchAll(/\bCREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?([a-z_][a-z0-9_]*)/gi)) {
      if (match[1] !== undefined) created.push(match[1]);
    }
  }
  return created;
}

/** Every non-test .ts/.tsx file under a directory, as paths relative to `base`. */
export function productFiles(dir: string, base: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return productFiles(path, base);
    if (!/\.tsx?$/.test(entry.name) || /\.test\.tsx?$/.test(entry.name) || entry.name.endsWith('.d.ts')) return [];
    return [relative(base, path)];
  });
}

export function readSource(base: string, file: string): string {
  return readFileSync(join(base, file), 'utf8');
}

/** Migrations are DDL: they may name other folders' tables (foreign keys, triggers), and shipped steps are never edited. */
const isMigration = (file: string): boolean => /(^|\/)(schema|coreSchema)\.ts$/.test(file);

export function ownerOfTables(files: readonly string[], read: (file: string) => string): Map<string, string> {
  const owner = new Map<string, string>();
  for (const file of files) {
    for (const table of tablesCreatedIn(file, read(file))) {
      const folder = file.split('/')[0] ?? '';
      const before = owner.get(table);
      if (before !== undefined && before !== folder) throw new Error(`table ${table} is created by both ${before} and ${folder}`);
      owner.set(table, folder);
    }
  }
  return owner;
}

/** `file: table` for every table named by SQL in a file that is not one of its owner's store files. */
export function violations(files: readonly string[], read: (file: string) => string, storeFiles: Readonly<Record<string, readonly string[]>>): string[] {
  const owner = ownerOfTables(files, read);
  const found: string[] = [];
  for (const file of files) {
    if (isMigration(file)) continue;
    for (const table of tablesNamedIn(file, read(file), [...owner.keys()])) {
      const folder = owner.get(table) ?? '';
      if (!(storeFiles[folder] ?? []).includes(file)) found.push(`${file}: ${table}`);
    }
  }
  return found.sort();
}
