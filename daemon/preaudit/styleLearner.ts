import type { Logger } from '../core/log/logger.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent } from '../core/log/logger.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { type CatalogSheet, fileVersionIdOf } from './catalogSheet.ts';
import { contestsFromImports, type ElectionContests } from './contestDefinitions.ts';
import type { Db } from '../core/db/database.ts';
import type { VendorKeyMap } from './cvrSource.ts';
import { activeBallotTypesByImageKey } from '../importer/store.ts';
import { learnLayouts, type LearnOptions, type LearnProgress, type StyleNeedsMapping } from './learnLayouts.ts';
import { learnLayoutsInChild } from './learnInChild.ts';
import { placeholderStyleId, type StyleLayout } from './layout.ts';
import type { OcrEngine } from './ocr.ts';
import { cachedStyles, forgetSheets, forgetSheetsOfStyle, saveLearnedStyles, sheetKeysWithError, sheetStates } from './store.ts';
import type { CodeGroup } from './damagedCodes.ts';
import type { HandMappingData } from './storedJson.ts';
import { isEssLayout } from './essLearn.ts';

export interface PreauditLayouts {
  readonly layouts: readonly StyleLayout[];
  /** Vendor (CVR) contest/option keys → layout ids. */
  readonly keys: VendorKeyMap;
  readonly source: string;
  /** Learned styles the OCR matcher could not map: their sheets wait for a person. */
  readonly needsMapping?: readonly StyleNeedsMapping[];
}

export interface StyleLearnerOptions {
  readonly db: Db;
  readonly logger: Logger;
  /** Layouts to read with instead of learning them (e.g. from a VotingWorks election.json). */
  readonly layouts?: PreauditLayouts;
  /** An OCR engine to share (tests): learning then runs in this process; otherwise in a child process (learnInChild.ts). */
  readonly ocr?: OcrEngine;
  readonly learn?: Pick<LearnOptions, 'pagesPerStyle' | 'maxSheets'>;
}

/**
 * The pre-audit's ballot styles: learned from the images and the imported contest names (learnLayouts), cached in
 * the pre-audit store per contest definitions, kept loaded between passes. A style the OCR matcher cannot map is
 * kept as a placeholder so its sheets are recognised and set aside for a person.
 */
export class StyleLearner {
  private loaded: PreauditLayouts | undefined;
  private loadedSignature = '';
  /** Sheets of unknown styles already learned from in this run (not tried again). */
  private readonly learnedFrom = new Set<string>();
  private failedLearn: { attempt: string; error: OperatorError } | undefined;
  /** Option id → name from the layouts (filled once they are loaded), for the web UI. */
  readonly optionNames = new Map<string, string>();

  constructor(
    private readonly options: StyleLearnerOptions,
    private readonly signal: AbortSignal,
    /** What learning is doing now, for the pre-audit's status. */
    private readonly report: (message: string) => void,
  ) {}

  /** The next pass loads the layouts again (after a person mapped a style). */
  forget(): void {
    this.loaded = undefined;
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
  async layouts(sheets: readonly CatalogSheet[]): Promise<Result<PreauditLayouts>> {
    if (this.options.layouts !== undefined) return ok(this.loaded ?? this.useLayouts(this.options.layouts));
    const { db } = this.options;
    const defs = contestsFromImports(db);
    if (!defs.ok) return defs;
    const unknown = this.unknownStyleSheets();
    if (this.loaded !== undefined && this.loadedSignature === defs.value.signature && unknown.length === 0) return ok(this.loaded);
    let cached = cachedStyles(db, defs.value.signature);
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
      cached = cachedStyles(db, defs.value.signature);
    } else if (unknown.length > 0) {
      const byKey = new Map(sheets.map((s) => [s.job.key, s]));
      const todo = unknown.map((k) => byKey.get(k)).filter((s): s is CatalogSheet => s !== undefined);
      const learned = await this.learn(todo, defs.value, new Set(cached.map((c) => c.styleId)), knownCodeGroups(db, cached, sheets));
      if (!learned.ok) return learned;
      // Sheets looked at are not learned from again; the others stay candidates for the next round.
      for (const k of learned.value) this.learnedFrom.add(k);
      cached = cachedStyles(db, defs.value.signature);
      // Read them all again with the styles learned.
      forgetSheets(db, unknown);
    }
    this.loadedSignature = defs.value.signature;
    const layouts: StyleLayout[] = [];
    const needsMapping: StyleNeedsMapping[] = [];
    // Sheets a pass running while a person mapped their style set aside after all are read again.
    for (const c of cached) {
      if (c.status === 'mapped') {
        layouts.push(c.layout);
        if (c.mappedBy !== null) forgetSheetsOfStyle(db, placeholderStyleId(c.styleId));
      } else {
        needsMapping.push({
          styleId: c.styleId,
          printed: c.printed,
          pages: c.pages,
          reason: c.reason ?? '',
          unresolved: c.unresolved,
          placed: c.handMapping.placed,
          samples: c.handMapping.samples,
          placeholder: c.layout,
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
  unknownStyleSheets(): string[] {
    return sheetKeysWithError(this.options.db, 'preaudit-style-unresolved').filter((k) => !this.learnedFrom.has(k));
  }

  /** Learns the styles of `sheets` not in `known` and caches them; readings made with a changed layout are dropped. */
  private async learn(
    sheets: readonly CatalogSheet[],
    defs: ElectionContests,
    known: ReadonlySet<string> | undefined,
    knownCodes: readonly CodeGroup[] = [],
  ): Promise<Result<readonly string[]>> {
    const { db, logger } = this.options;
    logEvent(logger, LogEvent.PreauditStylesLearning, { sheets: sheets.length, contests: defs.contests.length, sources: defs.sources });
    this.report('Learning the ballot styles from the images…');
    // The CVRs' ballot types: a one-sheet code far from the others on a type already learned is damage, not a style.
    const typeOfSheet = ballotTypesOfSheets(db, sheets);
    const jobs = sheets.map((s) => s.job);
    const learnOptions = {
      ...this.options.learn,
      signal: this.signal,
      knownCodes,
      ...(known === undefined ? {} : { knownStyleIds: known }),
      onProgress: (p: LearnProgress) => {
        this.report(p.phase === 'sample' ? `Learning the ballot styles: looked at ${p.done} of ${p.total} sample sheets…` : `Reading the printed names of ballot style ${p.done} of ${p.total}…`);
        if (p.done === p.total || p.done % 25 === 0) logEvent(logger, LogEvent.PreauditProgress, { phase: `learn-${p.phase}`, done: p.done, total: p.total });
      },
    };
    // With a shared OCR engine (tests) learning runs here; otherwise in a child process that gives its memory back when it ends.
    const shared = this.options.ocr;
    const learned =
      shared !== undefined
        ? ok(await learnLayouts(jobs, defs.contests, shared, { ...learnOptions, ballotTypeOf: (key) => typeOfSheet.get(key) }))
        : await learnLayoutsInChild(jobs, defs.contests, { ...learnOptions, logger, ballotTypes: typeOfSheet });
    if (this.signal.aborted) return err(operatorError('preaudit-stopped', 'The pre-audit was stopped while learning the ballot styles.'));
    if (!learned.ok) return learned;
    const result = learned.value;
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
    const styles = fresh.map((f) => {
      const ms = result.styles.find((s) => s.styleId === f.styleId)?.ocrMs;
      const handMapping = 'handMapping' in f ? f.handMapping : null;
      return { ...f, ocrMs: ms === undefined ? null : (ms.front ?? 0) + (ms.back ?? 0), handMapping };
    });
    saveLearnedStyles(db, defs.signature, styles, placeholderStyleId, new Date().toISOString());
    logEvent(logger, LogEvent.PreauditStylesLearned, {
      sheetsSampled: result.sheetsSampled,
      sheetsUnusable: result.sheetsUnusable,
      mapped: result.layouts.map((l) => l.styleId),
      needsPerson: result.needsMapping.map((n) => ({ style: n.styleId, reason: n.reason })),
      registerMs: result.registerMs,
      ocrMs: result.ocrMs,
      ocrMsPerStyle: Object.fromEntries(result.styles.map((s) => [s.styleId, s.ocrMs])),
    });
    for (const d of result.notLearned) {
      logEvent(logger, LogEvent.PreauditStyleCodeDamaged, { sheet: d.sheetKey, code: d.styleId, ballotType: d.ballotType, typeStyle: d.typeStyle, nearestMarks: d.nearestMarks }, 'warn');
    }
    for (const n of result.needsMapping) {
      if (known?.has(n.styleId) === true) continue;
      logEvent(logger, LogEvent.PreauditStyleUnresolved, { style: n.styleId, printed: n.printed, reason: n.reason, unresolved: n.unresolved.length }, 'warn');
    }
    return ok(result.sampledKeys);
  }
}

/** Sheet key → the ballot type its CVR names. */
function ballotTypesOfSheets(db: Db, sheets: readonly CatalogSheet[]): Map<string, string> {
  const types = activeBallotTypesByImageKey(db);
  return new Map(
    sheets.flatMap((s) => {
      const t = s.imageKey === null ? undefined : types.get(s.imageKey);
      return t === undefined ? [] : [[s.job.key, t.ballotType] as const];
    }),
  );
}

/** The bottom-row codes of the styles learned before, with the sheets read as them from their printed code. */
function knownCodeGroups(db: Db, cached: readonly { styleId: string; status: string; layout: StyleLayout }[], sheets: readonly CatalogSheet[]): CodeGroup[] {
  const types = ballotTypesOfSheets(db, sheets);
  const read = new Map<string, { sheetKey: string; ballotType: string | undefined }[]>();
  for (const r of sheetStates(db)) {
    if (r.status !== 'read' || r.style_from !== 'printed-code' || r.style_id === null) continue;
    read.set(r.style_id, [...(read.get(r.style_id) ?? []), { sheetKey: r.sheet_key, ballotType: types.get(r.sheet_key) }]);
  }
  return cached.flatMap((c) => {
    const codes = c.layout.sideCodes;
    if (c.status !== 'mapped' || codes === undefined) return [];
    return [{ styleId: c.styleId, codes: [codes.front ?? '', codes.back ?? ''], sheets: read.get(c.styleId) ?? [] }];
  });
}

function handMappingOf(n: StyleNeedsMapping, sheets: readonly CatalogSheet[]): HandMappingData {
  const byKey = new Map(sheets.map((s) => [s.job.key, s]));
  return {
    placed: n.placed,
    samples: n.samples.map((s) => {
      const sheet = byKey.get(s.sheetKey);
      return { ...s, fileVersionId: sheet === undefined ? null : (fileVersionIdOf(sheet.fileVersionIds, sheet.job.files, s.file) ?? null) };
    }),
  };
}

/** A learned style's name for people; an ES&S style's as its learner words it ("ES&S ballot, 70 ovals"). */
export function describeLayout(l: StyleLayout): string {
  if (isEssLayout(l)) return `ES&S ballot, ${l.targets.length} ovals`;
  if (l.printedCode !== undefined) return `style ${l.printedCode.styleNumber} card ${l.printedCode.card}`;
  return `bottom-row codes ${l.sideCodes?.front ?? '?'} / ${l.sideCodes?.back ?? '?'}`;
}
