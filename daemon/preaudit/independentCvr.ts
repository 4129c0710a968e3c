/**
 * The pre-audit's own reading of every sheet, as a CSV an auditor can tally independently of the
 * EMS: one row per sheet, contest and option (`independent-cvr.csv` in the report folder), for
 * every ballot design, sheets without a CVR included. Sheets that could not be read are not in it
 * (the report lists them); their targets were never measured.
 *
 * `files`: the sheet's image files, `;`-separated, as named in the export: a file's own name
 * (`00005_00001_000001.tif`, `000123i.pdf`), or for a sheet inside an ES&S export zip the zip's name,
 * ` > ` and the member's path inside it (`Ballot Images.zip > T Albion/Nonpartisan/000123i.pdf`).
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CatalogStore } from '../capture/catalogStore.ts';
import type { Db } from '../core/db/database.ts';
import type { AuditMarkPages } from './auditMarkPages.ts';
import type { ContestDefinition } from './layout.ts';
import { storedFiles } from './storedJson.ts';
import { readSheetsWithFiles } from './viewStore.ts';
import { memberOfZipPath } from './zipMembers.ts';
import { ZIP_MEMBER_SEPARATOR } from '../importer/zipImages.ts';

export const INDEPENDENT_CVR_FILE = 'independent-cvr.csv';

// `auditmark`: where the tabulator's own record of the sheet is (Dominion's AuditMark page), as evidence.
// `style_from`: how the sheet's style was known (its printed code, or its CVR's ballot type when the code was not readable).
const HEADER = ['ballot', 'files', 'style', 'contest', 'option', 'mark', 'score', 'auditmark', 'style_from'] as const;

/** interpret.ts StyleSource in an auditor's words; empty for a sheet read before it was kept. */
const STYLE_FROM_WORDS: Readonly<Record<string, string>> = {
  'printed-code': 'printed code',
  'printed-ovals': 'printed ovals (ES&S)',
  'cvr-ballot-type': 'CVR ballot type',
  'only-style': 'only style learned',
};

// Stored JSON is an edge too: only what this file needs, checked.
const storedPages = z.array(
  z.object({
    targets: z.array(z.object({ contestId: z.string(), optionId: z.string(), fill: z.number(), mark: z.enum(['marked', 'marginal', 'unmarked']) })),
  }),
);
const storedIds = z.array(z.number().int());

/** Between a zip's name and a member inside it, in the `files` column: the same as phase 1's names. */
export { ZIP_MEMBER_SEPARATOR };

export interface IndependentCvrRow {
  readonly ballot: string;
  readonly files: string;
  readonly style: string;
  readonly contest: string;
  readonly option: string;
  readonly mark: 'marked' | 'marginal' | 'unmarked';
  readonly score: number;
  /** "<file> page 3" for a sheet whose TIFF carries an AuditMark page; empty otherwise. */
  readonly auditmark: string;
  /** How the style was known: "printed code", "CVR ballot type", "only style learned"; empty when not kept. */
  readonly style_from: string;
}

/** The rows, ballot by ballot, in the order the sheet's targets were read; `auditMarks` from auditMarkPages(). */
export function independentCvrRows(db: Db, contests: readonly ContestDefinition[] = [], auditMarks: AuditMarkPages = new Map()): IndependentCvrRow[] {
  const sheets = readSheetsWithFiles(db);
  const catalog = new CatalogStore(db);
  const titles = new Map(contests.map((c) => [c.id, c.title]));
  const names = new Map(contests.flatMap((c) => c.options.map((o) => [`${c.id}\u0000${o.id}`, o.name] as const)));
  const rows: IndependentCvrRow[] = [];
  for (const s of sheets) {
    const pages = storedPages.safeParse(JSON.parse(s.pages_json ?? '[]'));
    if (!pages.success) continue;
    const ids = storedIds.safeParse(JSON.parse(s.file_version_ids_json ?? '[]'));
    const catalogNames = (ids.success ? ids.data : []).map((id) => catalog.getVersion(id)?.relPath).filter((p): p is string => p !== undefined).map((p) => path.posix.basename(p));
    const files = filesOfSheet(catalogNames, s.files_json).join(';');
    for (const page of pages.data) {
      for (const t of page.targets) {
        rows.push({
          ballot: s.image_key ?? s.sheet_key,
          files,
          style: s.style_id ?? '',
          contest: titles.get(t.contestId) ?? t.contestId,
          option: names.get(`${t.contestId}\u0000${t.optionId}`) ?? writeInName(t.optionId),
          mark: t.mark,
          score: Math.round(t.fill * 1000) / 1000,
          auditmark: auditMarks.get(s.sheet_key) ?? '',
          style_from: s.style_from === null ? '' : (STYLE_FROM_WORDS[s.style_from] ?? ''),
        });
      }
    }
  }
  return rows.sort((a, b) => a.ballot.localeCompare(b.ballot, 'en', { numeric: true }));
}

/**
 * The sheet's files as a person finds them: each catalog file's name, and for a sheet inside an
 * ES&S export zip (one catalog file, the zip) each member inside it after ` > `, a character no
 * Windows file name holds: `Ballot Images.zip > T Albion/Nonpartisan/000123i.pdf`.
 */
function filesOfSheet(catalogNames: readonly string[], filesJson: string): string[] {
  const read = storedFiles.safeParse(JSON.parse(filesJson));
  const members = (read.success ? read.data : []).map(memberOfZipPath).filter((m): m is string => m !== undefined);
  const zip = catalogNames[0];
  if (members.length === 0 || zip === undefined) return [...catalogNames];
  return members.map((m) => `${zip}${ZIP_MEMBER_SEPARATOR}${m}`);
}

/** "write-in-0" → "Write-in 1", numbered as the EMS numbers its lines. */
export function writeInName(optionId: string): string {
  const m = /^write-in-(\d+)$/.exec(optionId);
  return m === null ? optionId : `Write-in ${Number(m[1]) + 1}`;
}

/** One CSV field: quoted when needed; a leading = + - @ is defused so a spreadsheet shows it as text. */
function field(value: string | number): string {
  let s = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function independentCvrCsv(rows: readonly IndependentCvrRow[]): string {
  const lines = [HEADER.join(',')];
  for (const r of rows) lines.push(HEADER.map((k) => field(r[k])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

/** Writes independent-cvr.csv under `outDir`; returns its path and the number of rows. */
export async function writeIndependentCvr(
  db: Db,
  outDir: string,
  contests: readonly ContestDefinition[] = [],
  auditMarks: AuditMarkPages = new Map(),
): Promise<{ path: string; rows: number }> {
  const rows = independentCvrRows(db, contests, auditMarks);
  const file = path.join(outDir, INDEPENDENT_CVR_FILE);
  await writeFile(file, independentCvrCsv(rows));
  return { path: file, rows: rows.length };
}
