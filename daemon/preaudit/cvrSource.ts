/**
 * Builds the comparison's CvrSource from the importer's normalized CVRs. The vendor's contest and
 * option keys are translated to the style layout's ids through a key map (from the EIF, the OCR
 * matcher, or an election definition that carries both).
 */
import type { NormalizedCvr } from '../importer/model.ts';
import type { CvrContestSelection, CvrSelections, CvrSource } from './compare.ts';

export interface VendorKeyMap {
  /** Vendor contest key → layout contest id. */
  readonly contests: ReadonlyMap<string, string>;
  /** `${vendorContestKey}\u0000${vendorOptionKey}` → layout option id (write-ins: `write-in-<n>`). */
  readonly options: ReadonlyMap<string, string>;
}

export function optionKey(contestKey: string, optionKeyValue: string): string {
  return `${contestKey}\u0000${optionKeyValue}`;
}

/** Counted votes per contest of one CVR, in layout ids; keys the map does not know are kept as-is. */
export function selectionsOf(cvr: NormalizedCvr, keys: VendorKeyMap): CvrSelections {
  const out = new Map<string, { selected: string[]; ambiguous: string[]; marked: string[]; marks: number }>();
  for (const v of cvr.votes) {
    const contest = keys.contests.get(v.contestKey) ?? v.contestKey;
    const entry = out.get(contest) ?? { selected: [], ambiguous: [], marked: [], marks: 0 };
    const option = keys.options.get(optionKey(v.contestKey, v.optionKey)) ?? v.optionKey;
    if (!entry.marked.includes(option)) entry.marked.push(option);
    if (v.isAmbiguous) entry.ambiguous.push(option);
    else entry.marks++;
    if (v.isVote && !entry.selected.includes(option)) entry.selected.push(option);
    out.set(contest, entry);
  }
  const result = new Map<string, CvrContestSelection>();
  // Clear marks present but none counted: the EMS saw an overvote.
  for (const [contest, e] of out) {
    result.set(contest, {
      selected: e.selected,
      overvote: e.selected.length === 0 && e.marks > 1,
      ambiguous: e.ambiguous,
      marked: e.marked,
    });
  }
  return result;
}

/** An in-memory CvrSource keyed by the importer's image key (e.g. `d:10102_1_1`, `c:123`). */
export function cvrSourceFromRecords(records: Iterable<NormalizedCvr>, keys: VendorKeyMap): CvrSource & { readonly size: number } {
  const byKey = new Map<string, NormalizedCvr>();
  for (const r of records) if (r.imageKey !== null) byKey.set(r.imageKey, r);
  return {
    size: byKey.size,
    selectionsFor(ballotKey: string) {
      const cvr = byKey.get(ballotKey);
      return cvr === undefined ? undefined : selectionsOf(cvr, keys);
    },
  };
}
