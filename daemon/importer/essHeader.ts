import { normalizeHeader } from './tabular.ts';

/**
 * The header row of an ES&S CVR table says which columns are what: metadata (Cast Vote Record,
 * Precinct, Ballot Style, ...), a ballot COUNT (not a contest), and contest columns. A contest
 * may span several columns: repeated for vote-for-N, or one per rank in a ranked-choice contest
 * ("Mayor Choice 1 (45)", "Mayor Choice 2 (50)"; "1ST CHOICE PARK BOARD", "2ND CHOICE ...").
 */
export interface EssMeta {
  cvrNumber: string;
  precinct: string;
  ballotStyle: string;
  tabulator: string;
  batch: string;
  countingGroup: string;
  count: string;
}

const metadataColumns: Record<string, keyof EssMeta> = {
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
  // How many identical ballots the row stands for (Minneapolis exports): never a contest.
  count: 'count',
  'ballot count': 'count',
};
/** Known ES&S columns that are neither contests nor needed here. */
const ignoredColumns = new Set(['tabulator cvr', 'ballot status', 'original ballot exception', 'remaining ballot exception', 'write-in type', 'results report', 'poll place', 'card', 'sheet', 'imprinted id']);

const voteForSuffix = /\s*\(\s*vote\s+for\s*=?\s*(\d+)\s*\)\s*$/i;
const choiceThenRank = /^(.*?)\s+choice\s+(\d{1,3})(\s*\(\d+\))?$/i;
const rankThenChoice = /^(\d{1,3})(?:st|nd|rd|th)\s+choice\s+(.+)$/i;

export interface EssColumn {
  readonly index: number;
  readonly contest: string;
  readonly rank: number;
}

export interface EssHeader {
  readonly meta: Partial<Record<keyof EssMeta, number>>;
  readonly columns: readonly EssColumn[];
  readonly names: readonly string[];
  /** contest -> vote-for (declared, or the number of columns) and ranks (null if not ranked). */
  readonly contests: ReadonlyMap<string, { voteFor: number; numRanks: number | null }>;
}

/** Reads a header row; undefined when the row is not one (a preamble line). */
export function essHeader(cells: readonly string[]): EssHeader | undefined {
  const meta: Partial<Record<keyof EssMeta, number>> = {};
  const raw: { index: number; header: string }[] = [];
  cells.forEach((cell, index) => {
    const h = normalizeHeader(cell);
    if (h === '') return;
    const m = metadataColumns[h];
    if (m !== undefined) {
      if (meta[m] === undefined) meta[m] = index;
      return;
    }
    if (!ignoredColumns.has(h)) raw.push({ index, header: cell.trim() });
  });
  // With a CVR-number column the row is the header; without one (then each row is a ballot),
  // it must name a precinct or ballot style column and at least one contest.
  const isHeader = meta.cvrNumber !== undefined || ((meta.precinct !== undefined || meta.ballotStyle !== undefined) && raw.length > 0);
  if (!isHeader) return undefined;

  const ranked = raw.map((r) => {
    const a = choiceThenRank.exec(r.header);
    if (a !== null) return { ...r, contest: (a[1] ?? '').trim(), rank: Number(a[2]) };
    const b = rankThenChoice.exec(r.header);
    if (b !== null) return { ...r, contest: (b[2] ?? '').trim(), rank: Number(b[1]) };
    return undefined;
  });
  const rankCount = new Map<string, Set<number>>();
  for (const r of ranked) if (r !== undefined) rankCount.set(r.contest, (rankCount.get(r.contest) ?? new Set()).add(r.rank));
  const columns: EssColumn[] = [];
  const contests = new Map<string, { voteFor: number; numRanks: number | null; declared: boolean }>();
  raw.forEach((r, i) => {
    const rk = ranked[i];
    if (rk !== undefined && (rankCount.get(rk.contest)?.size ?? 0) >= 2) {
      columns.push({ index: r.index, contest: rk.contest, rank: rk.rank });
      const c = contests.get(rk.contest);
      contests.set(rk.contest, { voteFor: 1, numRanks: Math.max(c?.numRanks ?? 0, rk.rank), declared: true });
      return;
    }
    const vf = voteForSuffix.exec(r.header);
    const contest = r.header.replace(voteForSuffix, '').trim();
    columns.push({ index: r.index, contest, rank: 1 });
    const c = contests.get(contest);
    if (c === undefined) contests.set(contest, { voteFor: vf === null ? 1 : Number(vf[1]), numRanks: null, declared: vf !== null });
    else if (!c.declared) c.voteFor++;
  });
  return { meta, columns, names: [...cells], contests: new Map([...contests].map(([k, v]) => [k, { voteFor: v.voteFor, numRanks: v.numRanks }])) };
}
