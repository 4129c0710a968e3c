import { CatalogStore } from '../capture/catalogStore.ts';
import type { Db } from '../core/db/database.ts';
import { overvoteKey } from './ess.ts';
import { imageKeyFromFileName } from './imageKeys.ts';
import { syncImageKeys } from './imageLinks.ts';
import { findRescannedSheets, type ReadSheets, type RescannedSheet } from './rescans.ts';
import {
  activeContestNames,
  activeCvrCount,
  activeCvrIdentities,
  activeCvrImageKeys,
  activeEifNamePairs,
  activeOptionNames,
  activeResultsRows,
  duplicateCvrIdentities,
  firstChoiceTotals,
  recordsPerBatch,
  reportSources,
} from './activeRows.ts';
import { imageKeysByFileVersion } from './store.ts';
import { currentZipImages } from './zipImages.ts';

/**
 * Phase-1 checks, before any mark is read: is every image there and matched to a CVR, are there
 * duplicates, do the EIF's contests and options match the CVR export, do the CVR totals match the
 * published results (allowing for ballots suppressed from the export for privacy), and how many
 * records and images each batch has. Computed from active import sources and the capture catalog;
 * ballots rescanned under another id are found among the sheets the pre-audit has read (rescans.ts).
 */
export interface ReportList<T> {
  readonly count: number;
  /** At most `listLimit` items; `count` is the full number. */
  readonly items: readonly T[];
}

export interface CvrRef {
  readonly source: string;
  readonly tabulator: string | null;
  readonly batch: string | null;
  readonly recordId: string | null;
  readonly cvrNumber: string | null;
  readonly imageKey: string | null;
}

export interface TotalsRow {
  readonly contest: string;
  readonly option: string;
  readonly cvrVotes: number | null;
  readonly resultVotes: number | null;
  /** results - CVR */
  readonly difference: number | null;
  readonly suppressedBallots: number;
  readonly status: 'match' | 'within-suppressed' | 'mismatch' | 'missing-in-cvr' | 'missing-in-results';
}

export interface BatchRow {
  readonly tabulator: string;
  readonly batch: string;
  readonly cvrRecords: number;
  readonly images: number | null;
}

export interface Phase1Report {
  readonly generatedAt: string;
  readonly sources: readonly { name: string; format: string; state: string; records: number; warnings: readonly string[]; error: string | null }[];
  readonly summary: {
    readonly cvrRecords: number;
    readonly imageFiles: number;
    readonly imagesWithoutCvr: number;
    readonly cvrsWithoutImage: number;
    readonly duplicateCvrs: number;
    readonly duplicateImages: number;
    /** The same sheet scanned twice under another id (new image bytes, same marks). */
    readonly rescannedSheets: number;
    /** Sheets whose marks the pre-audit has read, hence checked for rescans. */
    readonly sheetsCheckedForRescans: number;
    /** Sheets read whose design's marks do not tell voters apart (ES&S): not checked for rescans. */
    readonly sheetsNotCheckedForRescans: number;
    readonly eifContestsMissingFromCvr: number;
    readonly cvrContestsMissingFromEif: number;
    readonly eifOptionsMissingFromCvr: number;
    readonly cvrOptionsMissingFromEif: number;
    readonly totalsMismatched: number;
    readonly totalsWithinSuppressed: number;
    readonly failedSources: number;
    /** Files looked at and found to hold no election data (listed in sources, with why). */
    readonly notElectionData: number;
    /** True when every check passed (nothing missing, duplicated or mismatched). */
    readonly clean: boolean;
  };
  readonly imagesWithoutCvr: ReportList<{ file: string; key: string | null }>;
  readonly cvrsWithoutImage: ReportList<CvrRef>;
  /** Ballot-image zips whose images could not be listed (damaged, a possible bomb), so none is counted, and why. */
  readonly imageZipsNotListed: readonly { file: string; problem: string }[];
  readonly duplicateCvrs: ReportList<{ identity: string; count: number; sources: readonly string[] }>;
  /** The same bytes twice: by SHA-256 for captured files, by what the zip lists (`zipBytes`) for images inside zips. */
  readonly duplicateImages: ReportList<{ sha256: string | null; zipBytes?: string; files: readonly string[] }>;
  readonly rescannedSheets: ReportList<RescannedSheet>;
  readonly eif: {
    readonly present: boolean;
    readonly contestsMissingFromCvr: readonly string[];
    readonly cvrContestsMissingFromEif: readonly string[];
    readonly optionsMissingFromCvr: readonly { contest: string; option: string }[];
    /** EIF options no CVR voted for, in exports (ES&S) that list only chosen options: not an error. */
    readonly optionsWithoutVotes: readonly { contest: string; option: string }[];
    readonly cvrOptionsMissingFromEif: readonly { contest: string; option: string }[];
  };
  readonly totals: { readonly present: boolean; readonly rows: readonly TotalsRow[] };
  readonly batches: readonly BatchRow[];
}

export const listLimit = 5000;

function list<T>(all: readonly T[]): ReportList<T> {
  return { count: all.length, items: all.slice(0, listLimit) };
}

const ws = (s: string): string => s.trim().replace(/\s+/g, ' ');
const pseudoOption = /^(overvotes?|undervotes?|blank\s+votes?|over\s*votes?|under\s*votes?)$/i;

/** `readSheets`: the sheets the pre-audit has read (preaudit/viewStore.ts readSheetFills), for the rescan check. */
export function buildPhase1Report(db: Db, readSheets: ReadSheets): Phase1Report {
  const sources = reportSources(db);
  const sourceName = new Map(sources.map((s) => [s.id, s.name]));

  // --- images vs CVR records ---
  // The images inside ballot-image zips (ES&S) count as image files; a listed zip is not an image itself.
  const zipped = currentZipImages(db);
  const images = new CatalogStore(db).currentBallotImages().filter((i) => !zipped.zipIds.has(i.id));
  syncImageKeys(db);
  const imageKeyCount = new Map<string, number>();
  const keyless: { file: string; key: string | null }[] = [];
  const imageKeys: { file: string; key: string | null }[] = [
    ...images.map((i) => ({ file: `${i.rootLabel}:${i.relPath}`, key: imageKeyFromFileName(i.relPath) })),
    ...zipped.images.map((i) => ({ file: i.file, key: i.key })),
  ].map((i) => {
    if (i.key === null) keyless.push(i);
    else imageKeyCount.set(i.key, (imageKeyCount.get(i.key) ?? 0) + 1);
    return i;
  });
  const cvrKeys = new Set(activeCvrImageKeys(db));
  const imagesWithoutCvr = [...keyless, ...imageKeys.filter((i) => i.key !== null && !cvrKeys.has(i.key))];
  // The keys stored for the current images (syncImageKeys above keyed them all), and those of zip members.
  const storedKeys = imageKeysByFileVersion(db);
  const currentKeys = new Set([...images.map((i) => storedKeys.get(i.id)), ...zipped.images.map((i) => i.key)].filter((k): k is string => k !== undefined && k !== null));
  const cvrsWithoutImage = activeCvrIdentities(db)
    .filter((r) => r.image_key === null || !currentKeys.has(r.image_key))
    .map((r) => ({ source: sourceName.get(r.source_id) ?? '', tabulator: r.tabulator, batch: r.batch, recordId: r.record_id, cvrNumber: r.cvr_number, imageKey: r.image_key }));

  const cvrRecords = activeCvrCount(db) ?? 0;

  // --- duplicates ---
  const duplicateCvrs = duplicateCvrIdentities(db).map((d) => ({ identity: d.identity, count: d.n, sources: d.sources.split(',').map((id) => sourceName.get(Number(id)) ?? id) }));
  const bySha = new Map<string, string[]>();
  for (const i of images) {
    const files = bySha.get(i.sha256) ?? [];
    files.push(`${i.rootLabel}:${i.relPath}`);
    bySha.set(i.sha256, files);
  }
  const byZipBytes = new Map<string, string[]>();
  for (const i of zipped.images) if (i.bytes !== null) byZipBytes.set(i.bytes, [...(byZipBytes.get(i.bytes) ?? []), i.file]);
  const duplicateImages = [
    ...[...bySha.entries()].filter(([, files]) => files.length > 1).map(([sha256, files]) => ({ sha256, files })),
    ...[...byZipBytes.entries()].filter(([, files]) => files.length > 1).map(([zipBytes, files]) => ({ sha256: null, zipBytes, files })),
  ];
  const rescans = findRescannedSheets(db, readSheets);

  // --- CVR contest and option names (per scope, from manifests or the CVR's own header) ---
  const contestNames = new Map<string, string>(); // scope|key -> name
  for (const c of activeContestNames(db)) {
    contestNames.set(`${c.scope}|${c.contest_key}`, ws(c.name));
  }
  const optionNames = new Map<string, string>(); // scope|contest|option -> name
  const cvrOptions = new Map<string, Set<string>>(); // contest name -> option names
  const cvrContests = new Set<string>();
  // Contests whose full option list the export declares (Dominion CandidateManifest, NIST Election);
  // an ES&S export only shows options someone voted for.
  const declaredOptions = new Set<string>();
  for (const o of activeOptionNames(db)) {
    optionNames.set(`${o.scope}|${o.contest_key}|${o.option_key}`, ws(o.name));
    const contest = contestNames.get(`${o.scope}|${o.contest_key}`) ?? o.contest_key;
    if (o.format !== 'ess-cvr') declaredOptions.add(contest);
    cvrContests.add(contest);
    const set = cvrOptions.get(contest) ?? new Set<string>();
    set.add(ws(o.name));
    cvrOptions.set(contest, set);
  }
  for (const name of contestNames.values()) cvrContests.add(name);
  const cvrTotals = new Map<string, Map<string, number>>(); // contest -> option -> first-choice votes
  for (const t of firstChoiceTotals(db)) {
    if (t.option_key === overvoteKey) continue;
    const contest = contestNames.get(`${t.scope}|${t.contest_key}`) ?? ws(t.contest_key);
    const option = optionNames.get(`${t.scope}|${t.contest_key}|${t.option_key}`) ?? ws(t.option_key);
    cvrContests.add(contest);
    const set = cvrOptions.get(contest) ?? new Set<string>();
    set.add(option);
    cvrOptions.set(contest, set);
    const m = cvrTotals.get(contest) ?? new Map<string, number>();
    m.set(option, (m.get(option) ?? 0) + t.votes);
    cvrTotals.set(contest, m);
  }

  // --- EIF vs CVR ---
  const eifRows = activeEifNamePairs(db);
  const eifContests = new Map<string, Set<string>>(); // CVR contest name -> CVR option names
  const officialToCvrContest = new Map<string, string>();
  const officialToCvrOption = new Map<string, string>(); // official contest|official option -> cvr option
  for (const e of eifRows) {
    const contest = ws(e.cvr_contest ?? e.official_contest);
    officialToCvrContest.set(ws(e.official_contest), contest);
    const set = eifContests.get(contest) ?? new Set<string>();
    const option = e.cvr_option ?? e.official_option;
    if (option !== null) {
      set.add(ws(option));
      if (e.official_option !== null) officialToCvrOption.set(`${ws(e.official_contest)}|${ws(e.official_option)}`, ws(option));
    }
    eifContests.set(contest, set);
  }
  const eifPresent = eifRows.length > 0;
  const contestsMissingFromCvr = eifPresent ? [...eifContests.keys()].filter((c) => !cvrContests.has(c)) : [];
  const cvrContestsMissingFromEif = eifPresent ? [...cvrContests].filter((c) => !eifContests.has(c)).sort() : [];
  const optionsMissingFromCvr: { contest: string; option: string }[] = [];
  const optionsWithoutVotes: { contest: string; option: string }[] = [];
  const cvrOptionsMissingFromEif: { contest: string; option: string }[] = [];
  if (eifPresent) {
    for (const [contest, options] of eifContests) {
      const inCvr = cvrOptions.get(contest);
      if (inCvr === undefined) continue; // whole contest already reported
      for (const o of options) {
        if (inCvr.has(o)) continue;
        if (declaredOptions.has(contest)) optionsMissingFromCvr.push({ contest, option: o });
        else optionsWithoutVotes.push({ contest, option: o });
      }
      for (const o of inCvr) if (!options.has(o)) cvrOptionsMissingFromEif.push({ contest, option: o });
    }
  }

  // --- totals vs results summary ---
  const resultRows = activeResultsRows(db);
  const suppressedBy = new Map<string, number>();
  let suppressedAll = 0;
  const resultVotes = new Map<string, Map<string, number>>();
  for (const r of resultRows) {
    const global = /^((cards|ballots)\s+cast|all|all contests|\(all\))$/i.test(ws(r.contest));
    const contest = officialToCvrContest.get(ws(r.contest)) ?? ws(r.contest);
    if (r.suppressed !== null) {
      if (global) suppressedAll += r.suppressed;
      else suppressedBy.set(contest, (suppressedBy.get(contest) ?? 0) + r.suppressed);
    }
    if (global || r.option === null || r.votes === null || pseudoOption.test(ws(r.option))) continue;
    const option = officialToCvrOption.get(`${ws(r.contest)}|${ws(r.option)}`) ?? ws(r.option);
    const m = resultVotes.get(contest) ?? new Map<string, number>();
    m.set(option, (m.get(option) ?? 0) + r.votes);
    resultVotes.set(contest, m);
  }
  const totals: TotalsRow[] = [];
  for (const [contest, options] of resultVotes) {
    const cvr = cvrTotals.get(contest);
    const suppressed = (suppressedBy.get(contest) ?? 0) + suppressedAll;
    const names = new Set([...options.keys(), ...(cvr?.keys() ?? [])]);
    for (const option of names) {
      const rv = options.get(option) ?? null;
      const cv = cvr === undefined ? null : (cvr.get(option) ?? (rv !== null ? 0 : null));
      let status: TotalsRow['status'];
      let difference: number | null = null;
      if (cvr === undefined) status = 'missing-in-cvr';
      else if (rv === null) status = (cv ?? 0) === 0 ? 'match' : 'missing-in-results';
      else {
        difference = rv - (cv ?? 0);
        status = difference === 0 ? 'match' : difference > 0 && difference <= suppressed ? 'within-suppressed' : 'mismatch';
      }
      totals.push({ contest, option, cvrVotes: cv, resultVotes: rv, difference, suppressedBallots: suppressed, status });
    }
  }

  // --- per batch ---
  const imagesPerBatch = new Map<string, number>();
  for (const [key, n] of imageKeyCount) {
    const m = /^d:(\d+)_(\d+)_\d+$/.exec(key);
    if (m !== null) imagesPerBatch.set(`${m[1]}|${m[2]}`, (imagesPerBatch.get(`${m[1]}|${m[2]}`) ?? 0) + n);
  }
  const batches: BatchRow[] = recordsPerBatch(db).map((b) => {
      const tabulator = b.tabulator ?? '';
      const batch = b.batch ?? '';
      const k = `${tabulator.replace(/^0+(?=\d)/, '')}|${batch.replace(/^0+(?=\d)/, '')}`;
      return { tabulator, batch, cvrRecords: b.n, images: imagesPerBatch.size > 0 ? (imagesPerBatch.get(k) ?? 0) : null };
    });

  const failedSources = sources.filter((s) => s.state === 'failed').length;
  const mismatched = totals.filter((t) => t.status === 'mismatch' || t.status === 'missing-in-cvr' || t.status === 'missing-in-results').length;
  const summary = {
    cvrRecords,
    imageFiles: imageKeys.length,
    imagesWithoutCvr: imagesWithoutCvr.length,
    cvrsWithoutImage: cvrsWithoutImage.length,
    duplicateCvrs: duplicateCvrs.length,
    duplicateImages: duplicateImages.length,
    rescannedSheets: rescans.pairs.length,
    sheetsCheckedForRescans: rescans.sheetsCompared,
    sheetsNotCheckedForRescans: rescans.sheetsNotComparable,
    eifContestsMissingFromCvr: contestsMissingFromCvr.length,
    cvrContestsMissingFromEif: cvrContestsMissingFromEif.length,
    eifOptionsMissingFromCvr: optionsMissingFromCvr.length,
    cvrOptionsMissingFromEif: cvrOptionsMissingFromEif.length,
    totalsMismatched: mismatched,
    totalsWithinSuppressed: totals.filter((t) => t.status === 'within-suppressed').length,
    failedSources,
    notElectionData: sources.filter((s) => s.format === 'not-election-data').length,
    clean: false,
  };
  summary.clean =
    summary.imagesWithoutCvr +
      summary.cvrsWithoutImage +
      summary.duplicateCvrs +
      summary.duplicateImages +
      summary.rescannedSheets +
      summary.eifContestsMissingFromCvr +
      summary.cvrContestsMissingFromEif +
      summary.eifOptionsMissingFromCvr +
      summary.cvrOptionsMissingFromEif +
      summary.totalsMismatched +
      failedSources ===
      0 &&
    // Nothing imported is nothing checked, never "all passed".
    cvrRecords > 0;
  return {
    generatedAt: new Date().toISOString(),
    sources: sources.map((s) => ({
      name: s.name,
      format: s.format,
      state: s.state,
      records: s.records,
      warnings: s.warnings_json === null ? [] : (JSON.parse(s.warnings_json) as string[]),
      error: s.error_json === null ? null : ((JSON.parse(s.error_json) as { message?: string }).message ?? null),
    })),
    summary,
    imagesWithoutCvr: list(imagesWithoutCvr),
    cvrsWithoutImage: list(cvrsWithoutImage),
    imageZipsNotListed: zipped.unlisted,
    duplicateCvrs: list(duplicateCvrs),
    duplicateImages: list(duplicateImages),
    rescannedSheets: list(rescans.pairs),
    eif: { present: eifPresent, contestsMissingFromCvr, cvrContestsMissingFromEif, optionsMissingFromCvr, optionsWithoutVotes, cvrOptionsMissingFromEif },
    totals: { present: resultRows.length > 0, rows: totals },
    batches,
  };
}
