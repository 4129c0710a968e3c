/**
 * Ballot-by-ballot comparison of the pre-audit's reading with the EMS's cast vote records.
 * The CVR side comes through `CvrSelections`, a deliberately small interface (per ballot:
 * contest → selected option ids) so any importer can feed it.
 */
import type { ContestReading } from './marks.ts';

/** What the EMS recorded for one contest on one ballot. */
export interface CvrContestSelection {
  /** Options the EMS counted as votes (empty on an overvote the EMS did not count). */
  readonly selected: readonly string[];
  /** True when the EMS flagged an overvote (then `selected` is usually empty). */
  readonly overvote?: boolean;
  /** Options whose mark the EMS itself flagged ambiguous (adjudicated, counted or not). */
  readonly ambiguous?: readonly string[];
  /** Every option the EMS saw a mark on, counted or not (an overvote's marks). */
  readonly marked?: readonly string[];
}

/** The CVR of one ballot: contest id → what was counted. Contests not on the ballot are absent. */
export type CvrSelections = ReadonlyMap<string, CvrContestSelection>;

/** Where comparison finds the CVR of a ballot, keyed by the image key the importer derives. */
export interface CvrSource {
  selectionsFor(ballotKey: string): CvrSelections | undefined;
}

/**
 * Maps the pre-audit's ids (from the style layout) to the CVR's ids. Identity when both come
 * from the same election definition; built by the OCR matcher otherwise.
 */
export interface IdMapping {
  contest(contestId: string): string;
  option(contestId: string, optionId: string): string;
}

export const identityMapping: IdMapping = {
  contest: (c) => c,
  option: (_c, o) => o,
};

export type ContestVerdict = 'agree' | 'disagree' | 'gray';

export interface ContestComparison {
  readonly contestId: string;
  readonly verdict: ContestVerdict;
  /** Votes as read from the image (what would be counted: nothing on an overvote). */
  readonly imageVotes: readonly string[];
  readonly cvrVotes: readonly string[];
  /** Options with marginal marks on the image. */
  readonly marginal: readonly string[];
  /** Options the EMS itself flagged as an ambiguous mark (Dominion's IsAmbiguous): a person decides them too. */
  readonly emsAmbiguous: readonly string[];
  readonly imageOvervote: boolean;
  readonly cvrOvervote: boolean;
  readonly undervotes: number;
  readonly writeIns: number;
}

export interface BallotComparison {
  readonly ballotKey: string;
  /** False when no CVR was found for this ballot (reported apart, not as a disagreement). */
  readonly cvrFound: boolean;
  readonly contests: readonly ContestComparison[];
}

/** The option id of a write-in whose line the CVR does not name. */
export const slotlessWriteIn = 'write-in';

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((x) => s.has(x));
}

/**
 * One contest: agree when the counted votes match; gray when a marginal mark could make them
 * match or not (a person decides); disagree otherwise.
 */
export function compareContest(
  reading: ContestReading,
  seats: number,
  cvr: CvrContestSelection | undefined,
  mapping: IdMapping = identityMapping,
): ContestComparison {
  const cvrVotes = cvr?.selected ?? [];
  // Some CVRs (ES&S) record "a write-in" without saying which write-in line: then the image's
  // line-specific write-ins are compared as that same slotless write-in.
  const slotless = [...cvrVotes, ...(cvr?.marked ?? [])].includes(slotlessWriteIn);
  const mapOpt = (o: string) => {
    const mapped = mapping.option(reading.contestId, o);
    return slotless ? foldWriteIn(mapped) : mapped;
  };
  const imageVotes = reading.overvote ? [] : reading.selected.map(mapOpt);
  const cvrOvervote = cvr?.overvote ?? false;
  const marginal = reading.marginal.map(mapOpt);
  const marked = reading.selected.map(mapOpt);
  const emsAmbiguous = (cvr?.ambiguous ?? []).map(mapOpt);
  let verdict: ContestVerdict;
  const agree = reading.overvote ? cvrVotes.length === 0 : sameSet(imageVotes, cvrVotes) && !cvrOvervote;
  // A mark the EMS flagged ambiguous where the image shows no clear mark (a very light fill is
  // gone from a bitonal image): the EMS saw a marginal mark, and it decides the contest.
  const unseenAmbiguous = emsAmbiguous.filter((o) => !marked.includes(o));
  if (agree && marginal.length === 0 && unseenAmbiguous.length === 0) {
    verdict = 'agree';
  } else {
    // Gray when the difference lies only in marks that are doubtful on either side: marginal on
    // the image, or flagged ambiguous (and adjudicated) by the EMS. A person decides those.
    const doubtful = new Set([...marginal, ...emsAmbiguous]);
    const cvrMarked = cvr?.marked ?? cvrVotes;
    const differ = [...marked.filter((v) => !cvrMarked.includes(v)), ...cvrMarked.filter((v) => !marked.includes(v))];
    const explained = differ.every((v) => doubtful.has(v));
    const overvoteExplained = marked.length + marginal.length > seats && cvrVotes.length === 0 && marginal.length > 0;
    verdict = agree || explained || overvoteExplained ? 'gray' : 'disagree';
  }
  return {
    contestId: mapping.contest(reading.contestId),
    verdict,
    imageVotes,
    cvrVotes,
    marginal,
    emsAmbiguous,
    imageOvervote: reading.overvote,
    cvrOvervote,
    undervotes: reading.undervotes,
    writeIns: reading.writeIns,
  };
}

export function compareBallot(
  ballotKey: string,
  readings: readonly ContestReading[],
  seatsOf: (contestId: string) => number,
  cvrs: CvrSource,
  mapping: IdMapping = identityMapping,
): BallotComparison {
  const cvr = cvrs.selectionsFor(ballotKey);
  return {
    ballotKey,
    cvrFound: cvr !== undefined,
    contests:
      cvr === undefined
        ? []
        : readings.map((r) => compareContest(r, seatsOf(r.contestId), cvr.get(mapping.contest(r.contestId)), mapping)),
  };
}

/** AuditEngine's per-contest columns. */
export interface ContestSummary {
  readonly contestId: string;
  readonly ballots: number;
  /** Agreeing ballots that are plain votes (not overvote, write-in or undervote). */
  readonly nonVariant: number;
  readonly agreedOvervotes: number;
  readonly agreedWriteIns: number;
  readonly agreedUndervotes: number;
  readonly disagreed: number;
  readonly gray: number;
  /** Votes per option as read from the images, and as in the CVRs (all compared ballots). */
  readonly imageTotals: Readonly<Record<string, number>>;
  readonly cvrTotals: Readonly<Record<string, number>>;
  /** Disagreeing + gray ballots as a percentage of the reported margin (top two in the CVR). */
  readonly variantPercentOfMargin: number | null;
}

export function summarize(ballots: readonly BallotComparison[]): ContestSummary[] {
  const by = new Map<string, ContestComparison[]>();
  for (const b of ballots) for (const c of b.contests) by.set(c.contestId, [...(by.get(c.contestId) ?? []), c]);
  return [...by.entries()].map(([contestId, cs]) => {
    const imageTotals: Record<string, number> = {};
    const cvrTotals: Record<string, number> = {};
    for (const c of cs) {
      for (const v of c.imageVotes) imageTotals[v] = (imageTotals[v] ?? 0) + 1;
      for (const v of c.cvrVotes) cvrTotals[v] = (cvrTotals[v] ?? 0) + 1;
    }
    const agreed = cs.filter((c) => c.verdict === 'agree');
    const agreedOvervotes = agreed.filter((c) => c.imageOvervote).length;
    const agreedWriteIns = agreed.filter((c) => !c.imageOvervote && c.writeIns > 0).length;
    const agreedUndervotes = agreed.filter((c) => !c.imageOvervote && c.writeIns === 0 && c.undervotes > 0).length;
    const disagreed = cs.filter((c) => c.verdict === 'disagree').length;
    const gray = cs.filter((c) => c.verdict === 'gray').length;
    const sorted = Object.values(cvrTotals).sort((a, b) => b - a);
    const margin = (sorted[0] ?? 0) - (sorted[1] ?? 0);
    return {
      contestId,
      ballots: cs.length,
      nonVariant: agreed.length - agreedOvervotes - agreedWriteIns - agreedUndervotes,
      agreedOvervotes,
      agreedWriteIns,
      agreedUndervotes,
      disagreed,
      gray,
      imageTotals,
      cvrTotals,
      variantPercentOfMargin: margin === 0 ? null : ((disagreed + gray) / margin) * 100,
    };
  });
}

/** Votes per contest and option (layout ids). */
export type OptionTotals = ReadonlyMap<string, ReadonlyMap<string, number>>;

/** One option's totals three ways: read from the images, in the CVRs, in the published results summary. */
export interface TotalsLine {
  readonly contestId: string;
  /** Layout option id; write-ins of every line are summed as `write-in`, as results summaries do. */
  readonly optionId: string;
  readonly image: number | null;
  readonly cvr: number | null;
  readonly results: number | null;
  /** image − CVR, results − CVR (null when a side has no figure). */
  readonly imageMinusCvr: number | null;
  readonly resultsMinusCvr: number | null;
  /**
   * Gray contests touching this option (voted in the CVR, read or marginal on the image): a
   * person decides those, so an image − CVR difference up to this many votes is explained by them.
   */
  readonly gray: number;
  /** The part of image − CVR that gray contests cannot explain (0 when they can; same sign otherwise). */
  readonly imageMinusCvrBeyondGray: number | null;
}

/** `write-in-<n>` → `write-in`: summaries and some CVRs do not say which write-in line. */
export function foldWriteIn(optionId: string): string {
  return /^write-in-\d+$/.test(optionId) ? slotlessWriteIn : optionId;
}

/** Counts, per contest and option, the options `votesOf` names for each contest (undefined: skip it); write-in lines folded. */
function tally(ballots: readonly BallotComparison[], votesOf: (c: ContestComparison) => readonly string[] | undefined): OptionTotals {
  const out = new Map<string, Map<string, number>>();
  for (const b of ballots) {
    for (const c of b.contests) {
      const votes = votesOf(c);
      if (votes === undefined) continue;
      const m = out.get(c.contestId) ?? new Map<string, number>();
      for (const v of votes.map(foldWriteIn)) m.set(v, (m.get(v) ?? 0) + 1);
      out.set(c.contestId, m);
    }
  }
  return out;
}

/** Per-contest totals of compared ballots (what `summarize` counts), write-in lines folded. */
export function totalsOf(ballots: readonly BallotComparison[], side: 'image' | 'cvr'): OptionTotals {
  return tally(ballots, (c) => (side === 'image' ? c.imageVotes : c.cvrVotes));
}

/** Per contest and option: how many gray contests involve it (CVR vote, image vote or marginal mark). */
export function grayOf(ballots: readonly BallotComparison[]): OptionTotals {
  // Once per contest, however many of its sides name the option.
  return tally(ballots, (c) => (c.verdict === 'gray' ? [...new Set([...c.imageVotes, ...c.cvrVotes, ...c.marginal].map(foldWriteIn))] : undefined));
}

/**
 * Lines up image, CVR and results-summary totals per contest and option. Contests the results
 * summary does not list get `results: null`; an option with no votes anywhere is left out.
 */
export function compareTotals(image: OptionTotals, cvr: OptionTotals, results: OptionTotals | undefined, gray: OptionTotals = new Map()): TotalsLine[] {
  const lines: TotalsLine[] = [];
  const contests = [...new Set([...image.keys(), ...cvr.keys()])].sort();
  for (const contestId of contests) {
    const i = image.get(contestId);
    const c = cvr.get(contestId);
    const r = results?.get(contestId);
    const options = [...new Set([...(i?.keys() ?? []), ...(c?.keys() ?? []), ...(r?.keys() ?? [])])].sort();
    for (const optionId of options) {
      const iv = i?.get(optionId) ?? 0;
      const cv = c?.get(optionId) ?? 0;
      const rv = r === undefined ? null : (r.get(optionId) ?? 0);
      if (iv === 0 && cv === 0 && (rv ?? 0) === 0) continue;
      const g = gray.get(contestId)?.get(optionId) ?? 0;
      const d = iv - cv;
      const beyond = Math.sign(d) * Math.max(0, Math.abs(d) - g);
      lines.push({ contestId, optionId, image: iv, cvr: cv, results: rv, imageMinusCvr: d, resultsMinusCvr: rv === null ? null : rv - cv, gray: g, imageMinusCvrBeyondGray: beyond === 0 ? 0 : beyond });
    }
  }
  return lines;
}

/** A published results row: contest and choice as printed, and its vote total. */
export interface ResultsRow {
  readonly contest: string;
  readonly option: string | null;
  readonly votes: number | null;
}

const pseudoChoice = /^(over\s*votes?|under\s*votes?|blank\s*votes?|cards?\s+cast|ballots?\s+cast|total(\s+votes)?|registered\s+voters|times\s+(cast|blank\s+voted|over\s+voted))$/i;
const writeInChoice = /^write[-\s]?ins?$/i;

function norm(s: string): string {
  return s.replace(/\s+/g, ' ').trim().toLowerCase();
}

/**
 * Results-summary rows in layout ids, matched by contest title and option name (whitespace and
 * case aside); "Write-in" rows become `write-in`. Rows that match no contest or option are
 * returned apart so the report can list them (a name printed differently, a contest not read).
 */
export function resultsTotalsByLayout(
  rows: readonly ResultsRow[],
  contests: readonly { readonly id: string; readonly title: string; readonly options: readonly { readonly id: string; readonly name: string }[] }[],
): { totals: OptionTotals; unmatched: ResultsRow[] } {
  const byTitle = new Map(contests.map((c) => [norm(c.title), c] as const));
  const totals = new Map<string, Map<string, number>>();
  const unmatched: ResultsRow[] = [];
  for (const r of rows) {
    if (r.option === null || r.votes === null || pseudoChoice.test(r.option.trim())) continue;
    const c = byTitle.get(norm(r.contest));
    if (c === undefined) {
      unmatched.push(r);
      continue;
    }
    const optionId = writeInChoice.test(r.option.trim()) ? slotlessWriteIn : c.options.find((o) => norm(o.name) === norm(r.option!))?.id;
    if (optionId === undefined) {
      unmatched.push(r);
      continue;
    }
    const m = totals.get(c.id) ?? new Map<string, number>();
    m.set(optionId, (m.get(optionId) ?? 0) + r.votes);
    totals.set(c.id, m);
  }
  return { totals, unmatched };
}
