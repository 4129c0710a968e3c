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
    return slotless && /^write-in-\d+$/.test(mapped) ? slotlessWriteIn : mapped;
  };
  const imageVotes = reading.overvote ? [] : reading.selected.map(mapOpt);
  const cvrOvervote = cvr?.overvote ?? false;
  const marginal = reading.marginal.map(mapOpt);
  const marked = reading.selected.map(mapOpt);
  const emsAmbiguous = (cvr?.ambiguous ?? []).map((o) => o);
  let verdict: ContestVerdict;
  const agree = reading.overvote ? cvrVotes.length === 0 : sameSet(imageVotes, cvrVotes) && !cvrOvervote;
  if (agree && marginal.length === 0) {
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

/** What duplicate detection needs of each read sheet. */
export interface SheetFingerprint {
  readonly ballotKey: string;
  readonly styleId: string;
  /** Fill of every target, in layout order. */
  readonly fills: readonly number[];
}

/**
 * Sheets that are very probably the same paper scanned twice: same style and every target's fill
 * within `tolerance` of the other's, with enough marks that a coincidence is implausible.
 * Two voters marking the same way still differ in how their marks fill each oval.
 */
export function findLikelyDuplicates(sheets: readonly SheetFingerprint[], tolerance = 0.04, minMarks = 3): [string, string][] {
  const byStyle = new Map<string, SheetFingerprint[]>();
  for (const s of sheets) byStyle.set(s.styleId, [...(byStyle.get(s.styleId) ?? []), s]);
  const pairs: [string, string][] = [];
  for (const group of byStyle.values()) {
    // Sort by the sum of fills so only near neighbours need comparing.
    const sorted = [...group].sort((a, b) => sum(a.fills) - sum(b.fills));
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i]!;
      if (a.fills.filter((f) => f >= 0.2).length < minMarks) continue;
      for (let j = i + 1; j < sorted.length; j++) {
        const b = sorted[j]!;
        if (sum(b.fills) - sum(a.fills) > tolerance * a.fills.length) break;
        if (a.fills.length === b.fills.length && a.fills.every((f, k) => Math.abs(f - b.fills[k]!) <= tolerance)) {
          pairs.push([a.ballotKey, b.ballotKey]);
        }
      }
    }
  }
  return pairs;
}

function sum(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s;
}
