import { err, ok, type OperatorError, type Result } from '../core/result.ts';
import { parseError } from './errors.ts';
import { dominionImageKey } from './imageKeys.ts';
import type { ByteInput } from './jsonStream.ts';
import type { CvrSink, NormalizedContest, NormalizedOption, NormalizedVote } from './model.ts';
import { normalizeHeader, readCsvRows } from './tabular.ts';

/**
 * Dominion Democracy Suite CSV export ("CVR_Export_<time>.csv"): four header rows (election
 * name and version; contest per column, "Name (Vote For=N)"; choice per column; the fixed
 * columns' names: CvrNumber, TabulatorNum, BatchId, RecordId, ImprintedId, CountingGroup,
 * PrecinctPortion, BallotType), then one row per ballot with 1/0 (or empty: not on this ballot)
 * per choice. Excel-protected cells are written ="123"; the wrapper is removed.
 */

export function isDominionCsvHeader(cells: readonly string[]): boolean {
  const n = cells.map(unwrap).map(normalizeHeader);
  return n.includes('cvrnumber') && n.includes('tabulatornum') && n.includes('recordid');
}

function unwrap(cell: string): string {
  const m = /^="(.*)"$/s.exec(cell);
  return (m === null ? cell : (m[1] ?? '')).trim();
}

const fixed = ['cvrnumber', 'tabulatornum', 'batchid', 'recordid', 'imprintedid', 'countinggroup', 'precinctportion', 'ballottype'] as const;
type Fixed = (typeof fixed)[number];

export interface DominionCsvSummary {
  readonly records: number;
  readonly contests: readonly NormalizedContest[];
  readonly options: readonly NormalizedOption[];
  readonly warnings: readonly string[];
}

interface ChoiceColumn {
  readonly index: number;
  readonly contestKey: string;
  readonly optionKey: string;
  readonly rank: number;
}

const rankedChoice = /^(.*?)\s*\((\d{1,3})\)$/;

/** "Mayor (Vote For=1)" -> the contest's name and vote-for. */
function splitContestHeader(header: string): { contest: string; voteFor: number | null } {
  const m = /^(.*?)\s*\(Vote For=(\d+)\)\s*$/i.exec(header);
  return m === null ? { contest: header, voteFor: null } : { contest: m[1] ?? header, voteFor: Number(m[2]) };
}

export async function parseDominionCsv(path: ByteInput, file: string, sink: CvrSink): Promise<Result<DominionCsvSummary>> {
  const header: string[][] = [];
  let columns: Map<Fixed, number> | undefined;
  const choices: ChoiceColumn[] = [];
  const contests = new Map<string, NormalizedContest>();
  const options = new Map<string, NormalizedOption>();
  let records = 0;
  const onRow = (raw: readonly string[], row: number): OperatorError | undefined => {
    const cells = raw.map(unwrap);
    if (columns === undefined) {
      header.push(cells);
      if (header.length < 4) return undefined;
      if (!isDominionCsvHeader(cells)) return parseError('import-bad-dominion-csv', file, `row ${row}`, 'the column names row (CvrNumber, TabulatorNum, BatchId, RecordId, ...) as the fourth row');
      columns = new Map();
      const names = cells.map(normalizeHeader);
      for (const f of fixed) {
        const i = names.indexOf(f);
        if (i >= 0) columns.set(f, i);
      }
      const contestRow = header[1] ?? [];
      const choiceRow = header[2] ?? [];
      const raw: { index: number; contest: string; voteFor: number | null; choice: string }[] = [];
      for (let i = 0; i < cells.length; i++) {
        const contestHeader = (contestRow[i] ?? '').trim();
        const choice = (choiceRow[i] ?? '').trim();
        if (contestHeader === '' || choice === '' || (names[i] ?? '') !== '') continue;
        raw.push({ index: i, ...splitContestHeader(contestHeader), choice });
      }
      // Ranked contests repeat each choice per rank: "Smith(1)", "Smith(2)", ...; a contest is
      // ranked only when every one of its choices carries a rank and some choice repeats.
      const ranked = new Set<string>();
      for (const name of new Set(raw.map((r) => r.contest))) {
        const mine = raw.filter((r) => r.contest === name);
        const stems = mine.map((r) => rankedChoice.exec(r.choice)?.[1]);
        if (stems.every((x) => x !== undefined) && new Set(stems).size < stems.length) ranked.add(name);
      }
      for (const r of raw) {
        const m = ranked.has(r.contest) ? rankedChoice.exec(r.choice) : null;
        const optionKey = m === null ? r.choice : (m[1] ?? r.choice);
        const rank = m === null ? 1 : Number(m[2]);
        const c = contests.get(r.contest);
        contests.set(r.contest, { key: r.contest, name: r.contest, voteFor: r.voteFor, numRanks: ranked.has(r.contest) ? Math.max(c?.numRanks ?? 1, rank) : null });
        options.set(`${r.contest}\u0000${optionKey}`, { contestKey: r.contest, key: optionKey, name: optionKey, party: null, type: /^write-?in/i.test(optionKey) ? 'WriteIn' : null });
        choices.push({ index: r.index, contestKey: r.contest, optionKey, rank });
      }
      if (!columns.has('recordid') && !columns.has('cvrnumber')) return parseError('import-bad-dominion-csv', file, `row ${row}`, 'a CvrNumber or RecordId column');
      return undefined;
    }
    if (cells.every((c) => c === '')) return undefined;
    const get = (f: Fixed): string | null => {
      const i = columns?.get(f);
      const v = i === undefined ? '' : (cells[i] ?? '');
      return v === '' ? null : v;
    };
    const votes: NormalizedVote[] = [];
    for (const c of choices) {
      const v = cells[c.index] ?? '';
      if (v === '' || v === '0') continue;
      if (v !== '1') return parseError('import-bad-dominion-csv', file, `row ${row}, column ${c.index + 1}`, 'a 1, 0 or empty cell', JSON.stringify(v.slice(0, 20)));
      votes.push({ contestKey: c.contestKey, optionKey: c.optionKey, rank: c.rank, isVote: true, isAmbiguous: false, markDensity: null });
    }
    const tabulator = get('tabulatornum');
    const batch = get('batchid');
    const recordId = get('recordid');
    sink.record({
      tabulator,
      batch,
      recordId,
      cvrNumber: get('cvrnumber'),
      imageKey: tabulator !== null && batch !== null && recordId !== null && /^\d+$/.test(tabulator + batch + recordId) ? dominionImageKey(Number(tabulator), Number(batch), recordId) : null,
      ballotStyle: get('ballottype'),
      precinct: get('precinctportion'),
      countingGroup: get('countinggroup'),
      sessionType: null,
      votes,
    });
    records++;
    return undefined;
  };
  const read = await readCsvRows(path, file, onRow, { relaxQuotes: true });
  if (!read.ok) return read;
  if (columns === undefined) return err(parseError('import-bad-dominion-csv', file, undefined, 'four header rows (election, contests, choices, column names)', `${header.length} rows`));
  return ok({ records, contests: [...contests.values()], options: [...options.values()], warnings: read.value.warnings });
}
