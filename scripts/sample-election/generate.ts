import { readdir, readFile, rm } from 'node:fs/promises';
import sharp from 'sharp';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { contestById, makeElection, type Election } from './election.ts';
import { dominionBatchDir, dominionConfiguration, dominionCvrExport, dominionImageBase, dominionManifests } from './dominion.ts';
import { cvrTotals, electionInformationTable, essCvrTable, essImageName, essPrecinctDir, summaryTable, tableCsv, type TotalsRow } from './ess.ts';
import { essPrintDesign, essStyleLayout } from './essDesign.ts';
import { bmdCardPdf, cvrPrintoutPdf, essBallotId, essExportFolder, essExportZip, essMarks, isBmdBallot } from './essExport.ts';
import { essScannerContests } from './essScanner.ts';
import { mapLimit, stableJson, writeAtomic } from './files.ts';
import { layoutJson, layoutStyle, type StyleLayout } from './layout.ts';
import { voteSheet } from './marks.ts';
import { testDeckSheet } from './testDeck.ts';
import { planSheets, SampleOptionsSchema, type BatchPlan, type SampleOptions, type SampleOptionsInput, type SheetPlan } from './plan.ts';
import { Rng } from './prng.ts';
import { SheetRenderer } from './render.ts';
import { vendorRef, type BallotTruth, type Discrepancy, type ImageTruth, type ReportedContest, type SheetRecord, type SheetTruth } from './truth.ts';
import { deterministicXlsx } from './xlsx.ts';
import { AnnotationWriter } from './annotation.ts';
import { auditMarkLines, imagecastMarkGeometry, imagecastPrintDesign, imagecastTiff } from './imagecast/design.ts';
import { cvrZipName, IMAGECAST_RESULTS_DIR, imagecastCvrZip } from './imagecast/export.ts';
import { imagecastLayoutJson, layoutImagecastStyle, type ImagecastStyleLayout } from './imagecast/layout.ts';
import { imagecastCardId } from './imagecast/geometry.ts';
import { err, ok, operatorError, type Result } from '../../daemon/core/result.ts';
import { logEvent, silentLogger, type Logger } from '../../daemon/core/log/logger.ts';
import { LogEvent } from '../../daemon/core/log/events.ts';

export interface GenerateSummary {
  readonly out: string;
  readonly seed: number;
  readonly ballots: number;
  readonly sheets: number;
  readonly imageFiles: number;
  readonly batches: number;
  readonly seconds: number;
  readonly sheetsPerSecond: number;
  readonly discrepancies: readonly Discrepancy[];
}

export interface GenerateHooks {
  /** Called after each batch is fully written (images, then its CVR file). */
  readonly onBatch?: (info: { readonly index: number; readonly total: number; readonly tabulatorId: number; readonly batchId: number }) => void;
}

/**
 * Fixed file times: election day 20:00 UTC plus one minute per batch. Incremental mode keeps the
 * real write times instead (null), as an EMS writing during the day would.
 */
function mtimeFor(election: Election, minute: number, options: SampleOptions): Date | null {
  if (options.incremental) return null;
  return new Date(Date.parse(`${election.date}T20:00:00Z`) + minute * 60_000);
}

export async function generateSampleElection(input: SampleOptionsInput, logger: Logger = silentLogger(), hooks: GenerateHooks = {}): Promise<Result<GenerateSummary>> {
  const parsed = SampleOptionsSchema.safeParse(input);
  if (!parsed.success) {
    return err(operatorError('sample-bad-options', `The sample-election options are not valid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'Fix the options and run the command again.'));
  }
  const options = parsed.data;
  // Every input here is a fresh raw buffer: libvips' operation cache only adds latency and memory.
  sharp.cache(false);
  const started = performance.now();
  const election = makeElection({ seed: options.seed, precincts: options.precincts, primary: options.primary });
  const imagecast = options.dominionDesign === 'imagecast';
  const imagecastLayouts = new Map<string, ImagecastStyleLayout>(imagecast ? election.styles.map((s) => [s.id, layoutImagecastStyle(election, s)]) : []);
  const layouts = new Map<string, StyleLayout>(imagecast ? imagecastLayouts : election.styles.map((s) => [s.id, layoutStyle(election, s)]));
  const batches = planSheets(election, layouts, options);

  // The voter's marks, then the CVR as the EMS reports it (before discrepancies): intent, or for
  // an ES&S-only Electionware export what its scanner counts.
  const essScans = options.format === 'ess' && options.essShape === 'electionware';
  const records = new Map<string, SheetRecord>();
  for (const b of batches) {
    for (const sheet of b.sheets) {
      const card = layouts.get(sheet.styleId)?.cards.find((c) => c.card === sheet.card);
      if (card === undefined) throw new Error(`missing card layout ${sheet.styleId}/${sheet.card}`);
      const icLayout = imagecastLayouts.get(sheet.styleId);
      const geometry = icLayout === undefined ? undefined : imagecastMarkGeometry(icLayout);
      const vote = options.testDeck ? testDeckSheet : voteSheet;
      const marks = vote(election, card, Rng.derive(options.seed, 'vote', sheet.sheetId), geometry);
      const intent: ReportedContest[] = marks.contests.map((c) => ({ contestId: c.contestId, votes: c.votes, selections: c.selections, outcome: c.outcome }));
      // An ES&S-only export's CVR is what ES&S's scanner counts on the marks (essScanner.ts);
      // an ExpressVote card's is the voter's choices, printed and read from its barcode.
      const scanned = essScans && !isBmdBallot(options.seed, sheet.ballotId, layouts.get(sheet.styleId)?.cards.length ?? 1) ? essScannerContests(election, marks, essMarks(marks.marks), options.seed, sheet.duplicateOf ?? sheet.sheetId, options.essDpi) : undefined;
      records.set(sheet.sheetId, { plan: sheet, marks, reported: scanned ?? intent, ...(scanned === undefined ? {} : { scanned }) });
    }
  }
  const injected = injectDiscrepancies(election, batches, records, options);
  if (!injected.ok) return injected;
  const totals = cvrTotals(election, [...records.values()]);
  const reportedTotals = alterTotals(totals, options, injected.value);
  const discrepancies = injected.value;

  logEvent(logger, LogEvent.SampleStarted, { out: options.out, seed: options.seed, ballots: options.ballots, batches: batches.length, format: options.format });
  const replaceable = await isReplaceable(options.out);
  if (!replaceable.ok) return replaceable;
  await rm(options.out, { recursive: true, force: true });
  const t0 = mtimeFor(election, 0, options);
  // marks the folder as ours at once, so an interrupted (e.g. incremental) run can be replaced later
  await writeAtomic(join(options.out, 'truth', GENERATOR_MARKER), `${GENERATOR}\n`, t0);
  const wantDominion = options.format !== 'ess';
  const wantEss = options.format !== 'dominion';

  if (wantDominion && !imagecast) {
    for (const [name, value] of dominionManifests(election, batches)) await writeAtomic(join(options.out, 'dominion', name), JSON.stringify(value), t0);
    await writeAtomic(join(options.out, 'dominion', 'Configuration.json'), JSON.stringify(dominionConfiguration()), t0);
  }

  // small runs use fewer skew variants: each costs a full-page warp, amortised over many sheets
  const variants = Math.max(1, Math.min(options.skewVariants, Math.ceil(options.ballots / 25)));
  const renderer = new SheetRenderer(election, layouts, options.seed, variants, undefined, imagecast ? imagecastPrintDesign(imagecastLayouts) : undefined);
  // ImageCast's AuditMark page is printed at the scan's resolution
  const auditWriter = imagecast ? await AnnotationWriter.create(options.dominionDpi) : null;
  const batchExports: unknown[] = [];
  const electionware = wantEss && options.essShape === 'electionware';
  const essLayouts = new Map<string, StyleLayout>(electionware ? election.styles.map((s) => [s.id, essStyleLayout(election, s, layouts.get(s.id) ?? layoutStyle(election, s))]) : []);
  const essRenderer = electionware ? new SheetRenderer(election, essLayouts, options.seed, variants, undefined, essPrintDesign(essLayouts)) : undefined;
  const zipMembers: string[] = [];
  const images = new Map<string, ImageTruth[]>();
  let imageFiles = 0;
  for (const [index, batch] of batches.entries()) {
    const mtime = mtimeFor(election, index + 1, options);
    if (options.images) {
      await mapLimit(batch.sheets, options.concurrency, async (sheet) => {
        const rec = records.get(sheet.sheetId);
        if (rec === undefined) throw new Error(`no record for ${sheet.sheetId}`);
        const inkKey = sheet.duplicateOf ?? sheet.sheetId;
        const list: ImageTruth[] = [];
        if (auditWriter !== null) {
          const base = dominionImageBase(sheet.tabulatorId, sheet.batchId, sheet.recordId);
          const rel = `${IMAGECAST_RESULTS_DIR}/${dominionBatchDir(sheet.tabulatorId, sheet.batchId)}/${base}.tif`;
          const styleNumber = election.styles.find((s) => s.id === sheet.styleId)?.number ?? 0;
          const audit = auditMarkLines(election, sheet, `${base}.tif`, imagecastCardId(styleNumber, sheet.card), rec.reported ?? rec.marks.contests);
          const { tiff, scan } = await imagecastTiff(renderer, auditWriter, options.seed, sheet, options.dominionDpi, rec.marks.marks, `dominion/${sheet.sheetId}`, inkKey, audit);
          await writeAtomic(join(options.out, rel), tiff, mtime);
          list.push({ vendor: 'dominion', paths: [rel], pages: ['front', 'back', 'annotation'], dpi: options.dominionDpi, encoding: 'tiff-mh-multipage', scan });
        } else if (wantDominion) {
          const rel = `dominion/${dominionBatchDir(sheet.tabulatorId, sheet.batchId)}/${dominionImageBase(sheet.tabulatorId, sheet.batchId, sheet.recordId)}.tif`;
          const { tiff, scan } = await renderer.dominionTiff(sheet.styleId, sheet.card, options.dominionDpi, rec.marks.marks, `dominion/${sheet.sheetId}`, inkKey, annotationLines(election, sheet, rec));
          await writeAtomic(join(options.out, rel), tiff, mtime);
          list.push({ vendor: 'dominion', paths: [rel], pages: ['front', 'back', 'annotation'], dpi: options.dominionDpi, encoding: 'tiff-g4-multipage', scan });
        }
        if (essRenderer !== undefined) {
          const folder = `ess/Images/${essExportFolder(election, sheet)}`;
          const id = essBallotId(sheet.cvrNumber);
          const image = `${folder}/${id}i.pdf`;
          const printout = `${folder}/${id}c.pdf`;
          const cards = layouts.get(sheet.styleId)?.cards.length ?? 1;
          if (isBmdBallot(options.seed, sheet.ballotId, cards)) {
            await writeAtomic(join(options.out, image), await bmdCardPdf(election, sheet, rec.marks.contests, options.essDpi), mtime);
            list.push({ vendor: 'ess', paths: [image], pages: ['bmd-card'], dpi: options.essDpi, encoding: 'pdf-bmd-card', scan: { front: NO_SCAN, back: NO_SCAN } });
          } else {
            const { pdf, scan } = await essRenderer.essPdf(sheet.styleId, sheet.card, options.essDpi, essMarks(rec.marks.marks), `ess/${sheet.sheetId}`, inkKey);
            await writeAtomic(join(options.out, image), pdf, mtime);
            list.push({ vendor: 'ess', paths: [image], pages: ['front', 'back'], dpi: options.essDpi, encoding: 'pdf-g4', scan });
          }
          await writeAtomic(join(options.out, printout), cvrPrintoutPdf(election, sheet, rec.reported), mtime);
          zipMembers.push(image, printout);
        } else if (wantEss) {
          const dir = `ess/Images/${essPrecinctDir(election, sheet.precinctId)}`;
          const { front, back, scan } = await renderer.essJpegs(sheet.styleId, sheet.card, options.essDpi, rec.marks.marks, `ess/${sheet.sheetId}`, inkKey);
          const f = `${dir}/${essImageName(sheet.cvrNumber, 'front')}`;
          const b = `${dir}/${essImageName(sheet.cvrNumber, 'back')}`;
          await writeAtomic(join(options.out, f), front, mtime);
          await writeAtomic(join(options.out, b), back, mtime);
          list.push({ vendor: 'ess', paths: [f, b], pages: ['front', 'back'], dpi: options.essDpi, encoding: 'jpeg-gray', scan });
        }
        images.set(sheet.sheetId, list);
      });
      imageFiles += batch.sheets.length * ((wantDominion ? 1 : 0) + (wantEss ? (electionware ? 1 : 2) : 0));
    }
    if (imagecast) {
      // ImageCast Central exports one zip once scanning is done
      batchExports.push(dominionCvrExport(election, layouts, batch, records));
    } else if (wantDominion) {
      // the batch's CVR file lands after its images, as an EMS export does
      await writeAtomic(join(options.out, 'dominion', `CvrExport_${batch.exportNumber}.json`), JSON.stringify(dominionCvrExport(election, layouts, batch, records)), mtime);
    }
    logEvent(logger, LogEvent.SampleBatchWritten, { tabulatorId: batch.tabulatorId, batchId: batch.batchId, sheets: batch.sheets.length, index: index + 1, total: batches.length });
    hooks.onBatch?.({ index, total: batches.length, tabulatorId: batch.tabulatorId, batchId: batch.batchId });
    if (options.incremental && index + 1 < batches.length) await sleep(options.batchIntervalMs);
  }

  const tEnd = mtimeFor(election, batches.length + 1, options);
  const fixedDate = new Date(`${election.date}T20:00:00Z`);
  const all = [...records.values()];
  if (imagecast) {
    const zip = await imagecastCvrZip(batchExports, dominionManifests(election, batches), dominionConfiguration(), fixedDate);
    await writeAtomic(join(options.out, IMAGECAST_RESULTS_DIR, cvrZipName(new Date(Date.parse(`${election.date}T23:30:00Z`)))), zip, tEnd);
  }
  if (wantEss) {
    const table = essCvrTable(election, all);
    await writeAtomic(join(options.out, 'ess', 'CVR', 'CVR_Export.csv'), tableCsv(table), tEnd);
    await writeAtomic(join(options.out, 'ess', 'CVR', 'CVR_Export.xlsx'), await deterministicXlsx([table], fixedDate), tEnd);
  }
  if (electionware) {
    // The same export zipped as Electionware hands it over, and the ES&S-design layouts as truth.
    const members = await Promise.all(zipMembers.map(async (p) => ({ path: p.slice('ess/Images/'.length), bytes: await readFile(join(options.out, p)) })));
    // beside ess/, not in it: a watcher on ess/ would otherwise capture every sheet twice
    await writeAtomic(join(options.out, 'ess-zip', 'Ballot Images.zip'), await essExportZip(members, fixedDate), tEnd);
    for (const [styleId, layout] of essLayouts) await writeAtomic(join(options.out, 'truth', 'layouts-ess', `${styleId}.json`), stableJson(layoutJson(layout)), tEnd);
  }
  const eif = electionInformationTable(election);
  await writeAtomic(join(options.out, 'eif', 'Election_Information_File.xlsx'), await deterministicXlsx([eif], fixedDate), tEnd);
  const cardsCast = all.filter((r) => r.reported !== null).length;
  const summary = summaryTable(election, reportedTotals, cardsCast);
  await writeAtomic(join(options.out, 'results', 'summary.csv'), tableCsv(summary), tEnd);
  await writeAtomic(join(options.out, 'results', 'summary.xlsx'), await deterministicXlsx([summary], fixedDate), tEnd);

  await writeTruth(options, election, layouts, batches, records, images, discrepancies, tEnd);
  const seconds = (performance.now() - started) / 1000;
  const sheets = all.length;
  logEvent(logger, LogEvent.SampleFinished, { out: options.out, sheets, imageFiles, seconds: Math.round(seconds * 100) / 100 });
  return ok({ out: options.out, seed: options.seed, ballots: options.ballots, sheets, imageFiles, batches: batches.length, seconds, sheetsPerSecond: sheets / seconds, discrepancies });
}

const GENERATOR = 'ballotsafe sample-election';
/** A BMD card is printed, not scanned with a ballot's skew and shift. */
const NO_SCAN = { skewDeg: 0, scale: 1, shiftXPx: 0, shiftYPx: 0 } as const;
const GENERATOR_MARKER = '.generator';

/** The output folder is replaced only when it is missing, empty, or an earlier sample election. */
async function isReplaceable(out: string): Promise<Result<true>> {
  let entries: string[];
  try {
    entries = await readdir(out);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok(true);
    return err(operatorError('sample-out-unreadable', `The output folder ${out} cannot be read (${(e as Error).message}).`, 'Choose another --out folder.'));
  }
  if (entries.length === 0) return ok(true);
  for (const [file, isOurs] of [
    [GENERATOR_MARKER, (text: string): boolean => text.trim() === GENERATOR],
    ['index.json', (text: string): boolean => (JSON.parse(text) as { generator?: unknown }).generator === GENERATOR],
  ] as const) {
    try {
      if (isOurs(await readFile(join(out, 'truth', file), 'utf8'))) return ok(true);
    } catch {
      // not this marker
    }
  }
  return err(operatorError('sample-out-not-empty', `The output folder ${out} is not empty and does not hold an earlier sample election; nothing was deleted.`, 'Choose a new or empty --out folder.'));
}

function annotationLines(election: Election, sheet: SheetPlan, rec: SheetRecord): string[] {
  const lines = [
    `Tabulator ${sheet.tabulatorId}  Batch ${sheet.batchId}  Record ${sheet.recordId}  ${sheet.countingGroupId === 1 ? 'Election Day' : 'Absentee'}`,
    `${election.title}  Ballot style ${election.styles.find((s) => s.id === sheet.styleId)?.number ?? '?'}  Card ${sheet.card}`,
  ];
  const contests = rec.reported ?? rec.marks.contests;
  for (const c of contests) {
    const contest = contestById(election, c.contestId);
    const names = c.outcome === 'overvote' ? 'OVERVOTE' : c.votes.length === 0 ? 'BLANK' : c.votes.map((v) => (v.startsWith('write-in-') ? 'Write-in' : (contest.options.find((o) => o.id === v)?.name ?? v))).join('; ');
    lines.push(`${contest.title}: ${names}`);
  }
  return lines;
}

function injectDiscrepancies(election: Election, batches: BatchPlan[], records: Map<string, SheetRecord>, options: SampleOptions): Result<Discrepancy[]> {
  const rng = Rng.derive(options.seed, 'discrepancies');
  const spec = options.discrepancies;
  const originals = batches.flatMap((b) => b.sheets);
  const used = new Set<string>();
  const out: Discrepancy[] = [];
  const pool = rng.shuffle(originals);
  const take = (pred: (s: SheetPlan) => boolean): SheetPlan | undefined => {
    const s = pool.find((x) => !used.has(x.sheetId) && pred(x));
    if (s !== undefined) used.add(s.sheetId);
    return s;
  };
  const tooMany = (what: string): Result<never> => err(operatorError('sample-too-many-discrepancies', `Cannot inject that many ${what} discrepancies into ${options.ballots} ballots.`, 'Ask for fewer discrepancies or more ballots.'));

  const flippable = (s: SheetPlan): boolean =>
    (records.get(s.sheetId)?.marks.contests ?? []).some((c) => {
      const contest = contestById(election, c.contestId);
      return c.outcome === 'voted' && contest.voteFor === 1 && contest.options.length > 1 && !(c.votes[0] ?? 'write-in').startsWith('write-in') && !c.ambiguous;
    });
  for (let i = 0; i < spec.flip; i++) {
    const s = take(flippable);
    if (s === undefined) return tooMany('flip');
    const rec = records.get(s.sheetId);
    if (rec === undefined || rec.reported === null) throw new Error('flip on a missing record');
    const candidates = rec.marks.contests.filter((c) => {
      const contest = contestById(election, c.contestId);
      return c.outcome === 'voted' && contest.voteFor === 1 && contest.options.length > 1 && !(c.votes[0] ?? 'write-in').startsWith('write-in') && !c.ambiguous;
    });
    const c = rng.pick(candidates);
    const contest = contestById(election, c.contestId);
    const shows = c.votes[0] as string;
    const other = rng.pick(contest.options.filter((o) => o.id !== shows)).id;
    const reported = rec.reported.map((r) => (r.contestId === c.contestId ? { ...r, votes: [other], selections: [other] } : r));
    records.set(s.sheetId, { ...rec, reported });
    out.push({ kind: 'flip', sheetId: s.sheetId, ballotId: s.ballotId, contestId: c.contestId, ballotShows: shows, cvrRecords: other, ...vendorRef(s) });
  }
  for (let i = 0; i < spec.drop; i++) {
    const s = take(() => true);
    if (s === undefined) return tooMany('drop');
    const rec = records.get(s.sheetId);
    if (rec === undefined) throw new Error('drop on a missing record');
    records.set(s.sheetId, { ...rec, reported: null });
    out.push({ kind: 'drop', sheetId: s.sheetId, ballotId: s.ballotId, ...vendorRef(s) });
  }
  let nextCvr = originals.reduce((m, s) => Math.max(m, s.cvrNumber), 0) + 1;
  for (let i = 0; i < spec.dup; i++) {
    const s = take(() => true);
    if (s === undefined) return tooMany('dup');
    const rec = records.get(s.sheetId);
    const batch = batches.find((b) => b.tabulatorId === s.tabulatorId && b.batchId === s.batchId);
    if (rec === undefined || batch === undefined) throw new Error('dup on a missing record');
    // the same sheet fed through the scanner again at the end of its batch
    const dup: SheetPlan = { ...s, sheetId: `${s.sheetId}-dup`, recordId: batch.sheets.length + 1, cvrNumber: nextCvr++, duplicateOf: s.sheetId };
    batch.sheets.push(dup);
    records.set(dup.sheetId, { ...rec, plan: dup });
    const ref = vendorRef(s);
    const dref = vendorRef(dup);
    out.push({ kind: 'dup', sheetId: s.sheetId, ballotId: s.ballotId, duplicateSheetId: dup.sheetId, dominion: ref.dominion, ess: ref.ess, duplicateDominion: dref.dominion, duplicateEss: dref.ess });
  }
  return ok(out);
}

/** Alters some option totals in the results summary; records each change among the discrepancies. */
function alterTotals(totals: readonly TotalsRow[], options: SampleOptions, discrepancies: Discrepancy[]): TotalsRow[] {
  const rng = Rng.derive(options.seed, 'totals');
  const out = totals.map((t) => ({ ...t }));
  const eligible = out.filter((t) => t.optionId !== 'overvotes' && t.optionId !== 'undervotes' && t.optionId !== 'write-in');
  const chosen = rng.shuffle(eligible).slice(0, options.discrepancies.totals);
  for (const t of chosen) {
    const delta = rng.int(1, 5) * (rng.chance(0.5) || t.votes < 5 ? 1 : -1);
    discrepancies.push({ kind: 'totals', contestId: t.contestId, optionId: t.optionId, cvrTotal: t.votes, reportedTotal: t.votes + delta });
    t.votes += delta;
  }
  return out;
}

async function writeTruth(
  options: SampleOptions,
  election: Election,
  layouts: ReadonlyMap<string, StyleLayout>,
  batches: readonly BatchPlan[],
  records: ReadonlyMap<string, SheetRecord>,
  images: ReadonlyMap<string, ImageTruth[]>,
  discrepancies: readonly Discrepancy[],
  mtime: Date | null,
): Promise<void> {
  const dir = join(options.out, 'truth');
  await writeAtomic(join(dir, 'election.json'), stableJson(election), mtime);
  for (const [styleId, layout] of layouts) {
    const json = 'design' in layout && layout.design === 'imagecast' ? imagecastLayoutJson(layout as ImagecastStyleLayout) : layoutJson(layout);
    await writeAtomic(join(dir, 'layouts', `${styleId}.json`), stableJson(json), mtime);
  }
  await writeAtomic(join(dir, 'discrepancies.json'), stableJson({ discrepancies }), mtime);
  const byBallot = new Map<string, SheetPlan[]>();
  for (const b of batches) for (const s of b.sheets) byBallot.set(s.ballotId, [...(byBallot.get(s.ballotId) ?? []), s]);
  const index: unknown[] = [];
  const style = (id: string): number => election.styles.find((s) => s.id === id)?.number ?? 0;
  for (const [ballotId, sheets] of [...byBallot].sort(([a], [b]) => a.localeCompare(b))) {
    const first = sheets[0] as SheetPlan;
    const sheetTruths: SheetTruth[] = sheets.map((s) => {
      const rec = records.get(s.sheetId);
      if (rec === undefined) throw new Error(`missing record ${s.sheetId}`);
      const ref = vendorRef(s);
      return { sheetId: s.sheetId, card: s.card, duplicateOf: s.duplicateOf, dominion: ref.dominion, ess: ref.ess, inCvr: rec.reported !== null, marks: rec.marks.marks, contests: rec.marks.contests, ...(rec.scanned === undefined ? {} : { scannerContests: rec.scanned }), images: images.get(s.sheetId) ?? [] };
    });
    const truth: BallotTruth = { ballotId, styleId: first.styleId, styleNumber: style(first.styleId), precinctId: first.precinctId, countingGroupId: first.countingGroupId, sheets: sheetTruths };
    await writeAtomic(join(dir, 'ballots', `${ballotId}.json`), stableJson(truth), mtime);
    for (const st of sheetTruths) {
      for (const img of st.images) index.push({ ballotId, sheetId: st.sheetId, styleId: first.styleId, card: st.card, vendor: img.vendor, paths: img.paths, pages: img.pages });
    }
  }
  const { out: _out, ...rest } = options;
  await writeAtomic(
    join(dir, 'index.json'),
    stableJson({
      generator: GENERATOR,
      formatVersion: 1,
      options: rest,
      election: 'election.json',
      layouts: [...layouts.keys()].map((id) => `layouts/${id}.json`),
      ballots: [...byBallot.keys()].sort().map((id) => `ballots/${id}.json`),
      images: index,
      counts: { ballots: byBallot.size, sheets: records.size, batches: batches.length },
    }),
    mtime,
  );
}
