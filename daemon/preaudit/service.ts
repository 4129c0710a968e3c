/**
 * PreauditService: follows the catalog, reads new ballot images on the worker pool (runPreaudit),
 * and compares every read sheet with the importer's CVRs (compareSheets.ts), storing per
 * ballot/contest verdicts through the pre-audit store. Resumable: sheets already read are skipped
 * (runPreaudit), comparison rows are upserted so their ids stay stable. The ballot layouts are
 * learned from the images and the imported contest names (styleLearner.ts); a style the OCR
 * matcher cannot map is set aside for a person (handMapping.ts), its sheets reported as not read.
 */
import { CatalogStore } from '../capture/catalogStore.ts';
import { coalescingRun, type ChangeFeed } from '../capture/changeFeed.ts';
import type { Db } from '../core/db/database.ts';
import { activeImportsSignature } from '../importer/store.ts';
import { LogEvent } from '../core/log/events.ts';
import { forwardedCode } from '../core/state/alertCodes.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { ok, type Result } from '../core/result.ts';
import { isEssLayout } from './essLearn.ts';
import { AlertLog, alertEverRaised } from '../core/state/alerts.ts';
import { catalogSheets, type CatalogSheet } from './catalogSheet.ts';
import { compareSheets, loadCvrRecords, type CompareSummary } from './compareSheets.ts';
import { cvrSourceFromRecords } from './cvrSource.ts';
import { type HandAssignment, type HandMapped, mapStyleByHand, NEEDS_MAPPING_CODE } from './handMapping.ts';
import type { LearnOptions, StyleNeedsMapping } from './learnLayouts.ts';
import type { OcrEngine } from './ocr.ts';
import { runPreaudit, type PoolProgress } from './pool.ts';
import { SET_APART_CODES, setApartSummary } from './setApart.ts';
import {
  countDisagreements,
  countSheetErrors,
  countSheetErrorsSince,
  countSheetsOfStyle,
  setSheetsAside,
  sheetErrorCounts,
  sheetErrorsSince,
  sheetsSignature,
  storedSheetKeys,
} from './store.ts';
import { type PreauditLayouts, StyleLearner } from './styleLearner.ts';
import { settleStylesWithCvr } from './styleFromCvr.ts';
import { BallotStyleName, waitingStylesLine } from './styleWords.ts';
import { zipExportSheets } from './zipSheets.ts';

// The pieces split out of this file keep their old import path.
export type { CatalogSheet } from './catalogSheet.ts';
export { catalogSheets } from './catalogSheet.ts';
export { compareSheets, loadCvrRecords, type CompareSummary } from './compareSheets.ts';
export { handMappingFrom, type HandAssignment, type HandMappingData, NEEDS_MAPPING_CODE, unresolvedFrom, WRITE_IN_CHOICE } from './handMapping.ts';
export type { PreauditLayouts } from './styleLearner.ts';


const FAILED_PASS_RETRY_MS = 60_000;
/** Sheets not read on purpose (waiting for a person, BMD cards, a design not read yet): not "unreadable images". */
const NOT_UNREADABLE: readonly string[] = [NEEDS_MAPPING_CODE, ...SET_APART_CODES];

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
  readonly workers?: number;
}

export interface PassResult extends CompareSummary {
  readonly progress: PoolProgress;
  readonly sheets: readonly CatalogSheet[];
  readonly layouts: PreauditLayouts;
}

export class PreauditService {
  private unsubscribe: (() => void) | undefined;
  /** Asks for one more pass (after a mapping by hand); set by start. */
  private wake: (() => void) | undefined;
  private running: Promise<unknown> | undefined;
  /** A failed pass (not a wait for data) is tried again after a while even if nothing changes: no clerk can restart it. */
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly abort = new AbortController();
  private lastSignature = '';
  private readonly styles: StyleLearner;
  private current: PreauditServiceStatus = { state: 'not-started', imagesDone: 0, imagesTotal: 0, ballotsCompared: 0, disagreements: 0, updatedAt: null };

  private readonly alerts: AlertLog;
  /** Disagreements already alerted (from the stored results, so a restart does not alert again). */
  private alerted: number;

  constructor(private readonly options: PreauditServiceOptions) {
    this.alerts = new AlertLog(options.db, options.logger);
    this.alerted = countDisagreements(options.db);
    this.styles = new StyleLearner(options, this.abort.signal, (message) => {
      this.current = { ...this.current, state: 'running', message, updatedAt: new Date().toISOString() };
    });
  }

  /** Option id → name from the layouts (filled once they are loaded), for the web UI. */
  get optionNames(): ReadonlyMap<string, string> {
    return this.styles.optionNames;
  }

  /**
   * Sheets this pass could not read (bomb, corrupt file, no timing marks): one open alert per error
   * code that counts them and names the latest, not one per sheet (thousands would bury the rest).
   */
  private alertUnreadable(sheets: readonly CatalogSheet[], since: string): void {
    const byKey = new Map(sheets.map((s) => [s.job.key, s]));
    const rows = sheetErrorsSince(this.options.db, since, NOT_UNREADABLE);
    const catalog = new CatalogStore(this.options.db);
    const name = (id: number): string | undefined => {
      const v = catalog.getVersion(id);
      return v === undefined ? undefined : `${v.rootLabel}:${v.relPath}`;
    };
    const byCode = new Map<string, { reason: string; files: string[] }>();
    for (const r of rows) {
      const first = byKey.get(r.sheet_key)?.fileVersionIds[0];
      const file = (first === undefined ? undefined : name(first)) ?? r.sheet_key;
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

  /**
   * Sheets read with a placeholder (their style waits for a person) become 'not read', with one
   * alert per style (not repeated after a restart).
   */
  private setAsideUnmapped(needsMapping: readonly StyleNeedsMapping[]): number {
    const { db } = this.options;
    let total = 0;
    for (const n of needsMapping) {
      const message = `${BallotStyleName(n.printed)} was not read: the names printed beside its targets could not all be matched to the election's contests (${n.reason}).`;
      setSheetsAside(db, n.placeholder.styleId, NEEDS_MAPPING_CODE, message);
      const sheets = countSheetsOfStyle(db, n.placeholder.styleId);
      total += sheets;
      if (!alertEverRaised(db, NEEDS_MAPPING_CODE, n.styleId)) {
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

  /** A person's mapping of a style waiting for one (handMapping.ts); its alert is acknowledged by that person. */
  mapStyleByHand(styleId: string, assignments: readonly HandAssignment[], actor: string): Result<HandMapped> {
    const mapped = mapStyleByHand(this.options.db, styleId, assignments, actor);
    if (!mapped.ok) return mapped;
    // The next pass loads the layouts again (a pass running now sets its sheets aside; the next one reads them).
    this.styles.forget();
    this.wake?.();
    for (const a of this.alerts.open()) if (a.code === NEEDS_MAPPING_CODE && a.subject === styleId) this.alerts.acknowledge(a.id, actor);
    logEvent(this.options.logger, LogEvent.PreauditStyleMappedByHand, { style: styleId, by: actor, targets: mapped.value.targets, sheetsToRead: mapped.value.sheetsToRead });
    return mapped;
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
    // ES&S export sheets are learned from as well (essLearn.ts); when none of their styles can be
    // learned and nothing else is captured, the readers run with no layouts and set them apart in words.
    const essOnly = sheets.length > 0 && sheets.every((s) => s.essExport === true);
    for (let round = 0; ; round++) {
      layouts = await this.styles.layouts(sheets);
      if (!layouts.ok && essOnly && layouts.error.code === 'preaudit-no-styles') {
        layouts = ok({ layouts: [], keys: { contests: new Map(), options: new Map() }, source: 'ES&S export sheets only: no ES&S ballot style could be learned from them' });
      }
      if (!layouts.ok) {
        // Waiting for election data or images is not a failure.
        const waiting = layouts.error.code === 'preaudit-no-contests' || layouts.error.code === 'preaudit-no-images';
        this.current = { ...this.current, state: waiting ? 'not-started' : 'failed', message: layouts.error.message, updatedAt: new Date().toISOString() };
        return layouts;
      }
      this.current = { ...this.current, state: 'running', imagesTotal: jobs.length, updatedAt: new Date().toISOString() };
      const doneKeys = storedSheetKeys(db);
      progress = { done: jobs.length, total: jobs.length, skipped: jobs.length, errors: 0 };
      if (jobs.some((j) => !doneKeys.has(j.key))) {
        progress = await runPreaudit(db, jobs, layouts.value.layouts, logger, {
          ...(this.options.workers === undefined ? {} : { workers: this.options.workers }),
          signal: this.abort.signal,
          essStylesKnown: this.options.layouts !== undefined || layouts.value.layouts.some(isEssLayout),
          onProgress: (p) => {
            this.current = { ...this.current, imagesDone: p.done, imagesTotal: p.total, updatedAt: new Date().toISOString() };
          },
        });
      }
      // A sheet whose printed code was not read takes the style its CVR's ballot type is printed as,
      // before new styles are learned from it; a sheet printed as another style than its type is set aside.
      const keys = layouts.value.keys;
      const fromCvr = settleStylesWithCvr(db, sheets, layouts.value.layouts, logger, (k) => keys.contests.get(k) ?? k);
      if (fromCvr.readAgain.length > 0) {
        await runPreaudit(db, fromCvr.readAgain, layouts.value.layouts, logger, {
          ...(this.options.workers === undefined ? {} : { workers: this.options.workers }),
          signal: this.abort.signal,
          essStylesKnown: this.options.layouts !== undefined || layouts.value.layouts.some(isEssLayout),
        });
      }
      if (round >= 3 || this.options.layouts !== undefined || this.abort.signal.aborted || this.styles.unknownStyleSheets().length === 0) break;
    }
    // Errors of the whole pass (a sheet read again in the second round counts once, as it ended).
    const errors = countSheetErrorsSince(db, passStart, NOT_UNREADABLE);
    progress = { ...progress, errors };
    const needsMapping = layouts.value.needsMapping ?? [];
    const apart = setApartSummary(sheetErrorCounts(db, SET_APART_CODES));
    const setAside = needsMapping.length > 0 ? this.setAsideUnmapped(needsMapping) : 0;
    if (progress.errors > 0) this.alertUnreadable(sheets, passStart);
    const sig = `${jobs.length}|${sheetsSignature(db)}|${activeImportsSignature(db)}`;
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
    const imagesSetAside = countSheetErrors(db, NEEDS_MAPPING_CODE, 'is');
    const imagesUnreadable = countSheetErrors(db, NEEDS_MAPPING_CODE, 'isNot');
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
                ? waitingStylesLine(needsMapping.map((n) => n.printed), setAside)
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

  /**
   * One pass now, then one each time the catalog's files or the active CVR imports change (the daemon's one
   * change feed, whose `imports` mark the composition root adds), and after a style is mapped by hand.
   */
  start(changes: ChangeFeed): void {
    if (this.unsubscribe !== undefined) return;
    const runner = coalescingRun(async () => {
      if (this.abort.signal.aborted) return;
      let failed = false;
      this.running = this.runOnce().then((r) => {
        failed = !r.ok && this.current.state === 'failed'; // waiting for data is not a failure
      }, (e: unknown) => {
        failed = true;
        this.current = { ...this.current, state: 'failed', message: e instanceof Error ? e.message : String(e) };
        logEvent(this.options.logger, LogEvent.PreauditFinished, { error: e instanceof Error ? e.message : String(e) }, 'warn');
      });
      await this.running;
      this.running = undefined;
      clearTimeout(this.retryTimer);
      if (failed && !this.abort.signal.aborted) this.retryTimer = setTimeout(runner.wake, FAILED_PASS_RETRY_MS).unref();
    });
    this.wake = runner.wake;
    this.unsubscribe = changes.subscribe((now, before) => {
      if (now.catalog !== before.catalog || now.others['imports'] !== before.others['imports']) runner.wake();
    });
    runner.wake();
  }

  /** Stops handing out sheets; those in flight finish and are stored. */
  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.retryTimer);
    this.abort.abort();
    await this.running;
  }
}
