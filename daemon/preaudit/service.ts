/**
 * PreauditService: follows the catalog, reads new ballot images on the worker pool (runPreaudit),
 * and compares every read sheet with the importer's CVRs, storing per ballot/contest verdicts in
 * `preaudit_comparisons`. Resumable: sheets already read are skipped (runPreaudit), comparison
 * rows are upserted so their ids stay stable. The ballot layouts are learned from the images and
 * the imported contest names (learnLayouts), cached in `preaudit_learned_styles`; a style the OCR
 * matcher cannot map is set aside for a person, its sheets reported as not read.
 */
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import type { Db } from '../core/db/database.ts';
import type { NormalizedCvr, NormalizedVote } from '../importer/model.ts';
import { syncImageKeys } from '../importer/imageLinks.ts';
import { LogEvent } from '../core/log/events.ts';
import { forwardedCode } from '../core/state/alertCodes.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { compareBallot, type CvrSource } from './compare.ts';
import { contestsFromImports, type ElectionContests } from './contestDefinitions.ts';
import { cvrSourceFromRecords, type VendorKeyMap } from './cvrSource.ts';
import { checkMapping, learnLayouts, type LearnOptions, type StyleNeedsMapping, type StyleSample } from './learnLayouts.ts';
import { layoutFromTargets, placeholderStyleId, type Side, type StyleLayout, type TargetPosition, writeInOptionId } from './layout.ts';
import type { ContestReading } from './marks.ts';
import { createOcrEngine, type OcrEngine, type UnresolvedTarget } from './ocr.ts';
import { runPreaudit, type PoolProgress, type SheetJob } from './pool.ts';
import type { CatalogSheet } from './catalogSheet.ts';
import { BallotStyleName } from './styleWords.ts';
import { SET_APART_CODES, setApartSummary } from './setApart.ts';
import { zipExportSheets } from './zipSheets.ts';
import { essMemberRole } from './essZip.ts';
import { frontFirst, pageNameOf } from './sheetPages.ts';

export interface PreauditLayouts {
  readonly layouts: readonly StyleLayout[];
  /** Vendor (CVR) contest/option keys → layout ids. */
  readonly keys: VendorKeyMap;
  readonly source: string;
  /** Learned styles the OCR matcher could not map: their sheets wait for a person. */
  readonly needsMapping?: readonly StyleNeedsMapping[];
}

export const NEEDS_MAPPING_CODE = 'preaudit-style-needs-mapping';
/** Sheets not read on purpose (waiting for a person, BMD cards, a design not read yet): not "unreadable images". */
const NOT_UNREADABLE = [NEEDS_MAPPING_CODE, ...SET_APART_CODES].map((c) => `'${c}'`).join(', ');

interface CachedStyle {
  style_id: string;
  status: 'mapped' | 'needs-person';
  layout_json: string;
  printed: string;
  reason: string | null;
  unresolved_json: string | null;
  pages: number;
  mapping_json: string | null;
  mapped_by: string | null;
}

export type { CatalogSheet } from './catalogSheet.ts';

/** Current ballot images of the catalog, paired into sheets by the rule in `sheetPages.ts`, front first. */
export function catalogSheets(db: Db, vaultDir: string): CatalogSheet[] {
  syncImageKeys(db);
  const rows = db
    .prepare<[], { id: number; root_label: string; rel_path: string; sha256: string; image_key: string | null }>(
      `SELECT f.id, f.root_label, f.rel_path, f.sha256, k.image_key FROM file_versions f
       LEFT JOIN image_keys k ON k.file_version_id = f.id
       WHERE f.kind = 'ballot-image' AND f.status = 'current' ORDER BY f.root_label, f.rel_path`,
    )
    .all();
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    const page = r.image_key === null ? pageNameOf(r.rel_path) : null;
    const g = r.image_key ?? (page !== null ? `p:${r.root_label}:${page.sheetStem}` : `f:${r.id}`);
    groups.set(g, [...(groups.get(g) ?? []), r]);
  }
  return [...groups.entries()].map(([group, unordered]) => {
    const rs = frontFirst(unordered, (r) => r.rel_path);
    const ids = rs.map((r) => r.id);
    // The versions are part of the key: a re-exported image is read again.
    return {
      job: { key: `${group}#${ids.join('+')}`, files: rs.map((r) => vaultObjectPath(vaultDir, r.sha256)) },
      imageKey: rs[0]?.image_key ?? null,
      fileVersionIds: ids,
      ...(rs.some((r) => essMemberRole(r.rel_path) !== 'other') ? { essExport: true as const } : {}),
    };
  });
}

/** The active CVR records with an image key, as the importer's normalized model. */
export function loadCvrRecords(db: Db): NormalizedCvr[] {
  const records = db
    .prepare<[], { id: number; tabulator: string | null; batch: string | null; record_id: string | null; cvr_number: string | null; image_key: string; ballot_style: string | null; precinct: string | null; counting_group: string | null; session_type: string | null }>(
      `SELECT r.id, r.tabulator, r.batch, r.record_id, r.cvr_number, r.image_key, r.ballot_style, r.precinct, r.counting_group, r.session_type
       FROM cvr_records r JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'
       WHERE r.image_key IS NOT NULL ORDER BY r.id`,
    )
    .all();
  const votes = new Map<number, NormalizedVote[]>();
  const vrows = db
    .prepare<[], { cvr_id: number; contest_key: string; option_key: string; rank: number; is_vote: number; is_ambiguous: number; mark_density: number | null }>(
      `SELECT v.cvr_id, v.contest_key, v.option_key, v.rank, v.is_vote, v.is_ambiguous, v.mark_density
       FROM cvr_votes v JOIN cvr_records r ON r.id = v.cvr_id JOIN import_sources s ON s.id = r.source_id AND s.state = 'active'`,
    )
    .all();
  for (const v of vrows) {
    const list = votes.get(v.cvr_id) ?? [];
    list.push({ contestKey: v.contest_key, optionKey: v.option_key, rank: v.rank, isVote: v.is_vote === 1, isAmbiguous: v.is_ambiguous === 1, markDensity: v.mark_density });
    votes.set(v.cvr_id, list);
  }
  return records.map((r) => ({
    tabulator: r.tabulator,
    batch: r.batch,
    recordId: r.record_id,
    cvrNumber: r.cvr_number,
    imageKey: r.image_key,
    ballotStyle: r.ballot_style,
    precinct: r.precinct,
    countingGroup: r.counting_group,
    sessionType: r.session_type,
    votes: votes.get(r.id) ?? [],
  }));
}

export interface CompareSummary {
  readonly ballotsCompared: number;
  readonly ballotsWithoutCvr: number;
  readonly disagreements: number;
  readonly gray: number;
}

/** Compares every read sheet among `sheets` with the CVRs; upserts `preaudit_comparisons`. */
export function compareSheets(db: Db, sheets: readonly CatalogSheet[], layouts: readonly StyleLayout[], cvrs: CvrSource): CompareSummary {
  const seats = new Map(layouts.flatMap((l) => l.contests.map((c) => [c.id, c.seats] as const)));
  const titles = new Map(layouts.flatMap((l) => l.contests.map((c) => [c.id, c.title] as const)));
  const read = db.prepare<[string], { reading_json: string | null }>(`SELECT reading_json FROM preaudit_sheets WHERE sheet_key = ? AND status = 'read'`);
  const upsert = db.prepare(
    `INSERT INTO preaudit_comparisons (sheet_key, ballot_key, contest_id, contest_title, verdict, image_votes_json, cvr_votes_json, marginal_json,
       image_overvote, cvr_overvote, undervotes, write_ins, compared_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (sheet_key, contest_id) DO UPDATE SET ballot_key = excluded.ballot_key, contest_title = excluded.contest_title,
       verdict = excluded.verdict, image_votes_json = excluded.image_votes_json, cvr_votes_json = excluded.cvr_votes_json,
       marginal_json = excluded.marginal_json, image_overvote = excluded.image_overvote, cvr_overvote = excluded.cvr_overvote,
       undervotes = excluded.undervotes, write_ins = excluded.write_ins, compared_at = excluded.compared_at`,
  );
  const fileRow = db.prepare(`INSERT OR REPLACE INTO preaudit_sheet_files (sheet_key, image_key, file_version_ids_json) VALUES (?, ?, ?)`);
  let ballotsCompared = 0;
  let ballotsWithoutCvr = 0;
  let disagreements = 0;
  let gray = 0;
  const at = new Date().toISOString();
  db.transaction(() => {
    const keep = new Set<string>();
    for (const s of sheets) {
      fileRow.run(s.job.key, s.imageKey, JSON.stringify(s.fileVersionIds));
      const row = read.get(s.job.key);
      // A sheet no longer read (e.g. its style now waits for a person) keeps no old verdicts.
      if (row?.reading_json == null) continue;
      keep.add(s.job.key);
      const readings = JSON.parse(row.reading_json) as ContestReading[];
      const ballotKey = s.imageKey ?? s.job.key;
      const cmp = compareBallot(ballotKey, readings, (c) => seats.get(c) ?? 1, cvrs);
      if (!cmp.cvrFound) {
        ballotsWithoutCvr++;
        for (const r of readings) {
          upsert.run(s.job.key, ballotKey, r.contestId, titles.get(r.contestId) ?? r.contestId, 'no-cvr', JSON.stringify(r.overvote ? [] : r.selected), '[]', JSON.stringify(r.marginal), r.overvote ? 1 : 0, 0, r.undervotes, r.writeIns, at);
        }
        continue;
      }
      ballotsCompared++;
      for (const c of cmp.contests) {
        if (c.verdict === 'disagree') disagreements++;
        if (c.verdict === 'gray') gray++;
        upsert.run(
          s.job.key,
          ballotKey,
          c.contestId,
          titles.get(c.contestId) ?? c.contestId,
          c.verdict,
          JSON.stringify(c.imageVotes),
          JSON.stringify(c.cvrVotes),
          JSON.stringify(c.marginal),
          c.imageOvervote ? 1 : 0,
          c.cvrOvervote ? 1 : 0,
          c.undervotes,
          c.writeIns,
          at,
        );
      }
    }
    // Sheets whose images changed or disappeared from the export, or that are not read, are no longer compared.
    const stale = db.prepare<[], { sheet_key: string }>(`SELECT DISTINCT sheet_key FROM preaudit_comparisons`).all().filter((r) => !keep.has(r.sheet_key));
    const del = db.prepare(`DELETE FROM preaudit_comparisons WHERE sheet_key = ?`);
    for (const r of stale) del.run(r.sheet_key);
  })();
  return { ballotsCompared, ballotsWithoutCvr, disagreements, gray };
}

export interface PreauditServiceStatus {
  readonly state: 'not-started' | 'running' | 'done' | 'failed';
  readonly imagesDone: number;
  readonly imagesTotal: number;
  readonly ballotsCompared: number;
  readonly disagreements: number;
  readonly updatedAt: string | null;
  readonly message?: string;
  /** Of imagesDone: sheets set aside until a person maps their style, and images that could not be read (neither was read). */
  readonly imagesSetAside?: number;
  readonly imagesUnreadable?: number;
}

export interface PreauditServiceOptions {
  readonly db: Db;
  readonly vaultDir: string;
  readonly logger: Logger;
  /**
   * Layouts to read with instead of learning them (e.g. from a VotingWorks election.json with grid
   * layouts, `layoutsFromVxElection`).
   */
  readonly layouts?: PreauditLayouts;
  /** The export folders; not used to find layouts (they are learned from the images). */
  readonly rootPaths?: readonly string[];
  /** An OCR engine to share (tests); otherwise one is started for learning and closed after. */
  readonly ocr?: OcrEngine;
  readonly learn?: Pick<LearnOptions, 'pagesPerStyle' | 'maxSheets'>;
  readonly intervalMs?: number;
  readonly workers?: number;
}

export interface PassResult extends CompareSummary {
  readonly progress: PoolProgress;
  readonly sheets: readonly CatalogSheet[];
  readonly layouts: PreauditLayouts;
}

export class PreauditService {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private readonly abort = new AbortController();
  private lastSignature = '';
  private loaded: PreauditLayouts | undefined;
  private loadedSignature = '';
  /** Sheets of unknown styles already learned from in this run (not tried again). */
  private readonly learnedFrom = new Set<string>();
  private failedLearn: { attempt: string; error: OperatorError } | undefined;
  /** Option id → name from the layouts (filled once they are loaded), for the web UI. */
  readonly optionNames = new Map<string, string>();
  private current: PreauditServiceStatus = { state: 'not-started', imagesDone: 0, imagesTotal: 0, ballotsCompared: 0, disagreements: 0, updatedAt: null };

  private readonly alerts: AlertLog;
  /** Disagreements already alerted (from the stored results, so a restart does not alert again). */
  private alerted: number;

  constructor(private readonly options: PreauditServiceOptions) {
    this.alerts = new AlertLog(options.db, options.logger);
    this.alerted = options.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM preaudit_comparisons WHERE verdict = 'disagree'`).get()?.n ?? 0;
  }

  /**
   * Sheets this pass could not read (bomb, corrupt file, no timing marks): one open alert per error
   * code that counts them and names the latest, not one per sheet (thousands would bury the rest).
   */
  private alertUnreadable(sheets: readonly CatalogSheet[], since: string): void {
    const byKey = new Map(sheets.map((s) => [s.job.key, s]));
    const rows = this.options.db
      .prepare<[string], { sheet_key: string; error_code: string; error_message: string }>(
        `SELECT sheet_key, error_code, error_message FROM preaudit_sheets WHERE status = 'error' AND read_at >= ? AND error_code NOT IN (${NOT_UNREADABLE}) ORDER BY read_at, sheet_key`,
      )
      .all(since);
    const name = this.options.db.prepare<[number], { n: string }>(`SELECT root_label || ':' || rel_path AS n FROM file_versions WHERE id = ?`);
    const byCode = new Map<string, { reason: string; files: string[] }>();
    for (const r of rows) {
      const first = byKey.get(r.sheet_key)?.fileVersionIds[0];
      const file = (first === undefined ? undefined : name.get(first)?.n) ?? r.sheet_key;
      const group = byCode.get(r.error_code) ?? { reason: r.error_message, files: [] };
      group.reason = r.error_message;
      group.files.push(file);
      byCode.set(r.error_code, group);
    }
    for (const [code, { reason, files }] of byCode) {
      this.alerts.raiseRepeated(
        {
          severity: 'warning',
          code: forwardedCode({ code }),
          group: 'pre-audit ballot images',
          message: (n) =>
            n === 1
              ? `A ballot image could not be read by the pre-audit: ${reason}`
              : `${n} ballot images could not be read by the pre-audit (the latest: ${reason}). The newest is named here; the log lists every one.`,
          action: 'Look at the images in the catalog; rescan or re-export them. The captured copies are kept as evidence.',
        },
        files,
      );
    }
  }

  status(): PreauditServiceStatus {
    return this.current;
  }

  private useLayouts(found: PreauditLayouts): PreauditLayouts {
    this.loaded = found;
    this.optionNames.clear();
    for (const l of found.layouts) for (const c of l.contests) for (const o of c.options) this.optionNames.set(o.id, o.name);
    return found;
  }

  /**
   * The layouts to read with: given ones, else the learned styles cached for the current contest
   * definitions, else learned now from a sample of the sheets. Sheets whose printed style was not
   * among those learned (`preaudit-style-unresolved`) are learned from on the next pass and read again.
   */
  private async layouts(sheets: readonly CatalogSheet[]): Promise<Result<PreauditLayouts>> {
    if (this.options.layouts !== undefined) return ok(this.loaded ?? this.useLayouts(this.options.layouts));
    const { db } = this.options;
    const defs = contestsFromImports(db);
    if (!defs.ok) return defs;
    const unknown = this.unknownStyleSheets();
    if (this.loaded !== undefined && this.loadedSignature === defs.value.signature && unknown.length === 0) return ok(this.loaded);
    let cached = this.readCache(defs.value.signature);
    if (cached.length === 0) {
      if (sheets.length === 0) {
        return err(operatorError('preaudit-no-images', 'The pre-audit is waiting for ballot images: none have been captured yet.', 'Nothing to do; it starts when the EMS exports images to a watched folder.'));
      }
      // Nothing learnable from these sheets last time: not tried again until the catalog or the contests change.
      const attempt = `${defs.value.signature}|${sheets.map((s) => s.job.key).join('|')}`;
      if (this.failedLearn?.attempt === attempt) return err(this.failedLearn.error);
      const learned = await this.learn(sheets, defs.value, undefined);
      if (!learned.ok) {
        if (learned.error.code === 'preaudit-no-styles') this.failedLearn = { attempt, error: learned.error };
        return learned;
      }
      cached = this.readCache(defs.value.signature);
    } else if (unknown.length > 0) {
      const byKey = new Map(sheets.map((s) => [s.job.key, s]));
      const todo = unknown.map((k) => byKey.get(k)).filter((s): s is CatalogSheet => s !== undefined);
      const learned = await this.learn(todo, defs.value, new Set(cached.map((c) => c.style_id)));
      if (!learned.ok) return learned;
      // Sheets looked at are not learned from again; the others stay candidates for the next round.
      for (const k of learned.value) this.learnedFrom.add(k);
      cached = this.readCache(defs.value.signature);
      // Read them all again with the styles learned.
      const del = db.prepare(`DELETE FROM preaudit_sheets WHERE sheet_key = ?`);
      db.transaction(() => {
        for (const k of unknown) del.run(k);
      })();
    }
    this.loadedSignature = defs.value.signature;
    const layouts: StyleLayout[] = [];
    const needsMapping: StyleNeedsMapping[] = [];
    // Sheets a pass running while a person mapped their style set aside after all are read again.
    const dropSetAside = db.prepare(`DELETE FROM preaudit_sheets WHERE style_id = ?`);
    for (const c of cached) {
      const layout = JSON.parse(c.layout_json) as StyleLayout;
      if (c.status === 'mapped') {
        layouts.push(layout);
        if (c.mapped_by !== null) dropSetAside.run(placeholderStyleId(c.style_id));
      } else {
        const hand = handMappingFrom(c.mapping_json);
        needsMapping.push({
          styleId: c.style_id,
          printed: c.printed,
          pages: c.pages,
          reason: c.reason ?? '',
          unresolved: unresolvedFrom(c.unresolved_json),
          placed: hand.placed,
          samples: hand.samples,
          placeholder: layout,
        });
      }
    }
    return ok(
      this.useLayouts({
        // Placeholders go last: a sheet of a style waiting for a person is recognised, not misread.
        layouts: [...layouts, ...needsMapping.map((n) => n.placeholder)],
        keys: defs.value.keys,
        source: `learned from the ballot images (${layouts.length} ${layouts.length === 1 ? 'style' : 'styles'} mapped, ${needsMapping.length} waiting for a person)`,
        needsMapping,
      }),
    );
  }

  /** Sheets whose printed style is none of the learned ones, not yet learned from. */
  private unknownStyleSheets(): string[] {
    return this.options.db
      .prepare<[], { sheet_key: string }>(`SELECT sheet_key FROM preaudit_sheets WHERE status = 'error' AND error_code = 'preaudit-style-unresolved'`)
      .all()
      .map((r) => r.sheet_key)
      .filter((k) => !this.learnedFrom.has(k));
  }

  private readCache(signature: string): CachedStyle[] {
    return this.options.db
      .prepare<[string], CachedStyle>(
        `SELECT style_id, status, layout_json, printed, reason, unresolved_json, pages, mapping_json, mapped_by FROM preaudit_learned_styles WHERE definitions_sha256 = ? ORDER BY style_id`,
      )
      .all(signature);
  }

  /** Learns the styles of `sheets` not in `known` and caches them; readings made with a changed layout are dropped. */
  private async learn(sheets: readonly CatalogSheet[], defs: ElectionContests, known: ReadonlySet<string> | undefined): Promise<Result<readonly string[]>> {
    const { db, logger } = this.options;
    logEvent(logger, LogEvent.PreauditStylesLearning, { sheets: sheets.length, contests: defs.contests.length, sources: defs.sources });
    this.current = { ...this.current, state: 'running', message: 'Learning the ballot styles from the images…', updatedAt: new Date().toISOString() };
    const ocr = this.options.ocr ?? (await createOcrEngine());
    let result;
    try {
      result = await learnLayouts(
        sheets.map((s) => s.job),
        defs.contests,
        ocr,
        {
          ...this.options.learn,
          signal: this.abort.signal,
          onProgress: (p) => {
            this.current = {
              ...this.current,
              message: p.phase === 'sample' ? `Learning the ballot styles: looked at ${p.done} of ${p.total} sample sheets…` : `Reading the printed names of ballot style ${p.done} of ${p.total}…`,
              updatedAt: new Date().toISOString(),
            };
            if (p.done === p.total || p.done % 25 === 0) logEvent(logger, LogEvent.PreauditProgress, { phase: `learn-${p.phase}`, done: p.done, total: p.total });
          },
        },
      );
    } finally {
      if (this.options.ocr === undefined) await ocr.close();
    }
    if (this.abort.signal.aborted) return err(operatorError('preaudit-stopped', 'The pre-audit was stopped while learning the ballot styles.'));
    const fresh = [
      ...result.layouts.map((l) => ({ styleId: l.styleId, status: 'mapped' as const, layout: l, printed: describeLayout(l), reason: null, unresolved: null, pages: result.styles.find((s) => s.styleId === l.styleId)?.pages ?? 0 })),
      ...result.needsMapping.map((n) => ({
        styleId: n.styleId,
        status: 'needs-person' as const,
        layout: n.placeholder,
        printed: n.printed,
        reason: n.reason,
        unresolved: n.unresolved,
        pages: n.pages,
        handMapping: handMappingOf(n, sheets),
      })),
    ].filter((f) => known === undefined || !known.has(f.styleId));
    if (fresh.length === 0 && known === undefined) {
      return err(
        operatorError(
          'preaudit-no-styles',
          `No ballot style could be learned: none of the ${result.sheetsSampled} ${result.sheetsSampled === 1 ? 'sheet' : 'sheets'} looked at had readable timing marks.`,
          'Check that the ballot images are in a watched folder and are scans of the ballots (both sides).',
        ),
      );
    }
    const previous = db.prepare<[string], { layout_json: string; status: string }>(
      `SELECT layout_json, status FROM preaudit_learned_styles WHERE style_id = ? ORDER BY learned_at DESC LIMIT 1`,
    );
    const insert = db.prepare(
      `INSERT OR REPLACE INTO preaudit_learned_styles (definitions_sha256, style_id, status, layout_json, printed, reason, unresolved_json, pages, ocr_ms, learned_at, mapping_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const dropReadings = db.prepare(`DELETE FROM preaudit_sheets WHERE style_id = ? OR style_id = ?`);
    const at = new Date().toISOString();
    db.transaction(() => {
      for (const f of fresh) {
        const json = JSON.stringify(f.layout);
        const before = previous.get(f.styleId);
        // Sheets read with an earlier, different layout of this style (other contest names) are read again.
        if (before !== undefined && before.layout_json !== json) dropReadings.run(f.styleId, placeholderStyleId(f.styleId));
        const ms = result.styles.find((s) => s.styleId === f.styleId)?.ocrMs;
        const hand = 'handMapping' in f ? JSON.stringify(f.handMapping) : null;
        insert.run(defs.signature, f.styleId, f.status, json, f.printed, f.reason, f.unresolved === null ? null : JSON.stringify(f.unresolved), f.pages, ms === undefined ? null : (ms.front ?? 0) + (ms.back ?? 0), at, hand);
      }
    })();
    logEvent(logger, LogEvent.PreauditStylesLearned, {
      sheetsSampled: result.sheetsSampled,
      sheetsUnusable: result.sheetsUnusable,
      mapped: result.layouts.map((l) => l.styleId),
      needsPerson: result.needsMapping.map((n) => ({ style: n.styleId, reason: n.reason })),
      registerMs: result.registerMs,
      ocrMs: result.ocrMs,
      ocrMsPerStyle: Object.fromEntries(result.styles.map((s) => [s.styleId, s.ocrMs])),
    });
    for (const n of result.needsMapping) {
      if (known?.has(n.styleId) === true) continue;
      logEvent(logger, LogEvent.PreauditStyleUnresolved, { style: n.styleId, printed: n.printed, reason: n.reason, unresolved: n.unresolved.length }, 'warn');
    }
    return ok(result.sampledKeys);
  }

  /**
   * Sheets read with a placeholder (their style waits for a person) become 'not read', with one
   * alert per style (not repeated after a restart).
   */
  private setAsideUnmapped(needsMapping: readonly StyleNeedsMapping[]): number {
    const { db } = this.options;
    let total = 0;
    const mark = db.prepare(
      `UPDATE preaudit_sheets SET status = 'error', error_code = ?, error_message = ?, reading_json = NULL, pages_json = NULL WHERE status = 'read' AND style_id = ?`,
    );
    const count = db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM preaudit_sheets WHERE style_id = ?`);
    const alerted = db.prepare<[string], { n: number }>(`SELECT count(*) AS n FROM alerts WHERE code = '${NEEDS_MAPPING_CODE}' AND subject = ?`);
    for (const n of needsMapping) {
      const message = `${BallotStyleName(n.printed)} was not read: the names printed beside its targets could not all be matched to the election's contests (${n.reason}).`;
      mark.run(NEEDS_MAPPING_CODE, message, n.placeholder.styleId);
      const sheets = count.get(n.placeholder.styleId)?.n ?? 0;
      total += sheets;
      if ((alerted.get(n.styleId)?.n ?? 0) === 0) {
        this.alerts.raise({
          severity: 'warning',
          code: NEEDS_MAPPING_CODE,
          message,
          action: 'A person must map this ballot style (which target is which contest option) before its sheets are compared; check that the election definition (manifests or EIF) with these contests was imported. The other styles are read.',
          subject: n.styleId,
          details: { printed: n.printed, sheets, unresolved: n.unresolved.slice(0, 20) },
        });
      }
    }
    return total;
  }

  /**
   * A person's mapping of a style the OCR matcher could not map: every target of the style (those
   * the matcher placed and those it could not) gets a contest option, or none when it is not a
   * voting target. Checked like a learned mapping (no write-in line twice, no contest with only
   * some of its options); then the style is read like any other, its set-aside sheets again in
   * the next pass, and its alert is acknowledged by that person.
   */
  mapStyleByHand(styleId: string, assignments: readonly HandAssignment[], actor: string): Result<{ readonly targets: number; readonly sheetsToRead: number }> {
    const { db, logger } = this.options;
    const defs = contestsFromImports(db);
    if (!defs.ok) return defs;
    const row = db
      .prepare<[string, string], CachedStyle>(
        `SELECT style_id, status, layout_json, printed, reason, unresolved_json, pages, mapping_json, mapped_by FROM preaudit_learned_styles WHERE definitions_sha256 = ? AND style_id = ?`,
      )
      .get(defs.value.signature, styleId);
    if (row === undefined || row.status !== 'needs-person') {
      return err(
        operatorError(
          'preaudit-style-not-waiting',
          `${row === undefined ? `Ballot style ${styleId}` : BallotStyleName(row.printed)} is not waiting to be mapped.`,
          'Reload the Pre-audit page: the style may have been mapped already, or learned again after an import.',
        ),
      );
    }
    const hand = handMappingFrom(row.mapping_json);
    const unresolved = unresolvedFrom(row.unresolved_json);
    const key = (t: { side: string; column: number; row: number }) => `${t.side}:${t.column}:${t.row}`;
    const positions = new Set([...hand.placed, ...unresolved].map(key));
    const given = new Set<string>();
    const targets: TargetPosition[] = [];
    for (const a of assignments) {
      const k = key(a);
      if (!positions.has(k) || given.has(k)) {
        return err(operatorError('preaudit-mapping-target-unknown', `Target ${a.side} column ${a.column} row ${a.row} is not a target of this style, or was given twice.`, 'Reload the mapping page and choose again.'));
      }
      given.add(k);
      if (a.choice === null) continue;
      const { contestId, optionId } = a.choice;
      const contest = defs.value.contests.find((c) => c.id === contestId);
      const isOption = contest?.options.some((o) => o.id === optionId) === true;
      const isWriteIn = contest?.allowWriteIns === true && optionId === WRITE_IN_CHOICE;
      if (contest === undefined || (!isOption && !isWriteIn)) {
        return err(operatorError('preaudit-mapping-option-unknown', `Target ${a.side} column ${a.column} row ${a.row} was given an option that is not in the imported election definition.`, 'Reload the mapping page and choose again.'));
      }
      targets.push({ side: a.side, column: a.column, row: a.row, contestId, optionId, isWriteIn });
    }
    if (given.size !== positions.size) {
      return err(
        operatorError(
          'preaudit-mapping-incomplete',
          `${positions.size - given.size} of the ${positions.size} targets of this style have no choice.`,
          'Choose a contest option, or "not a voting target", for every numbered target, then save again.',
        ),
      );
    }
    const placeholder = JSON.parse(row.layout_json) as StyleLayout;
    // Write-in lines are numbered as the learned mappings number them: the sample-election family
    // (and Dominion) top to bottom, AccuVote bottom to top; each contest's lines counted apart.
    const bottomUp = placeholder.printedCode === undefined;
    const lines = targets.filter((t) => t.isWriteIn).sort((a, b) => (a.side === b.side ? 0 : a.side === 'front' ? -1 : 1) || (bottomUp ? b.row - a.row : a.row - b.row));
    const slot = new Map(lines.map((t) => [t, writeInOptionId(lines.filter((u) => u.contestId === t.contestId).indexOf(t))]));
    const numbered = targets.map((t) => ({ ...t, optionId: slot.get(t) ?? t.optionId }));
    const problem = checkMapping(numbered, [], defs.value.contests);
    if (problem !== undefined) {
      return err(operatorError('preaudit-mapping-inconsistent', `This mapping cannot be used: ${problem}.`, 'Correct the choices for those targets, then save again.'));
    }
    const layout = layoutFromTargets(styleId, numbered, defs.value.contests, placeholder);
    let sheetsToRead = 0;
    db.transaction(() => {
      db.prepare(
        `UPDATE preaudit_learned_styles SET status = 'mapped', layout_json = ?, reason = NULL, unresolved_json = NULL, mapped_by = ? WHERE definitions_sha256 = ? AND style_id = ?`,
      ).run(JSON.stringify(layout), actor, defs.value.signature, styleId);
      sheetsToRead = db.prepare(`DELETE FROM preaudit_sheets WHERE style_id = ?`).run(placeholderStyleId(styleId)).changes;
    })();
    // The next pass loads the layouts again (a pass running now sets its sheets aside; the next one reads them).
    this.loaded = undefined;
    for (const a of this.alerts.open()) if (a.code === NEEDS_MAPPING_CODE && a.subject === styleId) this.alerts.acknowledge(a.id, actor);
    logEvent(logger, LogEvent.PreauditStyleMappedByHand, { style: styleId, by: actor, targets: layout.targets.length, sheetsToRead });
    return ok({ targets: layout.targets.length, sheetsToRead });
  }

  /** One pass: read new sheets, then compare (again when sheets or CVR imports changed). */
  async runOnce(): Promise<Result<PassResult>> {
    const { db, logger } = this.options;
    const zipped = await zipExportSheets(db, this.options.vaultDir);
    const sheets = [...catalogSheets(db, this.options.vaultDir), ...zipped.sheets];
    for (const z of zipped.refused) {
      this.alerts.raiseRepeated(
        { severity: 'warning', code: forwardedCode(z.error), group: 'pre-audit ballot images', message: () => z.error.message, action: z.error.action ?? 'Export the ballot images again.' },
        [z.file],
      );
    }
    const jobs = sheets.map((s) => s.job);
    const passStart = new Date().toISOString();
    let layouts: Result<PreauditLayouts>;
    let progress: PoolProgress;
    // More rounds when sheets of styles missing from the learning sample turned up: they are
    // learned from and read again in the same pass (each round looks at sheets not seen before).
    // ES&S export sheets are not learned from (their design has no registration yet): the readers
    // count them apart. With nothing else captured, the readers run with no layouts at all.
    const learnable = sheets.filter((s) => s.essExport !== true);
    for (let round = 0; ; round++) {
      layouts =
        learnable.length === 0 && sheets.length > 0
          ? ok({ layouts: [], keys: { contests: new Map(), options: new Map() }, source: 'ES&S export sheets only: their design is not read yet' })
          : await this.layouts(learnable);
      if (!layouts.ok) {
        // Waiting for election data or images is not a failure.
        const waiting = layouts.error.code === 'preaudit-no-contests' || layouts.error.code === 'preaudit-no-images';
        this.current = { ...this.current, state: waiting ? 'not-started' : 'failed', message: layouts.error.message, updatedAt: new Date().toISOString() };
        return layouts;
      }
      this.current = { ...this.current, state: 'running', imagesTotal: jobs.length, updatedAt: new Date().toISOString() };
      const doneKeys = new Set(db.prepare<[], { sheet_key: string }>('SELECT sheet_key FROM preaudit_sheets').all().map((r) => r.sheet_key));
      progress = { done: jobs.length, total: jobs.length, skipped: jobs.length, errors: 0 };
      if (jobs.some((j) => !doneKeys.has(j.key))) {
        progress = await runPreaudit(db, jobs, layouts.value.layouts, logger, {
          ...(this.options.workers === undefined ? {} : { workers: this.options.workers }),
          signal: this.abort.signal,
          onProgress: (p) => {
            this.current = { ...this.current, imagesDone: p.done, imagesTotal: p.total, updatedAt: new Date().toISOString() };
          },
        });
      }
      if (round >= 3 || this.options.layouts !== undefined || this.abort.signal.aborted || this.unknownStyleSheets().length === 0) break;
    }
    // Errors of the whole pass (a sheet read again in the second round counts once, as it ended).
    const errors =
      db
        .prepare<[string], { n: number }>(`SELECT count(*) AS n FROM preaudit_sheets WHERE status = 'error' AND read_at >= ? AND error_code NOT IN (${NOT_UNREADABLE})`)
        .get(passStart)?.n ?? 0;
    progress = { ...progress, errors };
    const needsMapping = layouts.value.needsMapping ?? [];
    const apart = setApartSummary(
      new Map(
        db
          .prepare<[], { code: string; n: number }>(`SELECT error_code AS code, count(*) AS n FROM preaudit_sheets WHERE status = 'error' AND error_code IN (${SET_APART_CODES.map((c) => `'${c}'`).join(', ')}) GROUP BY error_code`)
          .all()
          .map((r) => [r.code, r.n]),
      ),
    );
    const setAside = needsMapping.length > 0 ? this.setAsideUnmapped(needsMapping) : 0;
    if (progress.errors > 0) this.alertUnreadable(sheets, passStart);
    const sig = `${jobs.length}|${
      db
        .prepare<[], { s: string }>(
          `SELECT (SELECT count(*) || ':' || coalesce(max(read_at), '') FROM preaudit_sheets) || '|' ||
                  (SELECT count(*) || ':' || coalesce(max(id), 0) FROM import_sources WHERE state = 'active') AS s`,
        )
        .get()?.s ?? ''
    }`;
    let summary: CompareSummary;
    if (sig !== this.lastSignature) {
      summary = compareSheets(db, sheets, layouts.value.layouts, cvrSourceFromRecords(loadCvrRecords(db), layouts.value.keys));
      this.lastSignature = sig;
      logEvent(logger, LogEvent.PreauditFinished, { phase: 'compare', ...summary });
      if (summary.disagreements > this.alerted) {
        this.alerts.raise({
          severity: 'warning',
          code: 'preaudit-disagreement',
          message: `The pre-audit found ${summary.disagreements === 1 ? '1 contest reading' : `${summary.disagreements} contest readings`} on the ballot images that disagree with the CVRs (${summary.disagreements - this.alerted} new).`,
          action: 'Open the Pre-audit page, look at each disagreeing ballot image there, and tell the election official.',
          details: { disagreements: summary.disagreements, ballotsCompared: summary.ballotsCompared },
        });
      }
      this.alerted = summary.disagreements;
    } else {
      summary = { ballotsCompared: this.current.ballotsCompared, ballotsWithoutCvr: 0, disagreements: this.current.disagreements, gray: 0 };
    }
    // Every sheet of the catalog as it stands (earlier passes' too): set-aside and unreadable ones were not read.
    const notRead = (setAsideToo: boolean) =>
      db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM preaudit_sheets WHERE status = 'error' AND error_code ${setAsideToo ? '=' : '!='} '${NEEDS_MAPPING_CODE}'`).get()?.n ?? 0;
    const imagesSetAside = notRead(true);
    const imagesUnreadable = notRead(false);
    this.current = {
      state: this.abort.signal.aborted ? 'running' : 'done',
      imagesSetAside,
      imagesUnreadable,
      imagesDone: progress.done,
      imagesTotal: progress.total,
      ballotsCompared: summary.ballotsCompared,
      disagreements: summary.disagreements,
      updatedAt: new Date().toISOString(),
      ...(progress.errors > 0 || needsMapping.length > 0 || apart !== ''
        ? {
            message: [
              needsMapping.length > 0
                ? `${needsMapping.length === 1 ? '1 ballot style needs' : `${needsMapping.length} ballot styles need`} a person to map them (${needsMapping.map((n) => n.printed).join('; ')}); ${setAside === 1 ? 'its 1 sheet was' : `their ${setAside} sheets were`} not read. See the alerts.`
                : '',
              progress.errors > 0 ? `${progress.errors === 1 ? '1 image' : `${progress.errors} images`} could not be read; see the alerts.` : '',
              apart,
            ]
              .filter((m) => m !== '')
              .join(' '),
          }
        : {}),
    };
    return ok({ ...summary, progress, sheets, layouts: layouts.value });
  }

  start(): void {
    const tick = () => {
      if (this.running !== undefined || this.abort.signal.aborted) return;
      this.running = this.runOnce()
        .catch((e: unknown) => {
          this.current = { ...this.current, state: 'failed', message: e instanceof Error ? e.message : String(e) };
          logEvent(this.options.logger, LogEvent.PreauditFinished, { error: e instanceof Error ? e.message : String(e) }, 'warn');
        })
        .finally(() => {
          this.running = undefined;
        });
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalMs ?? 5000);
  }

  /** Stops handing out sheets; those in flight finish and are stored. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.abort.abort();
    await this.running;
  }
}

/** The option id a person picks for a write-in line; the lines are numbered when the mapping is saved. */
export const WRITE_IN_CHOICE = 'write-in';

/** A person's choice for one target of a style: a contest option, or null when it is not a voting target. */
export interface HandAssignment {
  readonly side: Side;
  readonly column: number;
  readonly row: number;
  readonly choice: { readonly contestId: string; readonly optionId: string } | null;
}

/** What a person needs to map a style by hand, stored with it: the matcher's placements and the sample pages (by catalog file). */
export interface HandMappingData {
  readonly placed: readonly TargetPosition[];
  readonly samples: readonly (StyleSample & { readonly fileVersionId: number | null })[];
}

/** The stored columns of a style waiting for a person (empty where nothing was stored). */
export function handMappingFrom(json: string | null): HandMappingData {
  return json === null ? { placed: [], samples: [] } : (JSON.parse(json) as HandMappingData);
}
export function unresolvedFrom(json: string | null): UnresolvedTarget[] {
  return json === null ? [] : (JSON.parse(json) as UnresolvedTarget[]);
}

function handMappingOf(n: StyleNeedsMapping, sheets: readonly CatalogSheet[]): HandMappingData {
  const byKey = new Map(sheets.map((s) => [s.job.key, s]));
  return {
    placed: n.placed,
    samples: n.samples.map((s) => ({ ...s, fileVersionId: byKey.get(s.sheetKey)?.fileVersionIds[s.file] ?? null })),
  };
}

function describeLayout(l: StyleLayout): string {
  if (l.printedCode !== undefined) return `style ${l.printedCode.styleNumber} card ${l.printedCode.card}`;
  return `bottom-row codes ${l.sideCodes?.front ?? '?'} / ${l.sideCodes?.back ?? '?'}`;
}
