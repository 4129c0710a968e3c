import { err, ok, type Result } from '../core/result.ts';
import { parseError } from './errors.ts';
import type { ResultsRowInput } from './store.ts';
import type { ByteInput } from './jsonStream.ts';
import { isBlankRow, normalizeHeader, readTableRows, type RowHandler, type TableKind } from './tabular.ts';

/**
 * Published results summary (CSV or XLSX): one row per contest and choice with its vote total,
 * and per contest the ballots cast and the number of ballots suppressed from the CVR export for
 * voter privacy (small precincts). The suppressed count may sit in its own column or in a row
 * whose choice is "Suppressed" / "Ballots Suppressed". An empty contest cell carries down.
 */
const contestHeaders = new Set(['contest', 'contest name', 'office', 'race']);
const optionHeaders = new Set(['choice', 'choice name', 'candidate', 'option', 'options', 'selection', 'candidate name']);
const votesHeaders = new Set(['votes', 'total votes', 'vote count', 'total']);
const castHeaders = new Set(['ballots cast', 'total ballots cast', 'ballots']);
const suppressedHeaders = new Set(['suppressed', 'ballots suppressed', 'suppressed ballots', 'ballots suppressed for privacy']);
const suppressedRow = /^(ballots\s+)?suppressed(\s+ballots)?(\s+for\s+privacy)?$/i;
const castRow = /^(total\s+)?ballots\s+cast$/i;

export interface ResultsSummary {
  readonly rows: readonly ResultsRowInput[];
  readonly warnings: readonly string[];
}

function parseCount(v: string): number | null | 'bad' {
  const s = v.trim().replace(/,/g, '');
  if (s === '') return null;
  if (!/^\d{1,15}$/.test(s)) return 'bad';
  return Number(s);
}

export function parseResultsRows(file: string): { onRow: RowHandler; finish: () => Result<ResultsSummary> } {
  const rows: ResultsRowInput[] = [];
  const warnings: string[] = [];
  let cols: { contest: number; option?: number; votes?: number; cast?: number; suppressed?: number; names: string[] } | undefined;
  let seen = 0;
  let carryContest: string | null = null;

  const onRow: RowHandler = (cells, rowNumber) => {
    seen++;
    if (cols === undefined) {
      const n = cells.map(normalizeHeader);
      const contest = n.findIndex((h) => contestHeaders.has(h));
      if (contest < 0) {
        if (seen > 20) return parseError('import-bad-results', file, `row ${rowNumber}`, 'a header row with a "Contest" column within the first 20 rows');
        return undefined;
      }
      const find = (set: Set<string>) => {
        const i = n.findIndex((h) => set.has(h));
        return i < 0 ? undefined : i;
      };
      const found = { contest, option: find(optionHeaders), votes: find(votesHeaders), cast: find(castHeaders), suppressed: find(suppressedHeaders), names: [...cells] };
      if (found.votes === undefined && found.cast === undefined) {
        return parseError('import-bad-results', file, `row ${rowNumber} (header)`, 'a "Votes" column', 'none');
      }
      if (found.option === undefined) return parseError('import-bad-results', file, `row ${rowNumber} (header)`, 'a "Choice" (or "Candidate") column', 'none');
      cols = found;
      return undefined;
    }
    if (isBlankRow(cells)) return undefined;
    const cell = (i: number | undefined) => (i === undefined ? '' : (cells[i] ?? '').trim());
    const contestCell = cell(cols.contest);
    if (/^(grand\s+)?totals?$/i.test(contestCell)) return undefined;
    const contest = contestCell === '' ? carryContest : contestCell;
    if (contest === null) return parseError('import-bad-results', file, `row ${rowNumber}, column "${cols.names[cols.contest] ?? 'Contest'}"`, 'a contest name', 'an empty cell');
    carryContest = contest;
    const num = (i: number | undefined): number | null | { error: ReturnType<typeof parseError> } => {
      if (i === undefined) return null;
      const p = parseCount(cell(i));
      if (p === 'bad') return { error: parseError('import-bad-results', file, `row ${rowNumber}, column "${cols?.names[i] ?? ''}"`, 'a whole number of votes or ballots', JSON.stringify(cell(i).slice(0, 40))) };
      return p;
    };
    const votes = num(cols.votes);
    const cast = num(cols.cast);
    const suppressed = num(cols.suppressed);
    for (const v of [votes, cast, suppressed]) if (v !== null && typeof v === 'object') return v.error;
    const option = cell(cols.option);
    let row: ResultsRowInput = {
      rowNumber,
      contest,
      option: option === '' ? null : option,
      votes: votes as number | null,
      ballotsCast: cast as number | null,
      suppressed: suppressed as number | null,
    };
    // "Suppressed" / "Ballots Cast" written as a pseudo-choice row.
    if (option !== '' && suppressedRow.test(option)) row = { ...row, option: null, votes: null, suppressed: (votes as number | null) ?? row.suppressed };
    else if (option !== '' && castRow.test(option)) row = { ...row, option: null, votes: null, ballotsCast: (votes as number | null) ?? row.ballotsCast };
    if (rows.length >= 1_000_000) return parseError('import-bad-results', file, `row ${rowNumber}`, 'at most 1,000,000 rows');
    rows.push(row);
    return undefined;
  };
  const finish = (): Result<ResultsSummary> => {
    if (cols === undefined) return err(parseError('import-bad-results', file, undefined, 'a header row with "Contest", "Choice" and "Votes" columns', 'none'));
    if (rows.length === 0) return err(parseError('import-bad-results', file, undefined, 'at least one result row', 'none'));
    return ok({ rows, warnings });
  };
  return { onRow, finish };
}

export async function parseResults(path: ByteInput, file: string, kind: TableKind): Promise<Result<ResultsSummary>> {
  const parser = parseResultsRows(file);
  const read = await readTableRows(path, file, kind, parser.onRow);
  if (!read.ok) return read;
  const done = parser.finish();
  if (!done.ok) return done;
  return ok({ rows: done.value.rows, warnings: [...read.value.warnings, ...done.value.warnings] });
}
