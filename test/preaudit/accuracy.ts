/**
 * Accuracy of the pre-audit on a sample election from scripts/sample-election (its `truth/`
 * says what every voter meant, mark by mark, and which discrepancies were injected). Used by the
 * accuracy test and by `npx tsx test/preaudit/accuracy.ts <sample-dir>` for large runs.
 *
 * Sheets are read either inline (every target score kept, for tuning) or on the worker pool
 * (pool.ts, as the daemon reads them). With `compare`, every sheet is compared with its vendor's
 * CVR export (Dominion JSON, ES&S CSV) and the per-contest totals with the results summary.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import JSZip from 'jszip';
import { z } from 'zod';
import { openStateDatabase } from '../../daemon/runtime/stateDatabase.ts';
import { parseDominionCvrExport } from '../../daemon/importer/dominion.ts';
import { parseEssCvr } from '../../daemon/importer/ess.ts';
import { imageKeyFromFileName } from '../../daemon/importer/imageKeys.ts';
import type { NormalizedCvr } from '../../daemon/importer/model.ts';
import { parseResults } from '../../daemon/importer/results.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import {
  type BallotComparison,
  compareBallot,
  compareTotals,
  type ContestVerdict,
  resultsTotalsByLayout,
  slotlessWriteIn,
  type TotalsLine,
  grayOf,
  totalsOf,
} from '../../daemon/preaudit/compare.ts';
import { findLikelyDuplicates, type SheetFingerprint } from '../../daemon/importer/likelyDuplicates.ts';
import { cvrSourceFromRecords, optionKey, type VendorKeyMap } from '../../daemon/preaudit/cvrSource.ts';
import { decodeBallotImage, type DecodedPage } from '../../daemon/preaudit/image.ts';
import { BMD_CARD_CODE, bmdCardReason } from '../../daemon/preaudit/setApart.ts';
import { interpretSheetAnyStyle } from '../../daemon/preaudit/interpret.ts';
import type { ContestDefinition, StyleLayout } from '../../daemon/preaudit/layout.ts';
import type { ContestReading, MarkClass } from '../../daemon/preaudit/marks.ts';
import { runPreaudit, type SheetPage } from '../../daemon/preaudit/pool.ts';
import { readSampleLayouts } from './sampleElection.ts';

const truthMark = z.object({
  kind: z.string(),
  side: z.enum(['front', 'back']),
  column: z.number().nullable(),
  row: z.number().nullable(),
  contestId: z.string().nullable(),
  optionId: z.string().nullable(),
  writeInIndex: z.number().nullable(),
  intended: z.boolean(),
  ambiguous: z.boolean(),
});
type TruthMark = z.infer<typeof truthMark>;
const contestTruth = z.object({
  contestId: z.string(),
  selections: z.array(z.string()),
  votes: z.array(z.string()),
  outcome: z.enum(['voted', 'undervote', 'blank', 'overvote']),
  ambiguous: z.boolean(),
});
const imageTruth = z.object({
  vendor: z.enum(['dominion', 'ess']),
  paths: z.array(z.string()),
  dpi: z.number(),
  /** 'bmd-card': an ExpressVote card (ES&S export), to be set apart, never read from marks. */
  pages: z.array(z.string()).optional(),
});
const scannedContest = z.object({ contestId: z.string(), votes: z.array(z.string()), outcome: z.enum(['voted', 'undervote', 'blank', 'overvote']) });
const sheetTruth = z.object({
  sheetId: z.string(),
  card: z.number(),
  marks: z.array(truthMark),
  contests: z.array(contestTruth),
  /** What the vendor's scanner counted (ES&S exports): the honest CVR, which may differ from intent on a faint or half-erased mark. */
  scannerContests: z.array(scannedContest).optional(),
  images: z.array(imageTruth),
});
const ballotTruth = z.object({ ballotId: z.string(), styleId: z.string(), sheets: z.array(sheetTruth) });
const truthIndex = z.object({ ballots: z.array(z.string()) });

export type SheetTruth = z.infer<typeof sheetTruth>;
export type Vendor = 'dominion' | 'ess';

export interface KindStats {
  n: number;
  marked: number;
  marginal: number;
  unmarked: number;
  /** Scores seen, for tuning and the report's quantiles (solid/coverage/halo only when read inline). */
  fills: number[];
  solids: number[];
  coverages: number[];
  halos: number[];
}

export interface MarkMiss {
  sheetId: string;
  vendor: string;
  kind: string;
  target: string;
  intended: boolean;
  read: string;
  fill: number;
  solid: number | null;
}

export interface AccuracyReport {
  sheets: number;
  /** Sheets per vendor that were read. */
  sheetsByVendor: Record<string, number>;
  /** Sheets that could not be read at all (no grid, unknown style): listed for review. */
  unreadable: { sheetId: string; vendor: string; code: string; message: string }[];
  contests: number;
  contestsRight: number;
  /** Contests where a marginal mark left the result to a person. */
  contestsGray: number;
  /** Contests read differently with no marginal mark, but reported gray by the CVR comparison (EMS flagged the mark ambiguous). */
  contestsGrayByCvr: number;
  /** Contests read with a different result, reported neither gray nor flagged: silently wrong. */
  contestsWrong: { sheetId: string; vendor: string; contestId: string; truth: string[]; read: string[]; ambiguous: boolean }[];
  /** Contests read against intent but as the vendor's scanner counted them (truth's scannerContests): image and honest CVR agree, the voter's faint or half-erased mark misled both. */
  contestsAsScanned: { sheetId: string; vendor: string; contestId: string; truth: string[]; read: string[]; ambiguous: boolean }[];
  /** Marks drawn clear (not designed ambiguous) not read as meant: intended not 'marked', or unintended not 'unmarked'. */
  clearMarks: number;
  clearMarksWrong: MarkMiss[];
  /** Marks designed ambiguous. */
  ambiguousMarks: number;
  ambiguousRight: number;
  /** ...read marginal (gray in the comparison). */
  ambiguousMarginal: number;
  /** ...read against intent, but the contest was reported gray by the comparison (the EMS flagged the mark). */
  ambiguousGrayByCvr: MarkMiss[];
  /** ...read against intent in a contest that still counts right (an overvote either way): nothing counted changes. */
  ambiguousNoEffect: MarkMiss[];
  /** ...read against intent on a sheet that has no CVR: the whole sheet is reported (image without CVR), not compared. */
  ambiguousWithoutCvr: MarkMiss[];
  /** ...read against intent in a contest read as the vendor's scanner counted it (see contestsAsScanned). */
  ambiguousAsScanned: MarkMiss[];
  /** ...read against intent and not reported gray, changing what the contest counts: silently wrong. */
  ambiguousWrong: MarkMiss[];
  /** Targets with no mark at all read as marked or marginal. */
  blankTargetsNotUnmarked: number;
  /** ...of which read as a vote (the rest are gray). */
  blankTargetsMarked: number;
  blankTargetsRead: { sheetId: string; vendor: string; target: string; read: string; fill: number }[];
  blankTargets: number;
  targetsNotFound: number;
  /** ExpressVote cards in the export, those set apart as BMD cards, and any read or refused otherwise. */
  bmdCards: number;
  bmdCardsApart: number;
  bmdCardsNotApart: { sheetId: string; code: string }[];
  byKind: Record<string, KindStats>;
  /** Sheets with at least one contest gray or wrong. */
  sheetsFlagged: number;
  comparison?: ComparisonCheck;
  seconds: number;
}

export interface ComparisonCheck {
  ballotsCompared: number;
  /** Injected discrepancies and whether the comparison found each (per vendor for ballot-level ones). */
  injected: { kind: string; vendor: string; sheetId: string; found: boolean }[];
  /** Ballots (sheets) with a disagreeing contest that no injected discrepancy explains. */
  falseDisagreementBallots: { sheetId: string; vendor: string }[];
  /** ...of which the sheet holds a mark designed ambiguous. */
  falseDisagreementsOnAmbiguous: number;
  grayBallots: number;
  /** Disagreeing contests per sheet (image votes vs CVR votes). */
  details: Record<string, { contestId: string; image: readonly string[]; cvr: readonly string[]; marginal: readonly string[] }[]>;
  /** Totals per contest and option: images vs CVR vs results summary, per vendor. */
  totals: Record<string, TotalsLine[]>;
  /** Results-summary rows that matched no contest or option. */
  resultsUnmatched: number;
}

export interface EvaluateOptions {
  readonly vendors?: readonly Vendor[];
  /** Read at most this many sheets (in index order). */
  readonly limit?: number;
  readonly onSheet?: (done: number) => void;
  /** Compare with the CVR exports and the results summary; check every injected discrepancy. */
  readonly compare?: boolean;
  /** Read on this many worker threads (pool.ts). Unset: inline, keeping every score for tuning. */
  readonly workers?: number;
  /** 'ess-dashed': the ES&S sheets are the Electionware export's PDFs, read with the ES&S-design layouts. */
  readonly essDesign?: 'ess-dashed';
}

/** One target as read: where (layout ids), the class, and the scores known. */
interface TargetRead {
  readonly contestId: string;
  readonly optionId: string;
  readonly mark: MarkClass;
  readonly fill: number;
  readonly solid: number | null;
  readonly coverage: number | null;
  readonly halo: number | null;
}

interface SheetRead {
  readonly styleId: string;
  readonly targetsNotFound: number;
  readonly contests: readonly ContestReading[];
  readonly targets: readonly TargetRead[];
}

interface Job {
  readonly key: string;
  readonly sheet: SheetTruth;
  readonly vendor: Vendor;
  readonly paths: readonly string[];
  readonly bmdCard: boolean;
}

async function readInline(sampleDir: string, job: Job, layouts: readonly StyleLayout[]): Promise<SheetRead | { code: string; message: string }> {
  const images: DecodedPage[] = [];
  for (const p of job.paths) {
    const r = await decodeBallotImage(path.join(sampleDir, p));
    if (!r.ok) return { code: r.error.code, message: r.error.message };
    images.push(...r.value);
  }
  // as the worker does (worker.ts): a BMD card is set apart before any reading
  const apart = bmdCardReason(images);
  if (apart !== undefined) return { code: apart.code, message: apart.message };
  const reading = interpretSheetAnyStyle(images, layouts);
  if (!reading.ok) return { code: reading.error.code, message: reading.error.message };
  return {
    styleId: reading.value.styleId,
    targetsNotFound: reading.value.targetsNotFound,
    contests: reading.value.contests,
    targets: reading.value.pages.flatMap((p) =>
      p.targets.map((t) => ({
        contestId: t.contestId,
        optionId: t.optionId,
        mark: t.mark,
        fill: t.score.fill,
        solid: t.score.solid,
        coverage: t.score.coverage,
        halo: t.score.halo,
      })),
    ),
  };
}

/** Reads every job on the worker pool (into a throw-away SQLite database), as the daemon does. */
async function readOnPool(
  sampleDir: string,
  jobs: readonly Job[],
  layouts: readonly StyleLayout[],
  workers: number,
  onSheet?: (done: number) => void,
): Promise<Map<string, SheetRead | { code: string; message: string }>> {
  const db = openStateDatabase(':memory:');
  try {
    await runPreaudit(
      db,
      jobs.map((j) => ({ key: j.key, files: j.paths.map((p) => path.join(sampleDir, p)) })),
      layouts,
      silentLogger(),
      { workers, ...(onSheet === undefined ? {} : { onProgress: (p) => onSheet(p.done) }) },
    );
    const rows = db
      .prepare<[], { sheet_key: string; status: string; style_id: string | null; error_code: string | null; error_message: string | null; targets_not_found: number | null; reading_json: string | null; pages_json: string | null }>(
        'SELECT sheet_key, status, style_id, error_code, error_message, targets_not_found, reading_json, pages_json FROM preaudit_sheets',
      )
      .all();
    const out = new Map<string, SheetRead | { code: string; message: string }>();
    for (const r of rows) {
      if (r.status !== 'read') {
        out.set(r.sheet_key, { code: r.error_code ?? 'error', message: r.error_message ?? '' });
        continue;
      }
      const pages = JSON.parse(r.pages_json ?? '[]') as SheetPage[];
      out.set(r.sheet_key, {
        styleId: r.style_id ?? '',
        targetsNotFound: r.targets_not_found ?? 0,
        contests: JSON.parse(r.reading_json ?? '[]') as ContestReading[],
        targets: pages.flatMap((p) =>
          p.targets.map((t) => ({ contestId: t.contestId, optionId: t.optionId, mark: t.mark as MarkClass, fill: t.fill, solid: null, coverage: null, halo: null })),
        ),
      });
    }
    return out;
  } finally {
    db.close();
  }
}

export async function evaluateSample(sampleDir: string, options: EvaluateOptions = {}): Promise<AccuracyReport> {
  const started = performance.now();
  const truthDir = path.join(sampleDir, 'truth');
  const layoutMap = readSampleLayouts(truthDir, options.essDesign === undefined ? {} : { design: options.essDesign });
  if (!layoutMap.ok) throw new Error(layoutMap.error.message);
  const layouts: StyleLayout[] = [...layoutMap.value.values()];
  const index = truthIndex.parse(JSON.parse(readFileSync(path.join(truthDir, 'index.json'), 'utf8')));
  const vendors = new Set<Vendor>(options.vendors ?? ['dominion', 'ess']);
  const jobs: Job[] = [];
  outer: for (const rel of index.ballots) {
    const ballot = ballotTruth.parse(JSON.parse(readFileSync(path.join(truthDir, rel), 'utf8')));
    for (const sheet of ballot.sheets) {
      for (const image of sheet.images) {
        if (!vendors.has(image.vendor)) continue;
        if (options.limit !== undefined && jobs.length >= options.limit) break outer;
        const first = image.paths[0] ?? '';
        jobs.push({ key: imageKeyFromFileName(first) ?? `${image.vendor}:${first}`, sheet, vendor: image.vendor, paths: image.paths, bmdCard: image.pages?.includes('bmd-card') === true });
      }
    }
  }

  const report: AccuracyReport = {
    sheets: jobs.length,
    sheetsByVendor: {},
    unreadable: [],
    contests: 0,
    contestsRight: 0,
    contestsGray: 0,
    contestsGrayByCvr: 0,
    contestsWrong: [],
    contestsAsScanned: [],
    clearMarks: 0,
    clearMarksWrong: [],
    ambiguousMarks: 0,
    ambiguousRight: 0,
    ambiguousMarginal: 0,
    ambiguousGrayByCvr: [],
    ambiguousNoEffect: [],
    ambiguousWithoutCvr: [],
    ambiguousAsScanned: [],
    ambiguousWrong: [],
    blankTargetsNotUnmarked: 0,
    blankTargetsMarked: 0,
    blankTargetsRead: [],
    blankTargets: 0,
    targetsNotFound: 0,
    bmdCards: 0,
    bmdCardsApart: 0,
    bmdCardsNotApart: [],
    byKind: {},
    sheetsFlagged: 0,
    seconds: 0,
  };

  const reads = new Map<string, SheetRead | { code: string; message: string }>();
  if (options.workers !== undefined && options.workers > 0) {
    for (const [k, v] of await readOnPool(sampleDir, jobs, layouts, options.workers, options.onSheet)) reads.set(k, v);
  } else {
    let done = 0;
    for (const job of jobs) {
      reads.set(job.key, await readInline(sampleDir, job, layouts));
      options.onSheet?.(++done);
    }
  }

  const read: { job: Job; reading: SheetRead }[] = [];
  for (const job of jobs) {
    const r = reads.get(job.key);
    if (job.bmdCard) {
      report.bmdCards++;
      if (r !== undefined && 'code' in r && r.code === BMD_CARD_CODE) report.bmdCardsApart++;
      else report.bmdCardsNotApart.push({ sheetId: job.sheet.sheetId, code: r === undefined ? 'missing' : 'code' in r ? r.code : 'read as a ballot' });
      continue;
    }
    if (r === undefined || 'code' in r) {
      report.unreadable.push({ sheetId: job.sheet.sheetId, vendor: job.vendor, code: r?.code ?? 'missing', message: r?.message ?? 'not read' });
      continue;
    }
    report.sheetsByVendor[job.vendor] = (report.sheetsByVendor[job.vendor] ?? 0) + 1;
    read.push({ job, reading: r });
  }

  const verdicts = new Map<string, Map<string, ContestVerdict>>();
  const withoutCvr = new Set<string>();
  if (options.compare === true) {
    report.comparison = await checkComparison(sampleDir, layouts, [...vendors], read, verdicts, withoutCvr);
  }
  for (const { job, reading } of read) scoreSheet(report, job, reading, verdicts.get(job.key), withoutCvr.has(job.key));
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

const electionIds = z.object({
  contests: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      dominionId: z.number().optional(),
      writeInDominionIds: z.array(z.number()).optional(),
      options: z.array(z.object({ id: z.string(), name: z.string(), dominionId: z.number().optional() })),
    }),
  ),
});
const discrepancyList = z.object({
  discrepancies: z.array(
    z.object({
      kind: z.string(),
      sheetId: z.string().optional(),
      contestId: z.string().optional(),
      optionId: z.string().optional(),
      duplicateSheetId: z.string().optional(),
    }),
  ),
});

/** Vendor key map from the sample election definition: Dominion's numeric ids and ES&S's names. */
export function sampleKeys(truthDir: string): VendorKeyMap {
  const e = electionIds.parse(JSON.parse(readFileSync(path.join(truthDir, 'election.json'), 'utf8')));
  const contests = new Map<string, string>();
  const options = new Map<string, string>();
  for (const c of e.contests) {
    contests.set(c.title, c.id);
    for (const o of c.options) options.set(optionKey(c.title, o.name), o.id);
    options.set(optionKey(c.title, 'Write-in'), slotlessWriteIn);
    if (c.dominionId !== undefined) {
      const ck = String(c.dominionId);
      contests.set(ck, c.id);
      for (const o of c.options) if (o.dominionId !== undefined) options.set(optionKey(ck, String(o.dominionId)), o.id);
      (c.writeInDominionIds ?? []).forEach((w, i) => options.set(optionKey(ck, String(w)), `write-in-${i}`));
    }
  }
  return { contests, options };
}

async function loadCvrs(sampleDir: string, vendor: Vendor): Promise<NormalizedCvr[]> {
  const records: NormalizedCvr[] = [];
  const sink = { record: (r: NormalizedCvr) => records.push(r) };
  if (vendor === 'dominion') {
    const dir = path.join(sampleDir, 'dominion');
    for (const f of readdirSync(dir).filter((n) => /^CvrExport_\d+\.json$/.test(n))) {
      const parsed = await parseDominionCvrExport(path.join(dir, f), f, sink);
      if (!parsed.ok) throw new Error(parsed.error.message);
    }
    // the ImageCast design's export: one CVR_Export_<time>.zip in Results/, as ImageCast Central writes it
    const results = path.join(dir, 'Results');
    for (const z of existsSync(results) ? readdirSync(results).filter((n) => /^CVR_Export_\d+\.zip$/.test(n)) : []) {
      const zip = await JSZip.loadAsync(readFileSync(path.join(results, z)));
      for (const [name, entry] of Object.entries(zip.files)) {
        if (!/^CvrExport(_\d+)?\.json$/.test(name)) continue;
        const parsed = await parseDominionCvrExport(await entry.async('uint8array'), `${z} > ${name}`, sink);
        if (!parsed.ok) throw new Error(parsed.error.message);
      }
    }
  } else {
    const parsed = await parseEssCvr(path.join(sampleDir, 'ess', 'CVR', 'CVR_Export.csv'), 'CVR_Export.csv', 'csv', sink);
    if (!parsed.ok) throw new Error(parsed.error.message);
  }
  return records;
}

async function checkComparison(
  sampleDir: string,
  layouts: readonly StyleLayout[],
  vendors: readonly Vendor[],
  read: readonly { job: Job; reading: SheetRead }[],
  verdicts: Map<string, Map<string, ContestVerdict>>,
  withoutCvr: Set<string>,
): Promise<ComparisonCheck> {
  const truthDir = path.join(sampleDir, 'truth');
  const keys = sampleKeys(truthDir);
  const seats = new Map(layouts.flatMap((l) => l.contests.map((c) => [c.id, c.seats] as const)));
  const contestDefs = new Map<string, ContestDefinition>();
  for (const l of layouts) for (const c of l.contests) contestDefs.set(c.id, c);
  const resultsFile = path.join(sampleDir, 'results', 'summary.csv');
  let results: ReturnType<typeof resultsTotalsByLayout> | undefined;
  if (existsSync(resultsFile)) {
    const parsed = await parseResults(resultsFile, 'summary.csv', 'csv');
    if (!parsed.ok) throw new Error(parsed.error.message);
    results = resultsTotalsByLayout(parsed.value.rows, [...contestDefs.values()]);
  }
  const discrepancies = discrepancyList.parse(JSON.parse(readFileSync(path.join(truthDir, 'discrepancies.json'), 'utf8'))).discrepancies;
  const check: ComparisonCheck = {
    ballotsCompared: 0,
    injected: [],
    falseDisagreementBallots: [],
    falseDisagreementsOnAmbiguous: 0,
    grayBallots: 0,
    details: {},
    totals: {},
    resultsUnmatched: results?.unmatched.length ?? 0,
  };
  for (const vendor of vendors) {
    const mine = read.filter((r) => r.job.vendor === vendor);
    if (mine.length === 0) continue;
    const source = cvrSourceFromRecords(await loadCvrs(sampleDir, vendor), keys);
    const disagreeing = new Map<string, Set<string>>();
    const missingCvr = new Set<string>();
    const ambiguousSheets = new Set<string>();
    const fingerprints: SheetFingerprint[] = [];
    const compared: BallotComparison[] = [];
    for (const { job, reading } of mine) {
      const sheetId = job.sheet.sheetId;
      if (job.sheet.marks.some((m) => m.ambiguous)) ambiguousSheets.add(sheetId);
      const cmp = compareBallot(job.key, reading.contests, (c) => seats.get(c) ?? 1, source);
      verdicts.set(job.key, new Map(cmp.contests.map((c) => [c.contestId, c.verdict] as const)));
      if (!cmp.cvrFound) {
        missingCvr.add(sheetId);
        withoutCvr.add(job.key);
      }
      else {
        check.ballotsCompared++;
        compared.push(cmp);
      }
      const bad = cmp.contests.filter((c) => c.verdict === 'disagree');
      if (bad.length > 0) {
        disagreeing.set(sheetId, new Set(bad.map((c) => c.contestId)));
        check.details[`${vendor}:${sheetId}`] = bad.map((c) => ({ contestId: c.contestId, image: c.imageVotes, cvr: c.cvrVotes, marginal: c.marginal }));
      }
      if (cmp.contests.some((c) => c.verdict === 'gray')) check.grayBallots++;
      fingerprints.push({ ballotKey: sheetId, styleId: reading.styleId, fills: reading.targets.map((t) => t.fill) });
    }
    const totals = compareTotals(totalsOf(compared, 'image'), totalsOf(compared, 'cvr'), results?.totals, grayOf(compared));
    check.totals[vendor] = totals;
    const dupPairs = findLikelyDuplicates(fingerprints);
    const inDup = (a: string, b: string) => dupPairs.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
    const explained = new Set<string>();
    for (const d of discrepancies) {
      if (d.kind === 'flip' && d.sheetId !== undefined && d.contestId !== undefined) {
        check.injected.push({ kind: 'flip', vendor, sheetId: d.sheetId, found: disagreeing.get(d.sheetId)?.has(d.contestId) ?? false });
        // only the flipped contest is explained; another disagreeing contest on that sheet is not
        const bad = disagreeing.get(d.sheetId);
        if (bad !== undefined && bad.size === 1 && bad.has(d.contestId)) explained.add(d.sheetId);
      } else if (d.kind === 'drop' && d.sheetId !== undefined) {
        check.injected.push({ kind: 'drop', vendor, sheetId: d.sheetId, found: missingCvr.has(d.sheetId) });
      } else if (d.kind === 'dup' && d.sheetId !== undefined && d.duplicateSheetId !== undefined) {
        check.injected.push({ kind: 'dup', vendor, sheetId: d.sheetId, found: inDup(d.sheetId, d.duplicateSheetId) });
      } else if (d.kind === 'totals' && d.contestId !== undefined && d.optionId !== undefined) {
        const line = totals.find((t) => t.contestId === d.contestId && t.optionId === d.optionId);
        check.injected.push({ kind: 'totals', vendor, sheetId: `${d.contestId}/${d.optionId}`, found: line !== undefined && line.resultsMinusCvr !== null && line.resultsMinusCvr !== 0 });
      }
    }
    for (const s of disagreeing.keys()) {
      if (explained.has(s)) continue;
      check.falseDisagreementBallots.push({ sheetId: s, vendor });
      if (ambiguousSheets.has(s)) check.falseDisagreementsOnAmbiguous++;
    }
  }
  return check;
}

/** The truth mark that decides a target: an intended mark, else an ambiguous one, else any. */
function decidingMarks(sheet: SheetTruth): Map<string, TruthMark> {
  const rank = (m: TruthMark) => (m.intended ? 2 : m.ambiguous ? 1 : 0);
  const out = new Map<string, TruthMark>();
  for (const m of sheet.marks) {
    if (m.contestId === null || m.kind === 'write-in-scribble') continue;
    const key = `${m.contestId}/${m.optionId ?? `write-in-${m.writeInIndex ?? 0}`}`;
    const prev = out.get(key);
    if (prev === undefined || rank(m) > rank(prev)) out.set(key, m);
  }
  return out;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

function scoreSheet(report: AccuracyReport, job: Job, reading: SheetRead, verdicts: ReadonlyMap<string, ContestVerdict> | undefined, noCvr: boolean): void {
  const { sheet, vendor } = job;
  report.targetsNotFound += reading.targetsNotFound;
  let flagged = false;
  const truthByContest = new Map(sheet.contests.map((c) => [c.contestId, c]));
  // A contest is read right when it counts the same: the same votes, or an overvote on both sides
  // (which marks make up an overvote changes nothing that is counted).
  const countedRight = new Set<string>();
  const scannedBy = new Map((sheet.scannerContests ?? []).map((c) => [c.contestId, c]));
  const asScanned = new Set<string>();
  for (const c of reading.contests) {
    const t = truthByContest.get(c.contestId);
    if (t === undefined) continue;
    report.contests++;
    const truthSel = [...t.selections].sort();
    const readSel = [...c.selected].sort();
    const counted = (over: boolean, votes: readonly string[]) => (over ? 'overvote' : [...votes].sort().join('|'));
    const same = counted(t.outcome === 'overvote', t.votes) === counted(c.overvote, c.selected);
    if (same) countedRight.add(c.contestId);
    const scanned = scannedBy.get(c.contestId);
    if (!same && scanned !== undefined && counted(scanned.outcome === 'overvote', scanned.votes) === counted(c.overvote, c.selected)) asScanned.add(c.contestId);
    if (c.marginal.length > 0) {
      report.contestsGray++;
      flagged = true;
    } else if (same) {
      report.contestsRight++;
    } else if (verdicts?.get(c.contestId) === 'gray') {
      report.contestsGrayByCvr++;
      flagged = true;
    } else if (asScanned.has(c.contestId)) {
      report.contestsAsScanned.push({ sheetId: sheet.sheetId, vendor, contestId: c.contestId, truth: truthSel, read: readSel, ambiguous: t.ambiguous });
    } else {
      report.contestsWrong.push({ sheetId: sheet.sheetId, vendor, contestId: c.contestId, truth: truthSel, read: readSel, ambiguous: t.ambiguous });
      flagged = true;
    }
  }
  if (flagged) report.sheetsFlagged++;

  const marksAt = decidingMarks(sheet);
  for (const t of reading.targets) {
    const key = `${t.contestId}/${t.optionId}`;
    const m = marksAt.get(key);
    const statsKey = m === undefined ? `(blank) ${vendor}` : `${m.kind}${m.ambiguous ? ' (ambiguous)' : ''} ${vendor}`;
    const stats = (report.byKind[statsKey] ??= { n: 0, marked: 0, marginal: 0, unmarked: 0, fills: [], solids: [], coverages: [], halos: [] });
    stats.n++;
    stats[t.mark]++;
    stats.fills.push(t.fill);
    if (t.solid !== null) stats.solids.push(t.solid);
    if (t.coverage !== null) stats.coverages.push(t.coverage);
    if (t.halo !== null) stats.halos.push(t.halo);
    if (m === undefined) {
      report.blankTargets++;
      if (t.mark !== 'unmarked') {
        report.blankTargetsNotUnmarked++;
        if (t.mark === 'marked') report.blankTargetsMarked++;
        report.blankTargetsRead.push({ sheetId: sheet.sheetId, vendor, target: key, read: t.mark, fill: round(t.fill) });
      }
      continue;
    }
    const want = m.intended ? 'marked' : 'unmarked';
    const entry: MarkMiss = {
      sheetId: sheet.sheetId,
      vendor,
      kind: m.kind,
      target: key,
      intended: m.intended,
      read: t.mark,
      fill: round(t.fill),
      solid: t.solid === null ? null : round(t.solid),
    };
    if (!m.ambiguous) {
      report.clearMarks++;
      if (t.mark !== want) report.clearMarksWrong.push(entry);
      continue;
    }
    report.ambiguousMarks++;
    if (t.mark === want) report.ambiguousRight++;
    else if (t.mark === 'marginal') report.ambiguousMarginal++;
    else if (verdicts?.get(t.contestId) === 'gray') report.ambiguousGrayByCvr.push(entry);
    else if (countedRight.has(t.contestId)) report.ambiguousNoEffect.push(entry);
    else if (noCvr) report.ambiguousWithoutCvr.push(entry);
    else if (asScanned.has(t.contestId)) report.ambiguousAsScanned.push(entry);
    else report.ambiguousWrong.push(entry);
  }
}

export function formatReport(r: AccuracyReport): string {
  const lines = [
    `sheets read: ${r.sheets - r.unreadable.length} of ${r.sheets} (${Object.entries(r.sheetsByVendor).map(([v, n]) => `${v} ${n}`).join(', ')}; ${r.seconds.toFixed(1)} s)`,
    `contests: ${r.contests}; right ${r.contestsRight}, gray ${r.contestsGray}, gray by the CVR's ambiguity flags ${r.contestsGrayByCvr}, read against intent as the scanner counted ${r.contestsAsScanned.length}, silently wrong ${r.contestsWrong.length}`,
    `clear marks: ${r.clearMarks}, read wrong ${r.clearMarksWrong.length}`,
    `ambiguous marks: ${r.ambiguousMarks}; right ${r.ambiguousRight}, marginal ${r.ambiguousMarginal}, against intent but gray by the CVR ${r.ambiguousGrayByCvr.length}, against intent in an overvote either way ${r.ambiguousNoEffect.length}, against intent on a sheet without CVR ${r.ambiguousWithoutCvr.length}, against intent as the scanner counted ${r.ambiguousAsScanned.length}, silently wrong ${r.ambiguousWrong.length}`,
    `blank targets read as votes: ${r.blankTargetsMarked}, as marginal: ${r.blankTargetsNotUnmarked - r.blankTargetsMarked} (of ${r.blankTargets}); targets not found: ${r.targetsNotFound}`,
    `sheets flagged (gray or wrong): ${r.sheetsFlagged}`,
    'by mark kind (marked / marginal / unmarked):',
    ...Object.entries(r.byKind)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, s]) => {
        const range = (values: number[]) => {
          if (values.length === 0) return '-';
          const f = [...values].sort((a, b) => a - b);
          const q = (p: number) => (f[Math.min(f.length - 1, Math.floor(p * (f.length - 1)))] ?? 0).toFixed(3);
          return `${q(0)}..${q(0.5)}..${q(1)}`;
        };
        return `  ${k.padEnd(34)} ${String(s.n).padStart(6)}: ${s.marked} / ${s.marginal} / ${s.unmarked}   fill ${range(s.fills)} solid ${range(s.solids)} cover ${range(s.coverages)} halo ${range(s.halos)}`;
      }),
  ];
  if (r.comparison !== undefined) {
    const c = r.comparison;
    const found = c.injected.filter((d) => d.found).length;
    lines.push(
      `comparison with the CVR exports: ${c.ballotsCompared} sheets; injected discrepancies found ${found} of ${c.injected.length} (${c.injected.map((d) => `${d.vendor} ${d.kind}:${d.found ? 'found' : 'MISSED'}`).join(', ')})`,
      `  false disagreements: ${c.falseDisagreementBallots.length} sheets (${((c.falseDisagreementBallots.length / Math.max(1, c.ballotsCompared)) * 100).toFixed(3)}%), of which ${c.falseDisagreementsOnAmbiguous} on sheets with a mark designed ambiguous; gray sheets: ${c.grayBallots}`,
      ...Object.entries(c.totals).map(([v, t]) => `  totals (${v}): ${t.length} options; image ≠ CVR ${t.filter((x) => x.imageMinusCvr !== 0).length} (beyond gray contests ${t.filter((x) => (x.imageMinusCvrBeyondGray ?? 0) !== 0).length}), results ≠ CVR ${t.filter((x) => (x.resultsMinusCvr ?? 0) !== 0).length}; results rows unmatched ${c.resultsUnmatched}`),
      ...c.falseDisagreementBallots.slice(0, 10).map((b) => `  false disagreement on ${b.vendor} ${b.sheetId}: ${JSON.stringify(c.details[`${b.vendor}:${b.sheetId}`] ?? [])}`),
    );
  }
  for (const u of r.unreadable.slice(0, 10)) lines.push(`  unreadable ${u.sheetId} (${u.vendor}): ${u.code} ${u.message}`);
  for (const w of r.blankTargetsRead.slice(0, 10)) lines.push(`  blank target read: ${JSON.stringify(w)}`);
  for (const w of r.clearMarksWrong.slice(0, 20)) lines.push(`  clear mark wrong: ${JSON.stringify(w)}`);
  for (const w of r.ambiguousWrong.slice(0, 10)) lines.push(`  ambiguous wrong: ${JSON.stringify(w)}`);
  for (const w of r.contestsWrong.slice(0, 10)) lines.push(`  contest wrong: ${JSON.stringify(w)}`);
  return lines.join('\n');
}

// Script entry: npx tsx test/preaudit/accuracy.ts <sample-dir> [--vendor dominion|ess] [--limit n] [--workers n] [--no-compare]
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const [dir, ...rest] = process.argv.slice(2);
  if (dir === undefined) {
    process.stderr.write('usage: npx tsx test/preaudit/accuracy.ts <sample-dir> [--vendor dominion|ess] [--limit n] [--workers n] [--no-compare]\n');
    process.exit(2);
  }
  const arg = (name: string) => {
    const i = rest.indexOf(name);
    return i >= 0 ? rest[i + 1] : undefined;
  };
  const vendor = arg('--vendor');
  const report = await evaluateSample(dir, {
    compare: !rest.includes('--no-compare'),
    ...(vendor === 'dominion' || vendor === 'ess' ? { vendors: [vendor] } : {}),
    ...(arg('--limit') !== undefined ? { limit: Number(arg('--limit')) } : {}),
    ...(arg('--workers') !== undefined ? { workers: Number(arg('--workers')) } : {}),
    onSheet: (n) => {
      if (n % 100 === 0) process.stderr.write(`${n} sheets\n`);
    },
  });
  process.stdout.write(`${formatReport(report)}\n`);
}
