/**
 * The pre-audit's discrepancy report from the stored comparisons: JSON, XLSX with AuditEngine's
 * columns, per-contest totals (images vs CVRs vs the imported results summary), and a cropped
 * image of the contest on every disagreeing ballot as evidence (PNG).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { z } from 'zod';
import { CatalogStore } from '../capture/catalogStore.ts';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import type { Db } from '../core/db/database.ts';
import { activeCvrCount, activeResultsRows } from '../importer/activeRows.ts';
import {
  compareTotals,
  resultsTotalsByLayout,
  type ResultsRow,
  summarize,
  grayOf,
  totalsOf,
  type BallotComparison,
  type ContestComparison,
  type ContestSummary,
  type TotalsLine,
} from './compare.ts';
import { auditMarkPages, type AuditMarkPages } from './auditMarkPages.ts';
import { writeContestCrop } from './contestCrop.ts';
import type { ContestDefinition } from './layout.ts';
import { writeIndependentCvr } from './independentCvr.ts';
import { allComparisons } from './viewStore.ts';
import { locateContest } from './webProvider.ts';
import { zipMemberPath } from './zipMembers.ts';

export interface DisagreementEntry {
  readonly id: number;
  readonly ballotKey: string;
  readonly contestId: string;
  readonly contest: string;
  readonly imageVotes: readonly string[];
  readonly cvrVotes: readonly string[];
  readonly marginal: readonly string[];
  readonly catalogFileId: number | null;
  readonly page: number | null;
  /** A sheet inside an ES&S export zip (catalogFileId is the zip's): the file inside it, whose page `page` is; null otherwise. */
  readonly zipMember: string | null;
  /** Relative to the report folder; null when the image could not be cropped. */
  readonly evidence: string | null;
  /** The sheet's AuditMark page (the tabulator's record), e.g. "00005_00001_000004.tif page 3"; null when it has none. */
  readonly auditMark: string | null;
}

/** A contest a person decides, and why: doubtful marks on the image, or marks the EMS itself flagged ambiguous. */
export interface GrayEntry {
  readonly ballotKey: string;
  readonly contestId: string;
  readonly marginal: readonly string[];
  /** Options the EMS flagged as ambiguous marks (e.g. a faint mark gone from the 1-bit image). */
  readonly emsAmbiguous: readonly string[];
  /** As DisagreementEntry's: the file inside an ES&S export zip; null otherwise. */
  readonly zipMember: string | null;
  readonly evidence: string | null;
  readonly auditMark: string | null;
}

export interface PreauditReport {
  readonly generatedAt: string;
  readonly ballotsCompared: number;
  readonly ballotsWithoutCvr: readonly string[];
  readonly contests: readonly (ContestSummary & { readonly title: string })[];
  readonly disagreements: readonly DisagreementEntry[];
  /** Contests a person decides; `evidence` is the cropped contest (relative path), null when it could not be cropped. */
  readonly gray: readonly GrayEntry[];
  /**
   * Per contest and option: votes read from the images, in the CVRs of the same ballots, and in
   * the imported results summary (null when none is imported or it lacks the contest).
   * Results − CVR ≠ 0 is a totals discrepancy once every ballot has been compared.
   */
  readonly totals: readonly (TotalsLine & { readonly contest: string; readonly option: string })[];
  /** Option lines whose results-summary total differs from the CVR total. */
  readonly totalsDiffering: number;
  /** CVR records imported (active sources), to tell whether every ballot has been compared. */
  readonly cvrRecords: number;
  /** Results-summary rows that matched no contest or option read (names printed differently). */
  readonly resultsUnmatched: readonly ResultsRow[];
}

export interface ReportOptions {
  /** Contest definitions (titles, option names) of the layouts read, to match the results summary by name. */
  readonly contests?: readonly ContestDefinition[];
  /** The sheets' AuditMark pages, when already looked up (auditMarkPages()). */
  readonly auditMarks?: AuditMarkPages;
}

interface Row {
  id: number;
  sheet_key: string;
  ballot_key: string;
  contest_id: string;
  contest_title: string;
  verdict: string;
  image_votes_json: string;
  cvr_votes_json: string;
  marginal_json: string;
  ems_ambiguous_json: string | null;
  image_overvote: number;
  cvr_overvote: number;
  undervotes: number;
  write_ins: number;
}

const storedOptionIds = z.array(z.string());

/** The stored EMS ambiguity flags; none for rows compared before they were kept, or a damaged value. */
function emsAmbiguousOf(r: Pick<Row, 'ems_ambiguous_json'>): string[] {
  if (r.ems_ambiguous_json === null) return [];
  try {
    const parsed = storedOptionIds.safeParse(JSON.parse(r.ems_ambiguous_json));
    return parsed.success ? parsed.data : [];
  } catch {
    return [];
  }
}

function safeName(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

/** Crops the contest's area (its targets and the text beside them) from the vault image. */
async function cropContest(db: Db, vaultDir: string, sheetKey: string, contestId: string, file: string): Promise<{ id: number; page: number; member: string | null } | null> {
  const at = locateContest(db, sheetKey, contestId);
  if (at === undefined) return null;
  const ts = at.page.targets.filter((t) => t.contestId === contestId);
  const obj = new CatalogStore(db).getVersion(at.fileVersionId);
  if (ts.length === 0 || obj === undefined) return null;
  const p = at.page.pitch;
  // Option names print beside the ovals and the contest text above them: ES&S (its sheets known by
  // their printed ovals) prints each name right of its oval, across most of a column; the others left.
  const namesRight = at.styleFrom === 'printed-ovals';
  const left = Math.max(0, Math.floor(Math.min(...ts.map((t) => t.x)) - (namesRight ? 3 : 10) * p));
  const top = Math.max(0, Math.floor(Math.min(...ts.map((t) => t.y)) - 5 * p));
  const right = Math.min(at.page.width, Math.ceil(Math.max(...ts.map((t) => t.x + t.width)) + (namesRight ? 20 : 3) * p));
  const bottom = Math.min(at.page.height, Math.ceil(Math.max(...ts.map((t) => t.y + t.height)) + p));
  if (right <= left || bottom <= top) return null;
  // A sheet inside an ES&S export zip is read from its member, as the reader read it.
  const stored = vaultObjectPath(vaultDir, obj.sha256);
  const source = at.member === undefined ? stored : zipMemberPath(stored, at.member);
  if (!(await writeContestCrop(source, at.page.page, { left, top, width: right - left, height: bottom - top }, file))) return null;
  return { id: at.fileVersionId, page: at.page.page, member: at.member ?? null };
}

function importedResults(db: Db): ResultsRow[] {
  // Only the columns the comparison uses: the rows go into the report as they are.
  return activeResultsRows(db).map((r) => ({ contest: r.contest, option: r.option, votes: r.votes }));
}

export async function buildPreauditReport(db: Db, vaultDir: string, outDir: string, options: ReportOptions = {}): Promise<PreauditReport> {
  const rows = allComparisons<Row>(db);
  const titles = new Map(rows.map((r) => [r.contest_id, r.contest_title]));
  const ballots = new Map<string, ContestComparison[]>();
  const noCvr = new Set<string>();
  for (const r of rows) {
    if (r.verdict === 'no-cvr') {
      noCvr.add(r.ballot_key);
      continue;
    }
    const c: ContestComparison = {
      contestId: r.contest_id,
      verdict: r.verdict as ContestComparison['verdict'],
      imageVotes: JSON.parse(r.image_votes_json) as string[],
      cvrVotes: JSON.parse(r.cvr_votes_json) as string[],
      marginal: JSON.parse(r.marginal_json) as string[],
      emsAmbiguous: emsAmbiguousOf(r),
      imageOvervote: r.image_overvote === 1,
      cvrOvervote: r.cvr_overvote === 1,
      undervotes: r.undervotes,
      writeIns: r.write_ins,
    };
    ballots.set(r.sheet_key, [...(ballots.get(r.sheet_key) ?? []), c]);
  }
  const comparisons: BallotComparison[] = [...ballots.entries()].map(([k, contests]) => ({ ballotKey: k, cvrFound: true, contests }));
  const auditMarks = options.auditMarks ?? (await auditMarkPages(db, vaultDir));
  const evidenceDir = path.join(outDir, 'evidence');
  await mkdir(evidenceDir, { recursive: true });
  const disagreements: DisagreementEntry[] = [];
  for (const r of rows.filter((x) => x.verdict === 'disagree')) {
    const rel = path.join('evidence', `${safeName(r.ballot_key)}__${safeName(r.contest_id)}.png`);
    let located: { id: number; page: number; member: string | null } | null = null;
    try {
      located = await cropContest(db, vaultDir, r.sheet_key, r.contest_id, path.join(outDir, rel));
    } catch {
      located = null; // the row still lists the disagreement; the crop is missing
    }
    disagreements.push({
      id: r.id,
      ballotKey: r.ballot_key,
      contestId: r.contest_id,
      contest: r.contest_title,
      imageVotes: JSON.parse(r.image_votes_json) as string[],
      cvrVotes: JSON.parse(r.cvr_votes_json) as string[],
      marginal: JSON.parse(r.marginal_json) as string[],
      catalogFileId: located?.id ?? null,
      page: located?.page ?? null,
      zipMember: located?.member ?? null,
      evidence: located === null ? null : rel,
      auditMark: auditMarks.get(r.sheet_key) ?? null,
    });
  }
  // Without contest definitions the results summary is matched on the stored titles and option ids.
  // A gray contest shows its image too: the person deciding needs to see the mark.
  const gray: PreauditReport['gray'][number][] = [];
  for (const r of rows.filter((x) => x.verdict === 'gray')) {
    const rel = path.join('evidence', `gray__${safeName(r.ballot_key)}__${safeName(r.contest_id)}.png`);
    let located: { id: number; page: number; member: string | null } | null = null;
    try {
      located = await cropContest(db, vaultDir, r.sheet_key, r.contest_id, path.join(outDir, rel));
    } catch {
      located = null;
    }
    gray.push({ ballotKey: r.ballot_key, contestId: r.contest_id, marginal: JSON.parse(r.marginal_json) as string[], emsAmbiguous: emsAmbiguousOf(r), zipMember: located?.member ?? null, evidence: located === null ? null : rel, auditMark: auditMarks.get(r.sheet_key) ?? null });
  }
  const contests: readonly ContestDefinition[] =
    options.contests ??
    [...titles.entries()].map(([id, title]) => {
      const ids = new Set(comparisons.flatMap((b) => b.contests.filter((c) => c.contestId === id).flatMap((c) => [...c.imageVotes, ...c.cvrVotes])));
      return { id, title, seats: 1, allowWriteIns: false, options: [...ids].map((o) => ({ id: o, name: o })) };
    });
  const resultRows = importedResults(db);
  const results = resultRows.length > 0 ? resultsTotalsByLayout(resultRows, contests) : undefined;
  const optionName = new Map(contests.flatMap((c) => c.options.map((o) => [`${c.id}\u0000${o.id}`, o.name] as const)));
  const totals = compareTotals(totalsOf(comparisons, 'image'), totalsOf(comparisons, 'cvr'), results?.totals, grayOf(comparisons)).map((t) => ({
    ...t,
    contest: titles.get(t.contestId) ?? contests.find((c) => c.id === t.contestId)?.title ?? t.contestId,
    option: t.optionId === 'write-in' ? 'Write-in' : (optionName.get(`${t.contestId}\u0000${t.optionId}`) ?? t.optionId),
  }));
  const cvrRecords = activeCvrCount(db) ?? 0;
  return {
    generatedAt: new Date().toISOString(),
    ballotsCompared: comparisons.length,
    ballotsWithoutCvr: [...noCvr].sort(),
    contests: summarize(comparisons).map((s) => ({ ...s, title: titles.get(s.contestId) ?? s.contestId })),
    disagreements,
    gray,
    totals,
    totalsDiffering: totals.filter((t) => t.resultsMinusCvr !== null && t.resultsMinusCvr !== 0).length,
    cvrRecords,
    resultsUnmatched: results?.unmatched ?? [],
  };
}

export interface WrittenReport {
  readonly report: PreauditReport;
  readonly json: string;
  readonly xlsx: string;
  /** The pre-audit's own reading of every sheet read (independent-cvr.csv). */
  readonly independentCvr: string;
}

/** Writes preaudit-report.json, preaudit-discrepancies.xlsx, independent-cvr.csv and evidence/*.png under `outDir`. */
export async function writePreauditReport(db: Db, vaultDir: string, outDir: string, options: ReportOptions = {}): Promise<WrittenReport> {
  await mkdir(outDir, { recursive: true });
  const auditMarks = options.auditMarks ?? (await auditMarkPages(db, vaultDir));
  const report = await buildPreauditReport(db, vaultDir, outDir, { ...options, auditMarks });
  const json = path.join(outDir, 'preaudit-report.json');
  await writeFile(json, `${JSON.stringify(report, null, 2)}\n`);
  const wb = new ExcelJS.Workbook();
  const sum = wb.addWorksheet('Contests');
  sum.columns = [
    { header: 'Contest', key: 'contest', width: 36 },
    { header: 'Ballots', key: 'ballots', width: 9 },
    { header: 'Non-variant', key: 'nonVariant', width: 12 },
    { header: 'Agreed overvotes', key: 'agreedOvervotes', width: 16 },
    { header: 'Agreed write-ins', key: 'agreedWriteIns', width: 16 },
    { header: 'Agreed undervotes', key: 'agreedUndervotes', width: 17 },
    { header: 'Disagreed', key: 'disagreed', width: 10 },
    { header: 'Gray', key: 'gray', width: 8 },
    { header: 'Variant % of margin', key: 'variant', width: 18 },
  ];
  for (const c of report.contests) {
    sum.addRow({ ...c, contest: c.title, variant: c.variantPercentOfMargin === null ? 'n/a' : Math.round(c.variantPercentOfMargin * 100) / 100 });
  }
  const totals = wb.addWorksheet('Totals');
  totals.columns = [
    { header: 'Contest', key: 'contest', width: 36 },
    { header: 'Option', key: 'option', width: 28 },
    { header: 'Image votes', key: 'image', width: 12 },
    { header: 'CVR votes', key: 'cvr', width: 12 },
    { header: 'Results summary votes', key: 'results', width: 21 },
    { header: 'Image − CVR', key: 'imageMinusCvr', width: 12 },
    { header: 'Gray contests', key: 'gray', width: 13 },
    { header: 'Image − CVR beyond gray', key: 'imageMinusCvrBeyondGray', width: 22 },
    { header: 'Results − CVR', key: 'resultsMinusCvr', width: 14 },
  ];
  for (const t of report.totals) {
    const row = totals.addRow({ ...t, results: t.results ?? 'n/a', resultsMinusCvr: t.resultsMinusCvr ?? 'n/a' });
    // Red: the published results differ from the CVRs, or the images differ by more than gray contests explain.
    if ((t.resultsMinusCvr !== null && t.resultsMinusCvr !== 0) || (t.imageMinusCvrBeyondGray ?? 0) !== 0) row.font = { bold: true, color: { argb: 'FFC00000' } };
  }
  const dis = wb.addWorksheet('Disagreements');
  dis.columns = [
    { header: 'Ballot', key: 'ballotKey', width: 22 },
    { header: 'Contest', key: 'contest', width: 36 },
    { header: 'Image reads', key: 'image', width: 28 },
    { header: 'CVR says', key: 'cvr', width: 28 },
    { header: 'Catalog file id', key: 'catalogFileId', width: 14 },
    { header: 'Page', key: 'page', width: 6 },
    { header: 'Evidence', key: 'evidence', width: 48 },
    { header: 'AuditMark', key: 'auditMark', width: 34 },
    // The catalog file is the zip for an ES&S export delivered as one: the file inside it, whose page Page is.
    { header: 'File inside the zip', key: 'zipMember', width: 40 },
  ];
  for (const d of report.disagreements) dis.addRow({ ...d, image: d.imageVotes.join(', '), cvr: d.cvrVotes.join(', ') });
  for (const ws of [sum, totals, dis]) ws.getRow(1).font = { bold: true };
  const xlsx = path.join(outDir, 'preaudit-discrepancies.xlsx');
  await wb.xlsx.writeFile(xlsx);
  const independent = await writeIndependentCvr(db, outDir, options.contests ?? [], auditMarks);
  return { report, json, xlsx, independentCvr: independent.path };
}
