/**
 * Accuracy of the pre-audit on a sample election from scripts/sample-election (its `truth/`
 * says what every voter meant, mark by mark). Used by the accuracy test (a small sample) and by
 * `npx tsx daemon/preaudit/accuracy.ts <sample-dir>` for the large runs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { decodeBallotImage, type GrayImage } from './image.ts';
import { interpretSheetAnyStyle, type SheetReading } from './interpret.ts';
import type { StyleLayout } from './layout.ts';
import { readSampleLayouts } from './sampleElection.ts';
import type { NormalizedCvr } from '../importer/model.ts';
import { parseDominionCvrExport } from '../importer/dominion.ts';
import { imageKeyFromFileName } from '../importer/imageKeys.ts';
import { compareBallot, findLikelyDuplicates, type SheetFingerprint } from './compare.ts';
import { cvrSourceFromRecords, optionKey, type VendorKeyMap } from './cvrSource.ts';

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
});
const sheetTruth = z.object({
  sheetId: z.string(),
  card: z.number(),
  marks: z.array(truthMark),
  contests: z.array(contestTruth),
  images: z.array(imageTruth),
});
const ballotTruth = z.object({ ballotId: z.string(), styleId: z.string(), sheets: z.array(sheetTruth) });
const truthIndex = z.object({ ballots: z.array(z.string()) });

export type SheetTruth = z.infer<typeof sheetTruth>;

export interface KindStats {
  n: number;
  marked: number;
  marginal: number;
  unmarked: number;
  /** Fill scores seen, for tuning and for the report's quantiles. */
  fills: number[];
  solids: number[];
  coverages: number[];
  halos: number[];
}

export interface AccuracyReport {
  sheets: number;
  /** Sheets that could not be read at all (no grid, unknown style): listed for review. */
  unreadable: { sheetId: string; vendor: string; code: string; message: string }[];
  contests: number;
  contestsRight: number;
  /** Contests where a marginal mark left the result to a person. */
  contestsGray: number;
  /** Contests read with a different result and no marginal mark: silently wrong. */
  contestsWrong: { sheetId: string; vendor: string; contestId: string; truth: string[]; read: string[]; ambiguous: boolean }[];
  /** Clear marks (not designed ambiguous) not read as meant: intended not 'marked', or unintended not 'unmarked'. */
  clearMarksWrong: { sheetId: string; vendor: string; kind: string; target: string; intended: boolean; read: string; fill: number; solid: number }[];
  /** Marks designed ambiguous read opposite to intent without being marginal. */
  ambiguousWrong: { sheetId: string; vendor: string; kind: string; target: string; intended: boolean; read: string; fill: number; solid: number }[];
  /** Targets with no mark at all read as marked or marginal. */
  blankTargetsNotUnmarked: number;
  /** ...of which read as a vote (the rest are gray). */
  blankTargetsMarked: number;
  blankTargetsRead: { sheetId: string; vendor: string; target: string; read: string; fill: number; solid: number }[];
  blankTargets: number;
  targetsNotFound: number;
  byKind: Record<string, KindStats>;
  /** Ballots (sheets) with at least one contest gray or wrong. */
  sheetsFlagged: number;
  /** Comparison with the Dominion CVR export (when asked for). */
  comparison?: ComparisonCheck;
  seconds: number;
}

export interface ComparisonCheck {
  ballotsCompared: number;
  /** Injected discrepancies and whether the comparison found each. */
  injected: { kind: string; sheetId: string; found: boolean }[];
  /** Ballots with a disagreement no injected discrepancy explains. */
  falseDisagreementBallots: string[];
  /** ...of which the sheet holds a mark designed ambiguous (a reader may legitimately differ). */
  falseDisagreementsOnAmbiguous: number;
  grayBallots: number;
  /** Disagreeing contests per sheet (image votes vs CVR votes), for the report. */
  details: Record<string, { contestId: string; image: readonly string[]; cvr: readonly string[]; marginal: readonly string[] }[]>;
}

export interface EvaluateOptions {
  readonly vendors?: readonly ('dominion' | 'ess')[];
  /** Read at most this many sheets (in index order). */
  readonly limit?: number;
  readonly onSheet?: (done: number) => void;
  /** Also compare the Dominion sheets with the Dominion CVR export and check the injected discrepancies. */
  readonly compareDominion?: boolean;
}

async function loadImages(sampleDir: string, paths: readonly string[]): Promise<GrayImage[] | string> {
  const images: GrayImage[] = [];
  for (const p of paths) {
    const r = await decodeBallotImage(path.join(sampleDir, p));
    if (!r.ok) return r.error.message;
    images.push(...r.value);
  }
  return images;
}

export async function evaluateSample(sampleDir: string, options: EvaluateOptions = {}): Promise<AccuracyReport> {
  const started = performance.now();
  const truthDir = path.join(sampleDir, 'truth');
  const layouts = readSampleLayouts(truthDir);
  if (!layouts.ok) throw new Error(layouts.error.message);
  const layoutList: StyleLayout[] = [...layouts.value.values()];
  const index = truthIndex.parse(JSON.parse(readFileSync(path.join(truthDir, 'index.json'), 'utf8')));
  const vendors = new Set(options.vendors ?? ['dominion', 'ess']);
  const report: AccuracyReport = {
    sheets: 0,
    unreadable: [],
    contests: 0,
    contestsRight: 0,
    contestsGray: 0,
    contestsWrong: [],
    clearMarksWrong: [],
    ambiguousWrong: [],
    blankTargetsNotUnmarked: 0,
    blankTargetsMarked: 0,
    blankTargetsRead: [],
    blankTargets: 0,
    targetsNotFound: 0,
    byKind: {},
    sheetsFlagged: 0,
    seconds: 0,
  };
  let done = 0;
  const dominionReadings: { sheet: SheetTruth; path: string; reading: SheetReading }[] = [];
  outer: for (const rel of index.ballots) {
    const ballot = ballotTruth.parse(JSON.parse(readFileSync(path.join(truthDir, rel), 'utf8')));
    for (const sheet of ballot.sheets) {
      for (const image of sheet.images) {
        if (!vendors.has(image.vendor)) continue;
        if (options.limit !== undefined && report.sheets >= options.limit) break outer;
        report.sheets++;
        const images = await loadImages(sampleDir, image.paths);
        if (typeof images === 'string') {
          report.unreadable.push({ sheetId: sheet.sheetId, vendor: image.vendor, code: 'decode', message: images });
          continue;
        }
        const reading = interpretSheetAnyStyle(images, layoutList);
        if (!reading.ok) {
          report.unreadable.push({ sheetId: sheet.sheetId, vendor: image.vendor, code: reading.error.code, message: reading.error.message });
          continue;
        }
        scoreSheet(report, sheet, image.vendor, reading.value);
        if (image.vendor === 'dominion') dominionReadings.push({ sheet, path: image.paths[0] ?? '', reading: reading.value });
        options.onSheet?.(++done);
      }
    }
  }
  if (options.compareDominion === true) report.comparison = await checkComparison(sampleDir, layoutList, dominionReadings);
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

const dominionIds = z.object({
  contests: z.array(
    z.object({
      id: z.string(),
      dominionId: z.number(),
      writeInDominionIds: z.array(z.number()),
      options: z.array(z.object({ id: z.string(), dominionId: z.number() })),
    }),
  ),
});
const discrepancyList = z.object({
  discrepancies: z.array(z.object({ kind: z.string(), sheetId: z.string().optional(), contestId: z.string().optional(), duplicateSheetId: z.string().optional() })),
});

/** Vendor key map from the sample election definition (it records each contest's Dominion ids). */
function sampleDominionKeys(truthDir: string): VendorKeyMap {
  const e = dominionIds.parse(JSON.parse(readFileSync(path.join(truthDir, 'election.json'), 'utf8')));
  const contests = new Map<string, string>();
  const options = new Map<string, string>();
  for (const c of e.contests) {
    const ck = String(c.dominionId);
    contests.set(ck, c.id);
    for (const o of c.options) options.set(optionKey(ck, String(o.dominionId)), o.id);
    c.writeInDominionIds.forEach((w, i) => options.set(optionKey(ck, String(w)), `write-in-${i}`));
  }
  return { contests, options };
}

async function checkComparison(
  sampleDir: string,
  layouts: readonly StyleLayout[],
  readings: readonly { sheet: SheetTruth; path: string; reading: SheetReading }[],
): Promise<ComparisonCheck> {
  const truthDir = path.join(sampleDir, 'truth');
  const records: NormalizedCvr[] = [];
  const dir = path.join(sampleDir, 'dominion');
  for (const f of readdirSync(dir).filter((n) => /^CvrExport_\d+\.json$/.test(n))) {
    const parsed = await parseDominionCvrExport(path.join(dir, f), f, { record: (r) => records.push(r) });
    if (!parsed.ok) throw new Error(parsed.error.message);
  }
  const source = cvrSourceFromRecords(records, sampleDominionKeys(truthDir));
  const seats = new Map(layouts.flatMap((l) => l.contests.map((c) => [c.id, c.seats] as const)));
  const sheetOfKey = new Map<string, string>();
  const disagreeing = new Map<string, Set<string>>();
  const missingCvr = new Set<string>();
  const fingerprints: SheetFingerprint[] = [];
  const details: ComparisonCheck['details'] = {};
  let grayBallots = 0;
  const ambiguousSheets = new Set<string>();
  for (const { sheet, path: imagePath, reading } of readings) {
    const key = imageKeyFromFileName(imagePath) ?? imagePath;
    sheetOfKey.set(key, sheet.sheetId);
    if (sheet.marks.some((m) => m.ambiguous)) ambiguousSheets.add(sheet.sheetId);
    const cmp = compareBallot(key, reading.contests, (c) => seats.get(c) ?? 1, source);
    if (!cmp.cvrFound) missingCvr.add(sheet.sheetId);
    const badContests = cmp.contests.filter((c) => c.verdict === 'disagree');
    const bad = badContests.map((c) => c.contestId);
    if (bad.length > 0) {
      disagreeing.set(sheet.sheetId, new Set(bad));
      details[sheet.sheetId] = badContests.map((c) => ({ contestId: c.contestId, image: c.imageVotes, cvr: c.cvrVotes, marginal: c.marginal }));
    }
    if (cmp.contests.some((c) => c.verdict === 'gray')) grayBallots++;
    fingerprints.push({ ballotKey: sheet.sheetId, styleId: reading.styleId, fills: reading.pages.flatMap((p) => p.targets.map((t) => t.score.fill)) });
  }
  const dupPairs = findLikelyDuplicates(fingerprints);
  const inDup = (a: string, b: string) => dupPairs.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
  const discrepancies = discrepancyList.parse(JSON.parse(readFileSync(path.join(truthDir, 'discrepancies.json'), 'utf8'))).discrepancies;
  const explained = new Set<string>();
  const injected: ComparisonCheck['injected'] = [];
  for (const d of discrepancies) {
    if (d.kind === 'flip' && d.sheetId !== undefined && d.contestId !== undefined) {
      injected.push({ kind: 'flip', sheetId: d.sheetId, found: disagreeing.get(d.sheetId)?.has(d.contestId) ?? false });
      explained.add(d.sheetId);
    } else if (d.kind === 'drop' && d.sheetId !== undefined) {
      injected.push({ kind: 'drop', sheetId: d.sheetId, found: missingCvr.has(d.sheetId) });
    } else if (d.kind === 'dup' && d.sheetId !== undefined && d.duplicateSheetId !== undefined) {
      injected.push({ kind: 'dup', sheetId: d.sheetId, found: inDup(d.sheetId, d.duplicateSheetId) });
    }
  }
  const falseDisagreementBallots = [...disagreeing.keys()].filter((s) => !explained.has(s));
  return {
    ballotsCompared: readings.length,
    injected,
    falseDisagreementBallots,
    falseDisagreementsOnAmbiguous: falseDisagreementBallots.filter((s) => ambiguousSheets.has(s)).length,
    grayBallots,
    details,
  };
}

function scoreSheet(report: AccuracyReport, sheet: SheetTruth, vendor: string, reading: SheetReading): void {
  report.targetsNotFound += reading.targetsNotFound;
  let flagged = false;
  const truthByContest = new Map(sheet.contests.map((c) => [c.contestId, c]));
  for (const c of reading.contests) {
    const t = truthByContest.get(c.contestId);
    if (t === undefined) continue;
    report.contests++;
    const truthSel = [...t.selections].sort();
    const read = [...c.selected].sort();
    const same = truthSel.length === read.length && truthSel.every((v, i) => v === read[i]);
    if (c.marginal.length > 0) {
      report.contestsGray++;
      flagged = true;
    } else if (same) {
      report.contestsRight++;
    } else {
      report.contestsWrong.push({ sheetId: sheet.sheetId, vendor, contestId: c.contestId, truth: truthSel, read, ambiguous: t.ambiguous });
      flagged = true;
    }
  }
  if (flagged) report.sheetsFlagged++;

  // Mark by mark: each target's strongest truth mark (scribbled names beside write-ins aside).
  const marksAt = new Map<string, z.infer<typeof truthMark>>();
  for (const m of sheet.marks) {
    if (m.column === null || m.row === null || m.kind === 'write-in-scribble') continue;
    const key = `${m.side}:${m.column},${m.row}`;
    const prev = marksAt.get(key);
    if (prev === undefined || (m.intended && !prev.intended)) marksAt.set(key, m);
  }
  for (const page of reading.pages) {
    for (const t of page.targets) {
      const key = `${t.side}:${t.column},${t.row}`;
      const m = marksAt.get(key);
      if (m === undefined) {
        const stats = (report.byKind[`(blank) ${vendor}`] ??= { n: 0, marked: 0, marginal: 0, unmarked: 0, fills: [], solids: [], coverages: [], halos: [] });
        stats.n++;
        stats[t.mark]++;
        stats.fills.push(t.score.fill);
        stats.solids.push(t.score.solid);
        stats.coverages.push(t.score.coverage);
        stats.halos.push(t.score.halo);
        report.blankTargets++;
        if (t.mark !== 'unmarked') {
          report.blankTargetsNotUnmarked++;
          if (t.mark === 'marked') report.blankTargetsMarked++;
          report.blankTargetsRead.push({
            sheetId: sheet.sheetId,
            vendor,
            target: `${t.side}:${t.column},${t.row} ${t.contestId}/${t.optionId}`,
            read: t.mark,
            fill: Math.round(t.score.fill * 1000) / 1000,
            solid: Math.round(t.score.solid * 1000) / 1000,
          });
        }
        continue;
      }
      const stats = (report.byKind[`${m.kind}${m.ambiguous ? ' (ambiguous)' : ''} ${vendor}`] ??= { n: 0, marked: 0, marginal: 0, unmarked: 0, fills: [], solids: [], coverages: [], halos: [] });
      stats.n++;
      stats.fills.push(t.score.fill);
      stats.solids.push(t.score.solid);
      stats.coverages.push(t.score.coverage);
      stats.halos.push(t.score.halo);
      stats[t.mark]++;
      const want = m.intended ? 'marked' : 'unmarked';
      const entry = {
        sheetId: sheet.sheetId,
        vendor,
        kind: m.kind,
        target: `${t.contestId}/${t.optionId}`,
        intended: m.intended,
        read: t.mark,
        fill: Math.round(t.score.fill * 1000) / 1000,
        solid: Math.round(t.score.solid * 1000) / 1000,
      };
      if (!m.ambiguous && t.mark !== want) report.clearMarksWrong.push(entry);
      if (m.ambiguous && t.mark !== want && t.mark !== 'marginal') report.ambiguousWrong.push(entry);
    }
  }
}

export function formatReport(r: AccuracyReport): string {
  const lines = [
    `sheets read: ${r.sheets - r.unreadable.length} of ${r.sheets} (${r.seconds.toFixed(1)} s)`,
    `contests: ${r.contests}; right ${r.contestsRight}, gray ${r.contestsGray}, silently wrong ${r.contestsWrong.length}`,
    `clear marks read wrong: ${r.clearMarksWrong.length}; ambiguous marks read opposite without gray: ${r.ambiguousWrong.length}`,
    `blank targets read as votes: ${r.blankTargetsMarked}, as marginal: ${r.blankTargetsNotUnmarked - r.blankTargetsMarked} (of ${r.blankTargets}); targets not found: ${r.targetsNotFound}`,
    `sheets flagged (gray or wrong): ${r.sheetsFlagged}`,
    'by mark kind (marked / marginal / unmarked):',
    ...Object.entries(r.byKind)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, s]) => {
        const range = (values: number[]) => {
          const f = [...values].sort((a, b) => a - b);
          const q = (p: number) => (f[Math.min(f.length - 1, Math.floor(p * (f.length - 1)))] ?? 0).toFixed(2);
          return `${q(0)}..${q(0.5)}..${q(1)}`;
        };
        return `  ${k.padEnd(34)} ${String(s.n).padStart(5)}: ${s.marked} / ${s.marginal} / ${s.unmarked}   fill ${range(s.fills)} solid ${range(s.solids)} cover ${range(s.coverages)} halo ${range(s.halos)}`;
      }),
  ];
  if (r.comparison !== undefined) {
    const c = r.comparison;
    const found = c.injected.filter((d) => d.found).length;
    lines.push(
      `comparison with the Dominion CVR: ${c.ballotsCompared} sheets; injected discrepancies found ${found} of ${c.injected.length} (${c.injected.map((d) => `${d.kind}:${d.found ? 'found' : 'MISSED'}`).join(', ')})`,
      `  false disagreements: ${c.falseDisagreementBallots.length} sheets (${((c.falseDisagreementBallots.length / Math.max(1, c.ballotsCompared)) * 100).toFixed(2)}%), of which ${c.falseDisagreementsOnAmbiguous} on sheets with a mark designed ambiguous; gray sheets: ${c.grayBallots}`,
      ...c.falseDisagreementBallots.slice(0, 5).map((b) => `  false disagreement on ${b}: ${JSON.stringify(c.details[b] ?? [])}`),
    );
  }
  for (const u of r.unreadable.slice(0, 10)) lines.push(`  unreadable ${u.sheetId} (${u.vendor}): ${u.code} ${u.message}`);
  for (const w of r.blankTargetsRead.slice(0, 10)) lines.push(`  blank target read: ${JSON.stringify(w)}`);
  for (const w of r.clearMarksWrong.slice(0, 20)) lines.push(`  clear mark wrong: ${JSON.stringify(w)}`);
  for (const w of r.ambiguousWrong.slice(0, 10)) lines.push(`  ambiguous wrong: ${JSON.stringify(w)}`);
  for (const w of r.contestsWrong.slice(0, 10)) lines.push(`  contest wrong: ${JSON.stringify(w)}`);
  return lines.join('\n');
}

// Script entry: npx tsx daemon/preaudit/accuracy.ts <sample-dir> [--vendor dominion|ess] [--limit n]
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const [dir, ...rest] = process.argv.slice(2);
  if (dir === undefined) {
    process.stderr.write('usage: npx tsx daemon/preaudit/accuracy.ts <sample-dir> [--vendor dominion|ess] [--limit n]\n');
    process.exit(2);
  }
  const vendorArg = rest.indexOf('--vendor');
  const limitArg = rest.indexOf('--limit');
  const vendor = vendorArg >= 0 ? rest[vendorArg + 1] : undefined;
  const report = await evaluateSample(dir, {
    compareDominion: !rest.includes('--no-compare') && vendor !== 'ess',
    ...(vendor === 'dominion' || vendor === 'ess' ? { vendors: [vendor] } : {}),
    ...(limitArg >= 0 ? { limit: Number(rest[limitArg + 1]) } : {}),
    onSheet: (n) => {
      if (n % 100 === 0) process.stderr.write(`${n} sheets\n`);
    },
  });
  process.stdout.write(`${formatReport(report)}\n`);
}
