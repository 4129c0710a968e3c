/**
 * The web UI's PreauditProvider over the pre-audit's SQLite results (preaudit_sheets,
 * preaudit_sheet_files, preaudit_comparisons, preaudit_learned_styles). Reads only; the
 * PreauditService writes.
 */
import { z } from 'zod';
import path from 'node:path';
import { CatalogStore } from '../capture/catalogStore.ts';
import type { Db } from '../core/db/database.ts';
import { storedAuditMarkPages, storedFileVersionIds, storedFiles } from './storedJson.ts';
import { memberOfZipPath } from './zipMembers.ts';
import type { Result } from '../core/result.ts';
import type { AuditMarkPage, ContestSummaryRow, DisagreementDetail, DisagreementSummary, EvidenceDownloadKind, EvidenceFile, LearnedStyleSummary, PreauditProvider, PreauditStatus, StyleMappingForm, TargetOverlay } from './webApi.ts';
import { err, operatorError } from '../core/result.ts';
import { contestsFromImports } from './contestDefinitions.ts';
import { type HandAssignment, handMappingFrom, unresolvedFrom, WRITE_IN_CHOICE } from './service.ts';
import { byPosition, placeholderStyleId, type StyleLayout } from './layout.ts';
import type { SheetPage } from './pool.ts';
import { countSheetsOfStyle } from './store.ts';
import { learnedStyleSummary } from './styleSummary.ts';
import { fileVersionIdOf } from './catalogSheet.ts';
import { writeInName } from './independentCvr.ts';
import {
  comparisonCounts,
  contestsOfSheet,
  disagreementById,
  latestDisagreements,
  latestLearnedStyles,
  sheetCountsOfStyle,
  sheetPagesAndFiles,
  styleNeedingPerson,
  type StoredComparison,
  verdictCounts,
} from './viewStore.ts';

type ComparisonRow = StoredComparison;

/** Front first, then top to bottom, then left to right. */
const byRow = (a: { side: string; column: number; row: number }, b: { side: string; column: number; row: number }) =>
  (a.side === b.side ? 0 : a.side === 'front' ? -1 : 1) || a.row - b.row || a.column - b.column;

/** Of a stored layout, what tells the ballot family. */
const familyOfLayout = z.object({ sideCodes: z.record(z.string(), z.string()).optional(), printedPlaces: z.array(z.unknown()).optional() });

export interface LocatedContest {
  readonly fileVersionId: number;
  readonly page: SheetPage;
  /** A sheet inside an ES&S export zip (fileVersionId is the zip's): the member holding the page. */
  readonly member?: string;
  /** How the sheet's style was known (interpret.ts StyleSource; `printed-ovals`: ES&S); null when not kept. */
  readonly styleFrom: string | null;
}

/** The page (and catalog file) of a sheet that holds a contest's targets. */
export function locateContest(db: Db, sheetKey: string, contestId: string): LocatedContest | undefined {
  const row = sheetPagesAndFiles(db, sheetKey);
  if (row?.pages_json == null || row.file_version_ids_json == null) return undefined;
  const pages = JSON.parse(row.pages_json) as SheetPage[];
  const ids = JSON.parse(row.file_version_ids_json) as number[];
  const page = pages.find((p) => p.targets.some((t) => t.contestId === contestId)) ?? pages[0];
  const files = storedFiles.safeParse(JSON.parse(row.files_json));
  const id = page === undefined ? undefined : fileVersionIdOf(ids, files.success ? files.data : [], page.file);
  if (page === undefined || id === undefined) return undefined;
  const member = memberOfSheetFile(row.files_json, page.file);
  return { fileVersionId: id, page, ...(member === undefined ? {} : { member }), styleFrom: row.style_from };
}

/** The zip member a sheet's file is, for a sheet inside an ES&S export zip (its reader path `<zip>\0<member>`). */
function memberOfSheetFile(filesJson: string, file: number): string | undefined {
  const files = storedFiles.safeParse(JSON.parse(filesJson));
  const path = files.success ? files.data[file] : undefined;
  return path === undefined ? undefined : memberOfZipPath(path);
}

/** How a sheet's style was known (interpret.ts StyleSource), for the disagreement page. */
const STYLE_KNOWN_BY: Readonly<Record<string, string>> = {
  'printed-code': 'from the ballot style code printed on the sheet',
  'cvr-ballot-type': "from the CVR's ballot type: the style code printed on the sheet could not be read",
  'only-style': 'as the only ballot style learned: the style code printed on the sheet could not be read',
};

/** The first page the reader kept aside as the scanner's record of the sheet, with its catalog file. */
function auditMarkPageOf(db: Db, auditMarkJson: string | null, fileIdsJson: string | null): AuditMarkPage | null {
  if (auditMarkJson === null || fileIdsJson === null) return null;
  const kept = storedAuditMarkPages.safeParse(JSON.parse(auditMarkJson));
  const ids = storedFileVersionIds.safeParse(JSON.parse(fileIdsJson));
  const first = kept.success ? kept.data[0] : undefined;
  const imageId = first === undefined || !ids.success ? undefined : ids.data[first.file];
  const version = imageId === undefined ? undefined : new CatalogStore(db).getVersion(imageId);
  return first === undefined || imageId === undefined || version === undefined ? null : { imageId, page: first.page, fileName: path.posix.basename(version.relPath) };
}

export class PreauditWebProvider implements PreauditProvider {
  constructor(
    private readonly db: Db,
    private readonly serviceStatus: () => PreauditStatus,
    /** Option id → name (from the layouts), for the UI; ids are shown when unknown. */
    private readonly optionNames: ReadonlyMap<string, string> = new Map(),
    /** The one action: the service's mapping of a style by hand. */
    private readonly mapper?: { mapStyleByHand(styleId: string, assignments: readonly HandAssignment[], actor: string): Result<{ targets: number; sheetsToRead: number }> },
    /** Makes the report files to download (evidenceFiles.ts, given by the runtime). */
    private readonly files?: (kind: EvidenceDownloadKind) => Promise<Result<EvidenceFile>>,
  ) {}

  contestSummary(): readonly ContestSummaryRow[] {
    return contestSummaryRows(this.db);
  }

  async evidenceFile(kind: EvidenceDownloadKind): Promise<Result<EvidenceFile>> {
    if (this.files === undefined) return err(operatorError('evidence-not-available', 'The report files cannot be made here.', 'Make them with the pre-audit on the appliance.'));
    return this.files(kind);
  }

  status(): PreauditStatus {
    const s = this.serviceStatus();
    // Counts come from the stored results so they survive a restart before the first pass ends.
    const counts = comparisonCounts(this.db) ?? { ballots: 0, disagreements: 0 };
    return { ...s, ballotsCompared: counts.ballots, disagreements: counts.disagreements };
  }

  private name(id: string): string {
    // A write-in line is no imported option: "Write-in 1", as the EMS numbers its lines (not "write-in-0").
    return this.optionNames.get(id) ?? writeInName(id);
  }

  private summary(r: ComparisonRow): DisagreementSummary | undefined {
    const at = locateContest(this.db, r.sheet_key, r.contest_id);
    return {
      id: r.id,
      ballotId: r.ballot_key,
      contest: r.contest_title,
      cvrChoices: (JSON.parse(r.cvr_votes_json) as string[]).map((o) => this.name(o)),
      imageChoices: (JSON.parse(r.image_votes_json) as string[]).map((o) => this.name(o)),
      imageId: at?.fileVersionId ?? 0,
      imagePage: at?.page.page ?? 0,
      ...(at?.member === undefined ? {} : { imageMember: at.member }),
    };
  }

  disagreements(limit: number): readonly DisagreementSummary[] {
    return latestDisagreements(this.db, Math.max(0, Math.floor(limit)))
      .map((r) => this.summary(r))
      .filter((s): s is DisagreementSummary => s !== undefined);
  }

  disagreement(id: number): DisagreementDetail | undefined {
    const r = disagreementById(this.db, id);
    if (r === undefined) return undefined;
    const summary = this.summary(r);
    const at = locateContest(this.db, r.sheet_key, r.contest_id);
    if (summary === undefined || at === undefined) return undefined;
    const contests = new Map(
      contestsOfSheet(this.db, r.sheet_key).map((c) => [c.contest_id, { title: c.contest_title, cvr: new Set(JSON.parse(c.cvr_votes_json) as string[]) }]),
    );
    const targets: TargetOverlay[] = at.page.targets.map((t) => ({
      contest: contests.get(t.contestId)?.title ?? t.contestId,
      option: this.name(t.optionId),
      x: Math.max(0, t.x),
      y: Math.max(0, t.y),
      width: Math.min(t.width, at.page.width - Math.max(0, t.x)),
      height: Math.min(t.height, at.page.height - Math.max(0, t.y)),
      marked: t.mark === 'marked',
      score: t.fill,
      cvrMarked: contests.get(t.contestId)?.cvr.has(t.optionId) ?? false,
    }));
    const marginal = at.page.targets.filter((t) => t.contestId === r.contest_id && t.mark === 'marginal').length;
    const sheet = sheetPagesAndFiles(this.db, r.sheet_key);
    return {
      ...summary,
      auditMark: sheet === undefined ? null : auditMarkPageOf(this.db, sheet.audit_mark_json, sheet.file_version_ids_json),
      styleKnownBy: sheet?.style_from == null ? null : (STYLE_KNOWN_BY[sheet.style_from] ?? null),
      namesRightOfTargets: sheet?.style_from === 'printed-ovals',
      imageWidth: at.page.width,
      imageHeight: at.page.height,
      targets,
      note: marginal > 0 ? `${marginal === 1 ? '1 doubtful mark' : `${marginal} doubtful marks`} in this contest: a person decides.` : null,
    };
  }

  styles(): readonly LearnedStyleSummary[] {
    const rows = latestLearnedStyles(this.db);
    if (rows.length === 0) return [];
    const sheets = sheetCountsOfStyle(this.db);
    // Sheets of a style waiting for a person were recognised by its placeholder layout.
    return rows.map((r) => learnedStyleSummary(r, sheets(r.style_id, placeholderStyleId(r.style_id)) ?? { read: 0, waiting: 0 }));
  }

  styleMapping(styleId: string): StyleMappingForm | undefined {
    const defs = contestsFromImports(this.db);
    if (!defs.ok) return undefined;
    const row = styleNeedingPerson(this.db, defs.value.signature, styleId);
    if (row === undefined) return undefined;
    const hand = handMappingFrom(row.mapping_json);
    const unresolved = unresolvedFrom(row.unresolved_json);
    // The placeholder layout keeps the side codes only the AccuVote family prints: its contests
    // run across the page, so its targets are numbered row by row, as a person reads them.
    const placeholder = familyOfLayout.safeParse(JSON.parse(row.layout_json));
    const across = placeholder.success && placeholder.data.sideCodes !== undefined;
    // Only an ES&S style waiting for a person keeps where its ovals are printed (no style code to tell it by).
    const namesRight = placeholder.success && placeholder.data.printedPlaces !== undefined;
    const all = [
      ...hand.placed.map((t) => ({ side: t.side, column: t.column, row: t.row, text: null, current: { contestId: t.contestId, optionId: t.isWriteIn ? WRITE_IN_CHOICE : t.optionId } })),
      ...unresolved.map((u) => ({ side: u.side, column: u.column, row: u.row, text: u.text.replace(/\s+/g, ' ').trim(), current: null })),
    ].sort(across ? byRow : byPosition);
    const boxOf = (side: string, column: number, r: number) => {
      const b = hand.samples.find((p) => p.side === side)?.boxes.find((x) => x.column === column && x.row === r);
      return b === undefined ? null : { x: b.x, y: b.y, width: b.width, height: b.height };
    };
    const waiting = countSheetsOfStyle(this.db, placeholderStyleId(styleId));
    return {
      styleId,
      printed: row.printed,
      reason: row.reason,
      sheetsWaiting: waiting,
      contestsAcross: across,
      namesRightOfTargets: namesRight,
      pages: hand.samples.flatMap((p) => {
        if (p.fileVersionId === null) return [];
        const member = memberOfSheetFile(sheetPagesAndFiles(this.db, p.sheetKey)?.files_json ?? '[]', p.file);
        return [{ side: p.side, imageId: p.fileVersionId, imagePage: p.page, ...(member === undefined ? {} : { member }), width: p.width, height: p.height }];
      }),
      targets: all.map((t, i) => ({ number: i + 1, ...t, box: boxOf(t.side, t.column, t.row) })),
      contests: defs.value.contests.map((c) => ({
        id: c.id,
        title: c.title,
        options: [
          ...c.options.map((o) => ({ id: o.id, name: o.name })),
          // Write-in lines are numbered when saved, in the EMS's order for the ballot family.
          ...(c.allowWriteIns ? [{ id: WRITE_IN_CHOICE, name: 'a write-in line' }] : []),
        ],
      })),
    };
  }

  mapStyle(styleId: string, assignments: readonly HandAssignment[], actor: string): Result<{ targets: number; sheetsToRead: number }> {
    if (this.mapper === undefined) throw new Error('mapStyle called on a pre-audit provider without the service'); // wiring bug
    return this.mapper.mapStyleByHand(styleId, assignments, actor);
  }
}

/** Per contest over every ballot compared: agree / disagree / gray / no CVR; disagreements first, then gray. */
export function contestSummaryRows(db: Db): ContestSummaryRow[] {
  const rows = verdictCounts(db);
  const byContest = new Map<string, { contestId: string; contest: string; agree: number; disagree: number; gray: number; noCvr: number }>();
  for (const r of rows) {
    const c = byContest.get(r.contest_id) ?? { contestId: r.contest_id, contest: r.contest_title, agree: 0, disagree: 0, gray: 0, noCvr: 0 };
    if (r.verdict === 'agree') c.agree += r.n;
    else if (r.verdict === 'disagree') c.disagree += r.n;
    else if (r.verdict === 'gray') c.gray += r.n;
    else c.noCvr += r.n;
    byContest.set(r.contest_id, c);
  }
  return [...byContest.values()].sort((a, b) => b.disagree - a.disagree || b.gray - a.gray || a.contest.localeCompare(b.contest));
}
