/**
 * Learns the ES&S ballot styles of an export from its hand-marked sheets, without style files or a
 * person. The design prints no code a reader can decode, so sheets are grouped by where their
 * ovals are printed (an oval's printed outline shows whether or not a voter marked it): the places
 * any sheet shows a target are probed on every sheet, and sheets printing the same places (a
 * place or two of difference: a blot, a torn corner) are one style. Each style's targets are the
 * places printed on most of its sheets; the text beside them is read once (essMapping.ts) and
 * matched to the election's contests. A style not mapped completely goes to a person, never guessed.
 * No db, logger or files: registered pages in, layouts out.
 */
import { createHash } from 'node:crypto';
import type { GrayImage } from './image.ts';
import { type ContestDefinition, layoutFromTargets, placeholderStyleId, type Side, type StyleLayout, type TargetPosition } from './layout.ts';
import { checkMapping, sampleOf, type LearnedStyleReport, type SamplePage, type StyleNeedsMapping, type StyleSample } from './learnedStyle.ts';
import { mapEssTargetsByText } from './essMapping.ts';
import { printedOval } from './essStyle.ts';
import type { OcrEngine, StyleMapping, UnresolvedTarget } from './ocr.ts';
import { blankReferenceFromPages } from './styleBlankPages.ts';
import { findTargets } from './styles.ts';
import { scoreTargets, type GridLocation, type TargetShape } from './targets.ts';
import type { TimingMarkGrid } from './timingMarks.ts';

/** The ES&S oval (0.19 × 0.125 in) in pitches of the dashed border (a dash every 0.12 in across, 0.096 in down). */
export const ESS_OVAL: TargetShape = { width: 1.59, height: 1.04 };
/** ES&S layouts are named so: the reader and the service tell them from other designs' by it. */
export const ESS_STYLE_PREFIX = 'ess-';
/** An ES&S style learned from the images, or its placeholder while it waits for a person. */
export function isEssLayout(l: Pick<StyleLayout, 'styleId'>): boolean {
  return l.styleId.startsWith(ESS_STYLE_PREFIX) || l.styleId.startsWith(placeholderStyleId(ESS_STYLE_PREFIX));
}
/** Places two sheets of one style may differ by (a blot hides an oval, a stray mark looks like one). */
const SAME_STYLE_DIFFERENCE = 1;
/** Share of a style's sheets that must print a place for it to be one of the style's targets. */
const TARGET_SHARE = 0.5;
/**
 * Pages per style side kept for OCR: the ones with the most empty ovals (a voter's mark can hide a
 * name). The next is read only while targets stay unplaced: a one-digit title ("Article 9" or "8")
 * read two ways on two pages was read one way on the third.
 */
const OCR_PAGES = 4;

export type EssPage = SamplePage;

/** One hand-marked ES&S sheet: its registered pages in scan order (one or two). */
export interface EssSheet {
  readonly key: string;
  readonly pages: readonly EssPage[];
}

export interface EssLearnResult {
  readonly layouts: StyleLayout[];
  readonly needsMapping: StyleNeedsMapping[];
  readonly styles: LearnedStyleReport[];
}

interface Group {
  /** Printed places per side (front: the first sheet's first page) and how many sheets printed each. */
  readonly counts: Record<Side, Map<string, number>>;
  readonly pages: Record<Side, { page: EssPage; blanks: number }[]>;
  readonly sheetKeys: string[];
}

const placeKey = (l: GridLocation) => `${l.column},${l.row}`;
const placeOf = (k: string): GridLocation => {
  const [column, row] = k.split(',').map(Number) as [number, number];
  return { column, row };
};

function difference(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  let d = 0;
  for (const k of a) if (!b.has(k)) d++;
  for (const k of b) if (!a.has(k)) d++;
  return d;
}

/** The places of a group printed on most of its sheets, per side. */
function groupPlaces(g: Group): Record<Side, Set<string>> {
  const n = g.sheetKeys.length;
  const keep = (m: Map<string, number>) => new Set([...m].filter(([, c]) => c >= Math.max(1, TARGET_SHARE * n)).map(([k]) => k));
  return { front: keep(g.counts.front), back: keep(g.counts.back) };
}

/** Groups sheets by the places their ovals are printed. */
export function groupEssSheets(sheets: readonly EssSheet[], shape: TargetShape = ESS_OVAL): Group[] {
  // Every place any page shows an oval (empty or filled in), probed on every page after.
  const candidates = new Set<string>();
  const found = sheets.map((s) => s.pages.map((p) => findTargets(p.image, p.grid, shape)));
  for (const pages of found) for (const page of pages) for (const t of page) candidates.add(placeKey(t));
  const places = [...candidates].map(placeOf);
  const groups: Group[] = [];
  sheets.forEach((sheet, i) => {
    if (sheet.pages.length === 0 || sheet.pages.length > 2) return;
    const printed = sheet.pages.map((p) => new Set(scoreTargets(p.image, p.grid, places, shape).flatMap((s, k) => (printedOval(s) ? [placeKey(places[k]!)] : []))));
    const empty = new Set<string>();
    const a = printed[0] ?? empty;
    const b = printed[1] ?? empty;
    let best: { g: Group; swapped: boolean; d: number } | undefined;
    for (const g of groups) {
      const gp = groupPlaces(g);
      for (const swapped of [false, true]) {
        const d = difference(swapped ? b : a, gp.front) + difference(swapped ? a : b, gp.back);
        if (d <= SAME_STYLE_DIFFERENCE && (best === undefined || d < best.d)) best = { g, swapped, d };
      }
    }
    const g: Group = best?.g ?? { counts: { front: new Map(), back: new Map() }, pages: { front: [], back: [] }, sheetKeys: [] };
    if (best === undefined) groups.push(g);
    g.sheetKeys.push(sheet.key);
    const sides: Side[] = best?.swapped === true ? ['back', 'front'] : ['front', 'back'];
    sheet.pages.forEach((page, p) => {
      const side = sides[p]!;
      for (const k of printed[p]!) g.counts[side].set(k, (g.counts[side].get(k) ?? 0) + 1);
      const blanks = found[i]![p]!.filter((t) => t.blank).length;
      g.pages[side] = [...g.pages[side], { page, blanks }].sort((x, y) => y.blanks - x.blanks).slice(0, OCR_PAGES);
    });
  });
  return groups;
}

/** A style's id from the places of its targets: the same style learned again gets the same id. */
function styleIdOf(places: Record<Side, Set<string>>): string {
  const text = (['front', 'back'] as const).map((s) => `${s}:${[...places[s]].sort().join(' ')}`).join('|');
  return `${ESS_STYLE_PREFIX}${createHash('sha256').update(text).digest('hex').slice(0, 10)}`;
}

/**
 * The style number ES&S prints top right ("Ballot Style 012"), for the operator; undefined when
 * OCR does not read one. Only words for a person: sheets are told apart by their ovals.
 */
async function printedStyleNumber(ocr: OcrEngine, img: GrayImage, grid: TimingMarkGrid): Promise<string | undefined> {
  const a = grid.pointFor(grid.columns - 26, 0.8);
  const b = grid.pointFor(grid.columns - 1.5, 3.2);
  const text = await ocr.read(img, Math.min(a.x, b.x), Math.min(a.y, b.y), Math.abs(b.x - a.x), Math.abs(b.y - a.y));
  return /style\s*0*(\d{1,4})/i.exec(text)?.[1];
}

export interface EssLearnOptions {
  readonly signal?: AbortSignal;
  /** Styles learned before: found again, they are not read (OCR) again. */
  readonly known?: ReadonlySet<string>;
  readonly onStyle?: (done: number, total: number) => void;
}

/** Learns and maps the ES&S styles of `sheets`; `contests` are the election's, with their printed names. */
export async function learnEssStyles(sheets: readonly EssSheet[], contests: readonly ContestDefinition[], ocr: OcrEngine, options: EssLearnOptions = {}): Promise<EssLearnResult> {
  const groups = groupEssSheets(sheets);
  const layouts: StyleLayout[] = [];
  const needsMapping: StyleNeedsMapping[] = [];
  const styles: LearnedStyleReport[] = [];
  for (const [n, g] of groups.entries()) {
    if (options.signal?.aborted === true) break;
    const places = groupPlaces(g);
    const styleId = styleIdOf(places);
    if (places.front.size + places.back.size === 0 || options.known?.has(styleId) === true) continue;
    const targets: TargetPosition[] = [];
    const unresolved: UnresolvedTarget[] = [];
    const samples: StyleSample[] = [];
    const ocrMs: Partial<Record<Side, number>> = {};
    let confidence = 1;
    let number: string | undefined;
    for (const side of ['front', 'back'] as const) {
      const locations = [...places[side]].map(placeOf);
      if (locations.length === 0 || g.pages[side].length === 0) continue;
      const t = performance.now();
      let mapping: StyleMapping | undefined;
      let read: EssPage | undefined;
      // A second page only when the first left targets unplaced (a voter's scribble over a name).
      for (const { page } of g.pages[side]) {
        const m = await mapEssTargetsByText(ocr, page.image, page.grid, side, locations, contests);
        if (mapping === undefined || m.unresolved.length < mapping.unresolved.length) {
          mapping = m;
          read = page;
        }
        if (mapping.unresolved.length === 0) break;
      }
      if (mapping === undefined || read === undefined) continue;
      number ??= await printedStyleNumber(ocr, read.image, read.grid);
      ocrMs[side] = Math.round(performance.now() - t);
      samples.push(sampleOf(side, read, locations, ESS_OVAL));
      targets.push(...mapping.targets);
      unresolved.push(...mapping.unresolved);
      confidence = Math.min(confidence, mapping.confidence);
    }
    // A question's answer placed twice (on both sides) is a misread title: both go to a person.
    const isQuestion = (id: string) => contests.find((c) => c.id === id)?.options.every((o) => /^(yes|no)$/i.test(o.name)) === true;
    const twice = targets.filter((t) => isQuestion(t.contestId) && targets.filter((o) => o.contestId === t.contestId && o.optionId === t.optionId).length > 1);
    for (const t of twice) {
      targets.splice(targets.indexOf(t), 1);
      unresolved.push({ side: t.side, column: t.column, row: t.row, text: t.optionId, reason: `the answer "${t.optionId}" was read beside more than one oval` });
    }
    options.onStyle?.(n + 1, groups.length);
    const count = places.front.size + places.back.size;
    const printed = `ES&S ${number === undefined ? 'ballot' : `ballot style ${number}`}, ${count} ovals`;
    styles.push({ styleId, pages: g.sheetKeys.length, targets: count, ocrMs });
    const problem = checkMapping(targets, unresolved, contests);
    if (problem !== undefined) {
      // Its printed places let its sheets be recognised (and counted as waiting) until a person maps it.
      const printedPlaces = (['front', 'back'] as const).flatMap((side) => [...places[side]].map((k) => ({ side, ...placeOf(k) })));
      const placeholder: StyleLayout = { styleId: placeholderStyleId(styleId), targets: [], contests: [], targetShape: ESS_OVAL, mappingConfidence: confidence, printedPlaces };
      needsMapping.push({ styleId, printed, pages: g.sheetKeys.length, reason: problem, unresolved, placed: targets, samples, placeholder });
      continue;
    }
    const pages = (['front', 'back'] as const).flatMap((side) => g.pages[side].map((p) => ({ image: p.page.image, grid: p.page.grid, side })));
    const blankReference = blankReferenceFromPages(pages, targets, ESS_OVAL);
    layouts.push({ ...layoutFromTargets(styleId, targets, contests, { targetShape: ESS_OVAL }), mappingConfidence: confidence, ...(blankReference === undefined ? {} : { blankReference }) });
  }
  return { layouts, needsMapping, styles };
}
