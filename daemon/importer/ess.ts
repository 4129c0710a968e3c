import { err, ok, type Result } from '../core/result.ts';
import { parseError } from './errors.ts';
import { cvrNumberImageKey } from './imageKeys.ts';
import type { CvrSink, NormalizedContest, NormalizedOption, NormalizedVote } from './model.ts';
import type { ByteInput } from './jsonStream.ts';
import { essHeader, type EssHeader, type EssMeta } from './essHeader.ts';
import { isBlankRow, readTableRows, type RowHandler, type TableKind } from './tabular.ts';
import { readXlsxStreamRows } from './xlsxStream.ts';

/**
 * ES&S ElectionWare CVR export (CSV or XLSX): optional preamble rows (election name, date), a
 * header row (see essHeader.ts: with or without a "Cast Vote Record" column, a COUNT column,
 * contest columns repeated for vote-for-N or one per rank), then one row per ballot; each cell
 * holds the choice name, "undervote" or "overvote" (both kept per contest). Reports often end
 * with a "Total" row, which is skipped.
 */
export interface EssCvrSummary {
  readonly records: number;
  readonly contests: readonly NormalizedContest[];
  readonly options: readonly NormalizedOption[];
  readonly totalRowSkipped: boolean;
  readonly warnings: readonly string[];
}

const maxPreambleRows = 50;
const maxCount = 10_000;
export const overvoteKey = '(overvote)';

export function parseEssCvrRows(file: string, sink: CvrSink): { onRow: RowHandler; finish: () => Result<EssCvrSummary> } {
  const warnings: string[] = [];
  let header: EssHeader | undefined;
  const options = new Map<string, Map<string, NormalizedOption>>();
  let records = 0;
  let seenRows = 0;
  let totalRow = false;

  const onRow: RowHandler = (cells, rowNumber) => {
    seenRows++;
    if (header === undefined) {
      const found = essHeader(cells);
      if (found === undefined) {
        if (seenRows > maxPreambleRows) {
          return parseError('import-bad-ess-cvr', file, `row ${rowNumber}`, `a header row with a "Cast Vote Record" column (or a "Precinct" or "Ballot Style" column and contest columns) within the first ${maxPreambleRows} rows`);
        }
        return undefined; // preamble (election name, date, blank lines)
      }
      if (found.columns.length === 0) return parseError('import-bad-ess-cvr', file, `row ${rowNumber}`, 'at least one contest column after the metadata columns');
      if (found.meta.precinct === undefined) warnings.push(`${file}: no "Precinct" column.`);
      if (found.meta.ballotStyle === undefined) warnings.push(`${file}: no "Ballot Style" column.`);
      if (found.meta.cvrNumber === undefined) warnings.push(`${file}: no "Cast Vote Record" column; each row is one ballot, numbered by its row.`);
      header = found;
      return undefined;
    }
    if (isBlankRow(cells)) return undefined;
    const first = (cells.find((c) => c.trim() !== '') ?? '').trim();
    if (/^(grand\s+)?totals?\b/i.test(first)) {
      totalRow = true;
      return undefined;
    }
    if (totalRow) return parseError('import-bad-ess-cvr', file, `row ${rowNumber}`, 'no ballot rows after the "Total" row');
    const h = header;
    const get = (k: keyof EssMeta): string | null => {
      const i = h.meta[k];
      if (i === undefined) return null;
      const v = (cells[i] ?? '').trim();
      return v === '' ? null : v;
    };
    const cvrNumber = get('cvrNumber');
    if (h.meta.cvrNumber !== undefined) {
      const cvrCol = h.names[h.meta.cvrNumber] ?? 'Cast Vote Record';
      if (cvrNumber === null) return parseError('import-bad-ess-cvr', file, `row ${rowNumber}, column "${cvrCol}"`, 'a cast vote record number', 'an empty cell');
      if (!/^\d{1,18}$/.test(cvrNumber)) return parseError('import-bad-ess-cvr', file, `row ${rowNumber}, column "${cvrCol}"`, 'a whole number', JSON.stringify(cvrNumber.slice(0, 40)));
    }
    let count = 1;
    const countCell = get('count');
    if (h.meta.count !== undefined) {
      if (countCell === null || !/^\d{1,6}$/.test(countCell) || Number(countCell) < 1 || Number(countCell) > maxCount) {
        return parseError('import-bad-ess-cvr', file, `row ${rowNumber}, column "${h.names[h.meta.count] ?? 'COUNT'}"`, `a ballot count from 1 to ${maxCount}`, JSON.stringify((countCell ?? '').slice(0, 20)));
      }
      count = Number(countCell);
    }
    if (cells.length > h.names.length && cells.slice(h.names.length).some((c) => c.trim() !== '')) {
      return parseError('import-bad-ess-cvr', file, `row ${rowNumber}`, `at most ${h.names.length} cells (as many as the header)`, `${cells.length}`);
    }
    const votes: NormalizedVote[] = [];
    const status = new Map<string, { under: number; over: number }>();
    for (const col of h.columns) {
      const v = (cells[col.index] ?? '').trim();
      const lower = v.toLowerCase();
      if (v === '') continue;
      if (lower === 'undervote' || lower === 'blank' || lower === 'overvote') {
        // Kept as the vendor said it, per contest (a ranked contest counts each rank's cell).
        const st = status.get(col.contest) ?? { under: 0, over: 0 };
        if (lower === 'overvote') st.over++;
        else st.under++;
        status.set(col.contest, st);
        if (lower !== 'overvote') continue;
      }
      const isOver = lower === 'overvote';
      const key = isOver ? overvoteKey : v;
      votes.push({ contestKey: col.contest, optionKey: key, rank: col.rank, isVote: !isOver, isAmbiguous: false, markDensity: null });
      if (!isOver) {
        let m = options.get(col.contest);
        if (m === undefined) options.set(col.contest, (m = new Map()));
        if (!m.has(key)) {
          if (m.size >= 10_000) return parseError('import-bad-ess-cvr', file, `row ${rowNumber}, column "${col.contest}"`, 'at most 10,000 different choices per contest');
          m.set(key, { contestKey: col.contest, key, name: v, party: null, type: /write[- ]?in/i.test(v) ? 'Writein' : null });
        }
      }
    }
    const contestStatus = [...status].map(([contestKey, st]) => ({ contestKey, undervotes: st.under, overvotes: st.over, conditions: [] }));
    for (let k = 1; k <= count; k++) {
      sink.record({
        tabulator: get('tabulator'),
        batch: get('batch'),
        // Without a CVR number the row is the ballot's identity (unique within this file only).
        recordId: cvrNumber === null ? (count === 1 ? `row ${rowNumber}` : `row ${rowNumber}.${k}`) : null,
        cvrNumber,
        imageKey: cvrNumber === null ? null : cvrNumberImageKey(cvrNumber),
        ballotStyle: get('ballotStyle'),
        precinct: get('precinct'),
        countingGroup: get('countingGroup'),
        sessionType: null,
        votes,
        contestStatus,
      });
      records++;
    }
    return undefined;
  };

  const finish = (): Result<EssCvrSummary> => {
    if (header === undefined) return err(parseError('import-bad-ess-cvr', file, undefined, 'a header row with a "Cast Vote Record", "Precinct" or "Ballot Style" column', 'none'));
    const contests: NormalizedContest[] = [...header.contests].map(([name, c]) => ({ key: name, name, voteFor: c.voteFor, numRanks: c.numRanks }));
    return ok({ records, contests, options: [...options.values()].flatMap((m) => [...m.values()]), totalRowSkipped: totalRow, warnings });
  };
  return { onRow, finish };
}

export async function parseEssCvr(path: ByteInput, file: string, kind: TableKind, sink: CvrSink): Promise<Result<EssCvrSummary>> {
  const parser = parseEssCvrRows(file, sink);
  // Big county workbooks are streamed; bytes already in memory (tests, fuzzing) use the loader.
  const read = kind === 'xlsx' && typeof path === 'string' ? await readXlsxStreamRows(path, file, parser.onRow) : await readTableRows(path, file, kind, parser.onRow);
  if (!read.ok) return read;
  const done = parser.finish();
  if (!done.ok) return done;
  return ok({ ...done.value, warnings: [...read.value.warnings, ...done.value.warnings] });
}

