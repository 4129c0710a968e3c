/**
 * Learns the ballot styles from the images themselves and the election's contest names, without
 * vendor style files: pages are grouped by the code printed along their bottom (StyleLearner),
 * each style side's targets are learned from several pages, and the text beside the targets of
 * one representative page per style side is read once (OCR) and matched to the contest and
 * option names. A style the matcher cannot place completely is returned for a person to map,
 * never guessed.
 */
import { decodeBallotImage, type GrayImage } from './image.ts';
import { registerPages } from './interpret.ts';
import { type ContestDefinition, layoutFromTargets, placeholderStyleId, type Side, type StyleLayout, type TargetPosition } from './layout.ts';
import { mapTargetsByText, type OcrEngine, type StyleMapping, type UnresolvedTarget } from './ocr.ts';
import { StyleLearner, type PageCode } from './styles.ts';
import { blankReferenceFromPages } from './styleBlankPages.ts';
import { ACCUVOTE_OVAL, type GridLocation, type TargetShape } from './targets.ts';
import { DOMINION_OVAL } from './dropoutOvals.ts';
import { learnEssStyles, type EssSheet } from './essLearn.ts';
import type { TimingMarkGrid } from './timingMarks.ts';
import { checkMapping, sampleOf, type LearnedStyleReport, type StyleNeedsMapping, type StyleSample } from './learnedStyle.ts';

export { checkMapping, type LearnedStyleReport, type StyleNeedsMapping, type StyleSample };
import { damagedCodeGroups, type CodeGroup, type DamagedCodeGroup } from './damagedCodes.ts';

export interface LearnSheet {
  readonly key: string;
  readonly files: readonly string[];
}




export interface LearnResult {
  readonly layouts: StyleLayout[];
  readonly needsMapping: StyleNeedsMapping[];
  readonly styles: LearnedStyleReport[];
  readonly sheetsSampled: number;
  /** Keys of the sheets looked at (a sample of those given). */
  readonly sampledKeys: readonly string[];
  /** Sheets with no registrable page (not sampled). */
  readonly sheetsUnusable: number;
  /** One-sheet groups taken for a damaged code of a learned style (damagedCodes.ts): no style learned from them. */
  readonly notLearned: readonly DamagedCodeGroup[];
  readonly registerMs: number;
  readonly ocrMs: number;
}

export interface LearnProgress {
  readonly phase: 'sample' | 'ocr';
  readonly done: number;
  readonly total: number;
}

export interface LearnOptions {
  /** Pages per style side to learn its targets from (voters' marks hide some targets on each). */
  readonly pagesPerStyle?: number;
  /** At most this many sheets are decoded, spread over the list. */
  readonly maxSheets?: number;
  readonly onProgress?: (p: LearnProgress) => void;
  readonly signal?: AbortSignal;
  /** The ballot type the sheet's CVR names, if any: a one-sheet code of a type already learned is taken for damage. */
  readonly ballotTypeOf?: (sheetKey: string) => string | undefined;
  /** Ids of styles learned before: an ES&S style found again is not read (OCR) again. */
  readonly knownStyleIds?: ReadonlySet<string>;
  /** Styles learned before (their codes and the sheets read as them): compared with, never learned again. */
  readonly knownCodes?: readonly CodeGroup[];
}

interface StyleSide {
  readonly learnerKey: string;
  /** The two pages with the most blank targets: OCR reads the first, the second if the first leaves targets unplaced. */
  best: { image: GrayImage; grid: TimingMarkGrid; blanks: number; origin: { sheetKey: string; file: number; page: number } }[];
}

interface StyleAcc {
  readonly styleId: string;
  readonly printed: string;
  readonly printedCode?: { styleNumber: number; card: number };
  readonly bottomRows: Partial<Record<Side, string>>;
  readonly sides: Partial<Record<Side, StyleSide>>;
  /** The printed target's size: AccuVote's oval, or Dominion's smaller dropout-ink one. */
  readonly shape: TargetShape;
  /** Dominion numbers write-in lines top-down, AccuVote bottom-up. */
  readonly dropout: boolean;
  sheets: number;
  readonly sheetKeys: string[];
}

/** Every k-th sheet, so a sample covers all precincts and batches. */
function spread<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max) return [...items];
  const step = items.length / max;
  return Array.from({ length: max }, (_, i) => items[Math.floor(i * step)]!);
}

function describeCode(code: PageCode): string {
  return code.decoded !== undefined ? `style ${code.decoded.styleNumber} card ${code.decoded.card}` : `bottom-row code ${code.bottomRow}`;
}

/**
 * Learns a layout for every style among `sheets` (a sample of up to `maxSheets`). `contests` are
 * the election's contests with their printed names; their ids become the layouts' ids.
 */
export async function learnLayouts(
  sheets: readonly LearnSheet[],
  contests: readonly ContestDefinition[],
  ocr: OcrEngine,
  options: LearnOptions = {},
): Promise<LearnResult> {
  const pagesPerStyle = options.pagesPerStyle ?? 12;
  const learner = new StyleLearner(ACCUVOTE_OVAL);
  const styles = new Map<string, StyleAcc>();
  const sample = spread(sheets, options.maxSheets ?? 400);
  let sampled = 0;
  let unusable = 0;
  const essSheets: EssSheet[] = [];
  const t0 = performance.now();
  for (const sheet of sample) {
    if (options.signal?.aborted === true) break;
    const images: GrayImage[] = [];
    // Where each page came from (file of the sheet, page in that file), for a person mapping by hand.
    const origins: { file: number; page: number }[] = [];
    for (const [file, f] of sheet.files.entries()) {
      const decoded = await decodeBallotImage(f);
      if (!decoded.ok) continue;
      images.push(...decoded.value);
      for (const p of decoded.value) origins.push({ file, page: p.page });
    }
    const registered = images.length === 0 ? undefined : registerPages(images);
    sampled++;
    options.onProgress?.({ phase: 'sample', done: sampled, total: sample.length });
    if (registered === undefined || !registered.ok) {
      unusable++;
      continue;
    }
    const pages = registered.value.pages;
    // ES&S prints no style code: its sheets are grouped by their printed ovals (essLearn.ts).
    if (pages.every((p) => p.grid.design === 'ess-dashed')) {
      essSheets.push({ key: sheet.key, pages: pages.map((p, i) => ({ image: p.image, grid: p.grid, origin: { sheetKey: sheet.key, ...(origins[registered.value.index[i]!] ?? { file: 0, page: 0 }) } })) });
      continue;
    }
    const decoded = pages.map((p) => p.code.decoded).find((d) => d !== undefined);
    // The sample-election family prints style, card and side; AccuVote prints a code per side,
    // so a style is the pair of codes of a sheet's pages in scan order (front first).
    const dropout = pages.some((p) => p.grid.design === 'bars-and-squares');
    const styleId =
      decoded !== undefined
        ? `style-${decoded.styleNumber}/card-${decoded.card}`
        : `${dropout ? 'dominion' : 'accuvote'}-${pages.map((p) => p.code.bottomRow).join('-')}`;
    let acc = styles.get(styleId);
    if (acc === undefined) {
      acc = {
        styleId,
        printed: decoded !== undefined ? describeCode(pages.find((p) => p.code.decoded !== undefined)!.code) : pages.map((p) => describeCode(p.code)).join(' / '),
        ...(decoded !== undefined ? { printedCode: { styleNumber: decoded.styleNumber, card: decoded.card } } : {}),
        bottomRows: {},
        sides: {},
        shape: dropout ? DOMINION_OVAL : ACCUVOTE_OVAL,
        dropout,
        sheets: 0,
        sheetKeys: [],
      };
      styles.set(styleId, acc);
    }
    acc.sheets++;
    acc.sheetKeys.push(sheet.key);
    pages.forEach((page, i) => {
      const side: Side | undefined = decoded !== undefined ? page.code.decoded?.side : i === 0 ? 'front' : i === 1 ? 'back' : undefined;
      if (side === undefined) return;
      acc.bottomRows[side] ??= page.code.bottomRow;
      const s = (acc.sides[side] ??= { learnerKey: `${styleId}#${side}`, best: [] });
      if (learner.pagesOf(s.learnerKey) >= pagesPerStyle) return;
      const blanks = learner.addPageAs(s.learnerKey, page.code, page.image, page.grid).length;
      const origin = { sheetKey: sheet.key, ...(origins[registered.value.index[i]!] ?? { file: 0, page: 0 }) };
      s.best = [...s.best, { image: page.image, grid: page.grid, blanks, origin }].sort((a, b) => b.blanks - a.blanks).slice(0, 2);
    });
  }
  const registerMs = performance.now() - t0;
  // In a family that prints a checked style code, a sheet whose codes all failed the check is a
  // damaged print or scan, not a style of its own: it is reported when it is read.
  if ([...styles.values()].some((s) => s.printedCode !== undefined)) {
    for (const [id, s] of styles) if (s.printedCode === undefined) styles.delete(id);
  }
  // In a family that prints an unchecked code, a one-sheet code far from every other, on a sheet
  // whose CVR's type is already printed as a learned style, is damage: left to the CVR step.
  const typeOf = options.ballotTypeOf;
  const notLearned =
    typeOf === undefined
      ? []
      : damagedCodeGroups(
          [...styles.values()]
            .filter((s) => s.printedCode === undefined)
            .map((s): CodeGroup => ({ styleId: s.styleId, codes: (['front', 'back'] as const).map((side) => s.bottomRows[side] ?? ''), sheets: s.sheetKeys.map((k) => ({ sheetKey: k, ballotType: typeOf(k) })) }))
            .concat((options.knownCodes ?? []).filter((k) => !styles.has(k.styleId))),
        ).filter((d) => styles.has(d.styleId));
  for (const d of notLearned) styles.delete(d.styleId);

  const learned = new Map(learner.learned().map((l) => [l.key, l]));
  const layouts: StyleLayout[] = [];
  const needsMapping: StyleNeedsMapping[] = [];
  const reports: LearnedStyleReport[] = [];
  const t1 = performance.now();
  const order = [...styles.values()].sort((a, b) => a.styleId.localeCompare(b.styleId, 'en', { numeric: true }));
  let ocrDone = 0;
  for (const acc of order) {
    if (options.signal?.aborted === true) break;
    const codes = {
      ...(acc.printedCode !== undefined ? { printedCode: acc.printedCode } : { sideCodes: acc.bottomRows }),
    };
    const targets: TargetPosition[] = [];
    const unresolved: UnresolvedTarget[] = [];
    const samples: StyleSample[] = [];
    let mappingConfidence = 1;
    const ocrMs: Partial<Record<Side, number>> = {};
    for (const side of ['front', 'back'] as const) {
      const s = acc.sides[side];
      const locations: readonly GridLocation[] = s === undefined ? [] : (learned.get(s.learnerKey)?.targets ?? []);
      if (s === undefined || s.best.length === 0 || locations.length === 0) continue;
      const t = performance.now();
      let mapping: StyleMapping | undefined;
      let read: StyleSide['best'][number] | undefined;
      // A second page only when the first left targets unplaced (a voter's scribble, a speck on the print).
      for (const page of s.best) {
        const m = await mapTargetsByText(ocr, page.image, page.grid, side, locations, contests, {
          writeInOrder: acc.printedCode !== undefined || acc.dropout ? 'top-down' : 'bottom-up',
          // Dominion prints option names left of the oval, as far as the column to the left (Yes/No at the far left).
          ...(acc.dropout ? { textFromPreviousColumn: true } : {}),
        });
        if (mapping === undefined || m.unresolved.length < mapping.unresolved.length) {
          mapping = m;
          read = page;
        }
        if (mapping.unresolved.length === 0) break;
      }
      if (mapping === undefined || read === undefined) continue;
      samples.push(sampleOf(side, read, locations, acc.shape));
      ocrMs[side] = Math.round(performance.now() - t);
      targets.push(...mapping.targets);
      unresolved.push(...mapping.unresolved);
      mappingConfidence = Math.min(mappingConfidence, mapping.confidence);
    }
    ocrDone++;
    options.onProgress?.({ phase: 'ocr', done: ocrDone, total: order.length });
    reports.push({ styleId: acc.styleId, pages: acc.sheets, targets: targets.length + unresolved.length, ocrMs });
    const placeholder: StyleLayout = { styleId: placeholderStyleId(acc.styleId), targets: [], contests: [], targetShape: acc.shape, ...codes, mappingConfidence };
    const problem = checkMapping(targets, unresolved, contests);
    if (problem !== undefined) {
      needsMapping.push({ styleId: acc.styleId, printed: acc.printed, pages: acc.sheets, reason: problem, unresolved, placed: targets, samples, placeholder });
      continue;
    }
    // The style's empty-oval level, from the pages kept for OCR (those with the most blank targets).
    const pages = (['front', 'back'] as const).flatMap((side) => (acc.sides[side]?.best ?? []).map((b) => ({ ...b, side })));
    const blankReference = blankReferenceFromPages(pages, targets, acc.shape);
    layouts.push({ ...layoutFromTargets(acc.styleId, targets, contests, { targetShape: acc.shape, ...codes }), mappingConfidence, ...(blankReference === undefined ? {} : { blankReference }) });
  }
  if (essSheets.length > 0 && options.signal?.aborted !== true) {
    const ess = await learnEssStyles(essSheets, contests, ocr, { ...(options.signal === undefined ? {} : { signal: options.signal }), ...(options.knownStyleIds === undefined ? {} : { known: options.knownStyleIds }), onStyle: (done, total) => options.onProgress?.({ phase: 'ocr', done, total }) });
    layouts.push(...ess.layouts);
    needsMapping.push(...ess.needsMapping);
    reports.push(...ess.styles);
  }
  return { layouts, needsMapping, styles: reports, sheetsSampled: sampled, sampledKeys: sample.slice(0, sampled).map((s) => s.key), sheetsUnusable: unusable, notLearned, registerMs: Math.round(registerMs), ocrMs: Math.round(performance.now() - t1) };
}


