/**
 * The normalized model every parser produces, whatever the vendor format. Keys are the vendor's
 * own identifiers (Dominion numeric ids, ES&S contest and choice names, NIST @id values), kept as
 * text exactly as exported so reports and the Arlo manifest use the EMS's names.
 */
export interface NormalizedContest {
  readonly key: string;
  readonly name: string;
  readonly voteFor: number | null;
  readonly numRanks: number | null;
}

export interface NormalizedOption {
  readonly contestKey: string;
  readonly key: string;
  readonly name: string;
  readonly party: string | null;
  readonly type: string | null;
}

export interface NormalizedVote {
  readonly contestKey: string;
  readonly optionKey: string;
  /** 1 unless ranked-choice. */
  readonly rank: number;
  /** The EMS counted this mark as a vote. */
  readonly isVote: boolean;
  readonly isAmbiguous: boolean;
  readonly markDensity: number | null;
  /** Vendor conditions on this mark (Dominion outstack condition ids), as exported. */
  readonly conditions?: readonly string[];
}

/** What the vendor said about one contest on one ballot besides the marks. */
export interface NormalizedContestStatus {
  readonly contestKey: string;
  readonly undervotes: number | null;
  readonly overvotes: number | null;
  /** Vendor conditions on the contest (Dominion outstack condition ids, e.g. Undervote, BlankContest). */
  readonly conditions: readonly string[];
}

export interface NormalizedCvr {
  readonly tabulator: string | null;
  readonly batch: string | null;
  readonly recordId: string | null;
  /** ES&S "Cast Vote Record" number, NIST UniqueId. */
  readonly cvrNumber: string | null;
  /** Join key to ballot image files, see imageKeys.ts. */
  readonly imageKey: string | null;
  readonly ballotStyle: string | null;
  readonly precinct: string | null;
  readonly countingGroup: string | null;
  readonly sessionType: string | null;
  readonly votes: readonly NormalizedVote[];
  readonly contestStatus?: readonly NormalizedContestStatus[];
}

/** Named lookups from vendor manifests (tabulators, precinct portions, ballot types, ...). */
export type LookupKind =
  | 'tabulator'
  | 'precinct'
  | 'precinct-portion'
  | 'ballot-type'
  | 'party'
  | 'counting-group'
  | 'outstack-condition'
  | 'ballot-type-contest';

export interface NormalizedLookup {
  readonly kind: LookupKind;
  readonly key: string;
  readonly name: string;
}

/** Receives CVR records as they stream out of a parser (inserts happen in small batches). */
export interface CvrSink {
  record(cvr: NormalizedCvr): void;
}
