import { err, ok, type OperatorError, type Result } from '../core/result.ts';
import { parseError } from './errors.ts';
import { cvrNumberImageKey } from './imageKeys.ts';
import type { ByteInput } from './jsonStream.ts';
import type { CvrSink, NormalizedContest, NormalizedOption, NormalizedVote } from './model.ts';
import { isBlankRow, readCsvRows } from './tabular.ts';

/**
 * Clear Ballot ClearCount CVR CSV: one header row (RowNumber, BoxID, BoxPosition, BallotID,
 * PrecinctID, BallotStyleID, PrecinctStyleName, ScanComputerName, Status, Remade), then one column
 * per choice and rank, named "Choice_<id>_<n>:<contest>:<rank>:Vote For <N>:<choice>:<party>",
 * holding 1 (marked) or 0.
 */
export function isClearBallotHeader(cells: readonly string[]): boolean {
  const h = cells.slice(0, 4).map((c) => c.replace(/^\uFEFF/, '').trim().toLowerCase());
  return h[0] === 'rownumber' && h[1] === 'boxid' && h[2] === 'boxposition' && h[3] === 'ballotid';
}

const choiceColumn = /^Choice_\d+_\d+:(.*):(\d{1,3}):Vote For (\d{1,4}):(.*):(.*)$/;
const fixed = ['rownumber', 'boxid', 'boxposition', 'ballotid', 'precinctid', 'ballotstyleid', 'precinctstylename', 'scancomputername', 'status', 'remade'] as const;

export interface ClearBallotSummary {
  readonly records: number;
  readonly contests: readonly NormalizedContest[];
  readonly options: readonly NormalizedOption[];
  readonly warnings: readonly string[];
}

export async function parseClearBallotCsv(path: ByteInput, file: string, sink: CvrSink): Promise<Result<ClearBallotSummary>> {
  let columns: { index: number; contest: string; rank: number; option: string }[] | undefined;
  const at = new Map<string, number>();
  const contests = new Map<string, NormalizedContest>();
  const options = new Map<string, NormalizedOption>();
  let records = 0;
  const onRow = (cells: readonly string[], row: number): OperatorError | undefined => {
    if (columns === undefined) {
      if (!isClearBallotHeader(cells)) return parseError('import-bad-clear-ballot', file, `row ${row}`, 'the Clear Ballot header (RowNumber, BoxID, BoxPosition, BallotID, ...)');
      columns = [];
      cells.forEach((raw, index) => {
        const name = raw.replace(/^\uFEFF/, '').trim();
        const f = fixed.find((x) => x === name.toLowerCase());
        if (f !== undefined) {
          at.set(f, index);
          return;
        }
        const m = choiceColumn.exec(name);
        if (m === null) return;
        const contest = (m[1] ?? '').trim();
        const rank = Number(m[2]);
        const option = (m[4] ?? '').trim();
        const c = contests.get(contest);
        contests.set(contest, { key: contest, name: contest, voteFor: Number(m[3]), numRanks: Math.max(c?.numRanks ?? 1, rank) });
        options.set(`${contest}\u0000${option}`, { contestKey: contest, key: option, name: option, party: (m[5] ?? '').trim() || null, type: /write-?in/i.test(option) ? 'Writein' : null });
        columns?.push({ index, contest, rank, option });
      });
      if (columns.length === 0) return parseError('import-bad-clear-ballot', file, `row ${row}`, 'choice columns named "Choice_<id>_<n>:<contest>:<rank>:Vote For <N>:<choice>:<party>"');
      return undefined;
    }
    if (isBlankRow(cells)) return undefined;
    const votes: NormalizedVote[] = [];
    for (const c of columns) {
      const v = (cells[c.index] ?? '').trim();
      if (v === '' || v === '0') continue;
      if (v !== '1') return parseError('import-bad-clear-ballot', file, `row ${row}, column ${c.index + 1}`, 'a 1 or 0', JSON.stringify(v.slice(0, 20)));
      votes.push({ contestKey: c.contest, optionKey: c.option, rank: c.rank, isVote: true, isAmbiguous: false, markDensity: null });
    }
    const get = (f: (typeof fixed)[number]): string | null => {
      const i = at.get(f);
      const v = i === undefined ? '' : (cells[i] ?? '').trim();
      return v === '' ? null : v;
    };
    const ballotId = get('ballotid');
    sink.record({
      tabulator: get('scancomputername'),
      batch: get('boxid'),
      recordId: get('boxposition'),
      cvrNumber: ballotId,
      imageKey: ballotId === null ? null : cvrNumberImageKey(ballotId),
      ballotStyle: get('ballotstyleid'),
      precinct: get('precinctid'),
      countingGroup: get('precinctstylename'),
      sessionType: null,
      votes,
    });
    records++;
    return undefined;
  };
  const read = await readCsvRows(path, file, onRow);
  if (!read.ok) return read;
  if (columns === undefined) return err(parseError('import-bad-clear-ballot', file, undefined, 'a header row', 'an empty file'));
  return ok({ records, contests: [...contests.values()].map((c) => (c.numRanks === 1 ? { ...c, numRanks: null } : c)), options: [...options.values()], warnings: read.value.warnings });
}
