import type { Db } from '../core/db/database.ts';
import type { NormalizedCvr } from '../importer/model.ts';
import { activeCvrsWithImageKey } from '../importer/store.ts';
import type { CatalogSheet } from './catalogSheet.ts';
import { compareBallot, type CvrSource } from './compare.ts';
import type { StyleLayout } from './layout.ts';
import { type ComparisonRow, readingsOf, saveComparisons } from './store.ts';

export interface CompareSummary {
  readonly ballotsCompared: number;
  readonly ballotsWithoutCvr: number;
  readonly disagreements: number;
  readonly gray: number;
}

/** The active CVR records with an image key, as the importer's normalized model. */
export function loadCvrRecords(db: Db): NormalizedCvr[] {
  return activeCvrsWithImageKey(db);
}

/** Compares every read sheet among `sheets` with the CVRs; stores the verdicts per ballot and contest. */
export function compareSheets(db: Db, sheets: readonly CatalogSheet[], layouts: readonly StyleLayout[], cvrs: CvrSource): CompareSummary {
  const seats = new Map(layouts.flatMap((l) => l.contests.map((c) => [c.id, c.seats] as const)));
  const titles = new Map(layouts.flatMap((l) => l.contests.map((c) => [c.id, c.title] as const)));
  const readings = readingsOf(db);
  let ballotsCompared = 0;
  let ballotsWithoutCvr = 0;
  let disagreements = 0;
  let gray = 0;
  const keep = new Set<string>();
  const rows: ComparisonRow[] = [];
  for (const s of sheets) {
    const read = readings(s.job.key);
    // A sheet no longer read (e.g. its style now waits for a person) keeps no old verdicts.
    if (read === undefined) continue;
    keep.add(s.job.key);
    const ballotKey = s.imageKey ?? s.job.key;
    const cmp = compareBallot(ballotKey, read, (c) => seats.get(c) ?? 1, cvrs);
    const base = { sheetKey: s.job.key, ballotKey };
    if (!cmp.cvrFound) {
      ballotsWithoutCvr++;
      for (const r of read) {
        rows.push({
          ...base,
          contestId: r.contestId,
          contestTitle: titles.get(r.contestId) ?? r.contestId,
          verdict: 'no-cvr',
          imageVotes: r.overvote ? [] : r.selected,
          cvrVotes: [],
          marginal: r.marginal,
          emsAmbiguous: [],
          imageOvervote: r.overvote,
          cvrOvervote: false,
          undervotes: r.undervotes,
          writeIns: r.writeIns,
        });
      }
      continue;
    }
    ballotsCompared++;
    for (const c of cmp.contests) {
      if (c.verdict === 'disagree') disagreements++;
      if (c.verdict === 'gray') gray++;
      rows.push({
        ...base,
        contestId: c.contestId,
        contestTitle: titles.get(c.contestId) ?? c.contestId,
        verdict: c.verdict,
        imageVotes: c.imageVotes,
        cvrVotes: c.cvrVotes,
        marginal: c.marginal,
        emsAmbiguous: c.emsAmbiguous,
        imageOvervote: c.imageOvervote,
        cvrOvervote: c.cvrOvervote,
        undervotes: c.undervotes,
        writeIns: c.writeIns,
      });
    }
  }
  const files = sheets.map((s) => ({ sheetKey: s.job.key, imageKey: s.imageKey, fileVersionIds: s.fileVersionIds }));
  saveComparisons(db, files, rows, keep, new Date().toISOString());
  return { ballotsCompared, ballotsWithoutCvr, disagreements, gray };
}
