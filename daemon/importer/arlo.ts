import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse as parseCsvSync } from 'csv-parse/sync';
import type { Db } from '../core/db/database.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { arloBatches, countingGroupNames } from './activeRows.ts';

/**
 * Ballot manifest for a risk-limiting audit in VotingWorks Arlo: one row per batch with Container,
 * Tabulator, Batch Name, Number of Ballots and CVR (Y/N). Tabulator and batch names are written
 * exactly as the CVR export has them, because Arlo matches CVR rows to manifest batches by them.
 */
export interface ArloManifestRow {
  readonly container: string;
  readonly tabulator: string;
  readonly batchName: string;
  readonly numberOfBallots: number;
  readonly cvr: 'Y' | 'N';
}

export const arloHeaders = ['Container', 'Tabulator', 'Batch Name', 'Number of Ballots', 'CVR'] as const;

export function arloManifestRows(db: Db): ArloManifestRow[] {
  const rows = arloBatches(db);
  const groupName = countingGroupNames(db);
  return rows.map((r) => {
    const tabulator = r.tabulator ?? 'no tabulator in CVR';
    const groups = (r.groups ?? '').split(',').filter((g) => g !== '');
    const names = groups.map((g) => groupName(r.scope, g) ?? g);
    return {
      container: names.length > 0 ? names.join(' / ') : tabulator,
      tabulator,
      batchName: r.batch ?? 'no batch in CVR',
      numberOfBallots: r.n,
      cvr: 'Y',
    };
  });
}

/**
 * A text cell starting with = + - @ (or tab / CR) is a formula to Excel and LibreOffice, and the
 * names here come from the EMS export: such a cell gets a leading ' (CSV injection). Counts are
 * numbers we computed and stay as they are.
 */
export function neutralisedCell(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

function csvCell(v: string | number): string {
  const s = typeof v === 'number' ? String(v) : neutralisedCell(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function arloManifestCsv(rows: readonly ArloManifestRow[]): string {
  const lines = [arloHeaders.join(','), ...rows.map((r) => [r.container, r.tabulator, r.batchName, r.numberOfBallots, r.cvr].map(csvCell).join(','))];
  return `${lines.join('\r\n')}\r\n`;
}

// ---------- Arlo's rules (server/util/csv_parse.py and server/api/ballot_manifest.py) ----------

export type ArloAuditType = 'BALLOT_POLLING' | 'BATCH_COMPARISON' | 'BALLOT_COMPARISON' | 'HYBRID';

interface Column {
  readonly name: string;
  readonly type: 'text' | 'number' | 'yes_no';
  readonly required: boolean;
  readonly unique: boolean;
}

const totalRegex = /(^|[^a-zA-Z])(sub)?totals?($|[^a-zA-Z])/i;

/**
 * Checks a manifest the way Arlo does when it is uploaded: comma-delimited, headers matched
 * case-insensitively and unique, required columns present and no others, same number of cells in
 * every row, no empty cells, no "total" rows, integer ballot counts, Y/N in CVR, each batch unique
 * (by Tabulator + Batch Name in ballot-comparison and hybrid audits), and no final total row.
 */
export function validateArloManifest(csvText: string, auditType: ArloAuditType = 'HYBRID'): Result<{ batches: number; ballots: number }> {
  const fail = (message: string) => err(operatorError('arlo-manifest-invalid', message, 'Fix the ballot manifest before uploading it to Arlo.'));
  if (csvText.length === 0) return fail('CSV cannot be empty.');
  const useTabulator = auditType === 'BALLOT_COMPARISON' || auditType === 'HYBRID';
  const columns: Column[] = [
    { name: 'Container', type: 'text', required: false, unique: false },
    { name: 'Tabulator', type: 'text', required: useTabulator, unique: useTabulator },
    { name: 'Batch Name', type: 'text', required: true, unique: true },
    { name: 'Number of Ballots', type: 'number', required: true, unique: false },
  ];
  if (auditType === 'HYBRID') columns.push({ name: 'CVR', type: 'yes_no', required: true, unique: false });
  const firstLine = csvText.split(/\r?\n/, 1)[0] ?? '';
  if (!firstLine.includes(',') && firstLine.includes('\t')) return fail('Please submit a valid CSV file with columns separated by commas. This file has columns separated by tabs.');
  let records: string[][];
  try {
    records = parseCsvSync(csvText, { relax_column_count: true, skip_empty_lines: false }) as string[][];
  } catch (e) {
    return fail(`Please submit a valid CSV. (${(e as Error).message})`);
  }
  records = records.map((r) => r.map((c) => c.trim()));
  if (records.length < 2) return fail('CSV must contain at least one row after headers.');
  let headers = records[0] ?? [];
  let trailing = 0;
  for (let i = headers.length - 1; i >= 0 && headers[i] === ''; i--) trailing++;
  let body = records.slice(1);
  if (trailing > 0) {
    for (let r = 0; r < body.length; r++) {
      const row = body[r] ?? [];
      const extra = row.slice(headers.length - trailing);
      if (extra.some((c) => c !== '')) return fail(`Empty trailing column expected to have no values, but row ${r + 2} has a value.`);
    }
    headers = headers.slice(0, headers.length - trailing);
    body = body.map((row) => row.slice(0, headers.length));
  }
  const normalized = headers.map((h) => columns.find((c) => c.name.toLowerCase() === h.toLowerCase())?.name ?? h);
  if (new Set(normalized).size !== normalized.length) return fail('Column headers must be unique.');
  const missing = columns.filter((c) => c.required && !normalized.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) return fail(`Missing required column${missing.length === 1 ? '' : 's'}: ${missing.sort().join(', ')}.`);
  const allowed = new Set(columns.map((c) => c.name));
  if (normalized.some((h) => !allowed.has(h))) return fail(`Found unexpected columns. Allowed columns: ${[...allowed].sort().join(', ')}.`);
  const seen = new Set<string>();
  const uniqueCols = columns.filter((c) => c.unique && normalized.includes(c.name)).map((c) => c.name).sort();
  const numbers: number[] = [];
  let ballots = 0;
  let batches = 0;
  for (let r = 0; r < body.length; r++) {
    const raw = body[r] ?? [];
    const row = raw.length === 0 || (raw.length === 1 && raw[0] === '') ? normalized.map(() => '') : raw;
    if (row.length !== normalized.length) return fail(`Wrong number of cells in row ${r + 2}. Expected ${normalized.length} cells, got ${row.length} cells.`);
    if (row.every((c) => c === '')) continue;
    const rec: Record<string, string> = {};
    normalized.forEach((h, i) => {
      rec[h] = row[i] ?? '';
    });
    for (const h of normalized) if (rec[h] === '') return fail(`A value is required for the cell at column ${h}, row ${r + 2}.`);
    for (const h of normalized) if (totalRegex.test(rec[h] ?? '')) return fail(`It looks like you might have a total row (row ${r + 2}). Please remove this row from the CSV.`);
    for (const c of columns) {
      const v = rec[c.name];
      if (v === undefined) continue;
      if (c.type === 'number') {
        // Python's locale.atoi under en_US: optional sign, digits with thousands separators.
        if (!/^[+-]?(\d+|\d{1,3}(,\d{3})+)$/.test(v)) return fail(`Expected a number in column ${c.name}, row ${r + 2}. Got: ${v}.`);
        const n = Number(v.replace(/,/g, ''));
        numbers.push(n);
        ballots += n;
      } else if (c.type === 'yes_no' && !['y', 'yes', 'n', 'no'].includes(v.toLowerCase())) {
        return fail(`Expected Y or N in column ${c.name}, row ${r + 2}. Got: ${v}.`);
      }
    }
    const key = JSON.stringify(uniqueCols.map((c) => rec[c]));
    if (seen.has(key)) return fail(`Each row must be uniquely identified by (${uniqueCols.join(', ')}). Found duplicate: ${uniqueCols.map((c) => rec[c]).join(', ')}.`);
    seen.add(key);
    batches++;
  }
  const last = numbers[numbers.length - 1];
  if (last !== undefined && last !== 0 && numbers.slice(0, -1).reduce((a, b) => a + b, 0) === last) {
    return fail('It looks like the last row in the CSV might be a total row. Please remove this row from the CSV.');
  }
  return ok({ batches, ballots });
}

/** Builds the manifest from the active CVRs, checks it with Arlo's rules, then writes it. */
export async function exportArloManifest(db: Db, path: string): Promise<Result<{ path: string; batches: number; ballots: number }>> {
  let rows = arloManifestRows(db);
  // Arlo takes a last row equal to the sum of the others for a total row; the order is free.
  const last = rows[rows.length - 1];
  if (last !== undefined && rows.length > 2 && rows.slice(0, -1).reduce((a, r) => a + r.numberOfBallots, 0) === last.numberOfBallots) {
    rows = [last, ...rows.slice(0, -1)];
  }
  if (rows.length === 0) return err(operatorError('arlo-manifest-empty', 'No CVR records have been imported, so there is no ballot manifest to export.', 'Import the CVR export first.'));
  const csv = arloManifestCsv(rows);
  const checked = validateArloManifest(csv, 'HYBRID');
  if (!checked.ok) return checked;
  try {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, csv);
    await rename(`${path}.tmp`, path);
  } catch (e) {
    return err(operatorError('arlo-manifest-write-failed', `Could not write ${path}: ${(e as Error).message}`, 'Check free space and permissions.'));
  }
  return ok({ path, ...checked.value });
}
