import { err, ok, type Result } from '../result.ts';
import { parseError } from './errors.ts';
import { cvrNumberImageKey } from './imageKeys.ts';
import type { CvrSink, NormalizedContest, NormalizedOption, NormalizedVote } from './model.ts';
import type { ByteInput } from './jsonStream.ts';
import { isBlankRow, normalizeHeader, readTableRows, type RowHandler, type TableKind } from './tabular.ts';

/**
 * ES&S ElectionWare CVR export (CSV or XLSX): optional preamble rows (election name, date), a
 * header row starting the table with "Cast Vote Record", metadata columns (Precinct, Ballot Style,
 * ...), then one column per contest, repeated for vote-for-N contests; each cell holds the choice
 * name, "undervote" or "overvote". Reports often end with a "Total" row, which is skipped.
 */
const metadataColumns: Record<string, keyof Meta> = {
  'cast vote record': 'cvrNumber',
  'cvr number': 'cvrNumber',
  precinct: 'precinct',
  'precinct id': 'precinct',
  'precinct name': 'precinct',
  'ballot style': 'ballotStyle',
  'ballot type': 'ballotStyle',
  tabulator: 'tabulator',
  'tabulator id': 'tabulator',
  machine: 'tabulator',
  batch: 'batch',
  'batch id': 'batch',
  'reporting group': 'countingGroup',
  'counting group': 'countingGroup',
};
/** Known ES&S columns that are neither contests nor needed here. */
const ignoredColumns = new Set(['tabulator cvr', 'ballot status', 'original ballot exception', 'remaining ballot exception', 'write-in type', 'results report', 'poll place', 'card', 'sheet', 'imprinted id']);

interface Meta {
  cvrNumber: string;
  precinct: string;
  ballotStyle: string;
  tabulator: string;
  batch: string;
  countingGroup: string;
}

export interface EssCvrSummary {
  readonly records: number;
  readonly contests: readonly NormalizedContest[];
  readonly options: readonly NormalizedOption[];
  readonly totalRowSkipped: boolean;
  readonly warnings: readonly string[];
}

const maxPreambleRows = 50;
const voteForSuffix = /\s*\(\s*vote\s+for\s*=?\s*(\d+)\s*\)\s*$/i;
export const overvoteKey = '(overvote)';

export function parseEssCvrRows(file: string, sink: CvrSink): { onRow: RowHandler; finish: () => Result<EssCvrSummary> } {
  const warnings: string[] = [];
  let header: { meta: Partial<Record<keyof Meta, number>>; contestCols: { index: number; contest: string }[]; names: string[] } | undefined;
  const contestOrder: string[] = [];
  const contestInfo = new Map<string, { columns: number; declaredVoteFor: number | null }>();
  const options = new Map<string, Map<string, NormalizedOption>>();
  let records = 0;
  let seenRows = 0;
  let totalRow = false;

  const onRow: RowHandler = (cells, rowNumber) => {
    seenRows++;
    if (header === undefined) {
      const at = cells.findIndex((c) => normalizeHeader(c) === 'cast vote record' || normalizeHeader(c) === 'cvr number');
      if (at < 0) {
        if (seenRows > maxPreambleRows) return parseError('import-bad-ess-cvr', file, `row ${rowNumber}`, `a header row with a "Cast Vote Record" column within the first ${maxPreambleRows} rows`);
        return undefined; // preamble (election name, date, blank lines)
      }
      const meta: Partial<Record<keyof Meta, number>> = {};
      const contestCols: { index: number; contest: string }[] = [];
      cells.forEach((raw, index) => {
        const h = normalizeHeader(raw);
        if (h === '') return;
        const m = metadataColumns[h];
        if (m !== undefined) {
          if (meta[m] === undefined) meta[m] = index;
          return;
        }
        if (ignoredColumns.has(h)) return;
        const vf = voteForSuffix.exec(raw);
        const contest = raw.replace(voteForSuffix, '').trim();
        contestCols.push({ index, contest });
        const info = contestInfo.get(contest);
        if (info === undefined) {
          contestOrder.push(contest);
          contestInfo.set(contest, { columns: 1, declaredVoteFor: vf === null ? null : Number(vf[1]) });
        } else info.columns++;
      });
      if (contestCols.length === 0) return parseError('import-bad-ess-cvr', file, `row ${rowNumber}`, 'at least one contest column after the metadata columns');
      if (meta.precinct === undefined) warnings.push(`${file}: no "Precinct" column.`);
      if (meta.ballotStyle === undefined) warnings.push(`${file}: no "Ballot Style" column.`);
      header = { meta, contestCols, names: [...cells] };
      return undefined;
    }
    if (isBlankRow(cells)) return undefined;
    const first = (cells.find((c) => c.trim() !== '') ?? '').trim();
    if (/^(grand\s+)?totals?\b/i.test(first)) {
      totalRow = true;
      return undefined;
    }
    if (totalRow) return parseError('import-bad-ess-cvr', file, `row ${rowNumber}`, 'no ballot rows after the "Total" row');
    const get = (k: keyof Meta): string | null => {
      const i = header?.meta[k];
      if (i === undefined) return null;
      const v = (cells[i] ?? '').trim();
      return v === '' ? null : v;
    };
    const cvrNumber = get('cvrNumber');
    const cvrCol = header.names[header.meta.cvrNumber ?? 0] ?? 'Cast Vote Record';
    if (cvrNumber === null) return parseError('import-bad-ess-cvr', file, `row ${rowNumber}, column "${cvrCol}"`, 'a cast vote record number', 'an empty cell');
    if (!/^\d{1,18}$/.test(cvrNumber)) return parseError('import-bad-ess-cvr', file, `row ${rowNumber}, column "${cvrCol}"`, 'a whole number', JSON.stringify(cvrNumber.slice(0, 40)));
    if (cells.length > header.names.length && cells.slice(header.names.length).some((c) => c.trim() !== '')) {
      return parseError('import-bad-ess-cvr', file, `row ${rowNumber}`, `at most ${header.names.length} cells (as many as the header)`, `${cells.length}`);
    }
    const votes: NormalizedVote[] = [];
    for (const col of header.contestCols) {
      const v = (cells[col.index] ?? '').trim();
      const lower = v.toLowerCase();
      if (v === '' || lower === 'undervote' || lower === 'blank') continue;
      const isOver = lower === 'overvote';
      const key = isOver ? overvoteKey : v;
      votes.push({ contestKey: col.contest, optionKey: key, rank: 1, isVote: !isOver, isAmbiguous: false, markDensity: null });
      if (!isOver) {
        let m = options.get(col.contest);
        if (m === undefined) options.set(col.contest, (m = new Map()));
        if (!m.has(key)) {
          if (m.size >= 10_000) return parseError('import-bad-ess-cvr', file, `row ${rowNumber}, column "${col.contest}"`, 'at most 10,000 different choices per contest');
          m.set(key, { contestKey: col.contest, key, name: v, party: null, type: /write[- ]?in/i.test(v) ? 'Writein' : null });
        }
      }
    }
    sink.record({
      tabulator: get('tabulator'),
      batch: get('batch'),
      recordId: null,
      cvrNumber,
      imageKey: cvrNumberImageKey(cvrNumber),
      ballotStyle: get('ballotStyle'),
      precinct: get('precinct'),
      countingGroup: get('countingGroup'),
      sessionType: null,
      votes,
    });
    records++;
    return undefined;
  };

  const finish = (): Result<EssCvrSummary> => {
    if (header === undefined) return err(parseError('import-bad-ess-cvr', file, undefined, 'a header row with a "Cast Vote Record" column', 'none'));
    const contests: NormalizedContest[] = contestOrder.map((name) => {
      const info = contestInfo.get(name);
      return { key: name, name, voteFor: info?.declaredVoteFor ?? info?.columns ?? 1, numRanks: null };
    });
    return ok({ records, contests, options: [...options.values()].flatMap((m) => [...m.values()]), totalRowSkipped: totalRow, warnings });
  };
  return { onRow, finish };
}

export async function parseEssCvr(path: ByteInput, file: string, kind: TableKind, sink: CvrSink): Promise<Result<EssCvrSummary>> {
  const parser = parseEssCvrRows(file, sink);
  const read = await readTableRows(path, file, kind, parser.onRow);
  if (!read.ok) return read;
  const done = parser.finish();
  if (!done.ok) return done;
  return ok({ ...done.value, warnings: [...read.value.warnings, ...done.value.warnings] });
}

