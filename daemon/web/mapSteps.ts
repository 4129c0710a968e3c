/**
 * The hand-mapping form in parts (issue #20): the targets of a style cut into small parts that sit
 * together on the ballot (one contest's ovals, as far as the layout shows), the choices made so
 * far carried from part to part in the form itself (no server state, works without JavaScript),
 * the choice lists narrowed by a search, and the crop of the page that shows a part. Pure.
 */
import type { StyleMappingForm } from './deps.ts';

export type MappingTarget = StyleMappingForm['targets'][number];
export type MappingContest = StyleMappingForm['contests'][number];
/** Field name → '' (not chosen), 'none' (not a voting target) or 'contestId|optionId'. */
export type MappingChoices = ReadonlyMap<string, string>;

export interface MappingPart {
  /** 0-based. */
  readonly index: number;
  readonly side: 'front' | 'back';
  readonly targets: readonly MappingTarget[];
}

/** At most this many targets in one part: they fit beside the picture at 1024×768 without scrolling far. */
const PART_MAX = 8;
/** A gap of more than this many grid rows between two targets down a column starts a new part (a contest's heading sits there). */
const ROW_GAP = 3;
/** …or of more than this many of the usual steps between options, where options sit several grid rows apart (ES&S: a name and a party line, on a finer grid). */
const ROW_GAP_STEPS = 1.5;
/** Across the page (AccuVote), the rows of one office are closer than this to each other; the next office is further down. */
const ROW_GAP_ACROSS = 2;

export const fieldName = (t: { side: string; column: number; row: number }): string => `t.${t.side}.${t.column}.${t.row}`;

/**
 * The form's targets (already in reading order) cut into parts: same side, close rows, one
 * contest where the matcher placed them; down a column, the same column; across the page (the
 * AccuVote family, `across`), the rows of one office band.
 */
export function mappingParts(targets: readonly MappingTarget[], across = false): MappingPart[] {
  const rowGap = Math.max(ROW_GAP, ROW_GAP_STEPS * usualRowStep(targets));
  const parts: MappingTarget[][] = [];
  let current: MappingTarget[] = [];
  for (const t of targets) {
    const last = current.at(-1);
    const breaks =
      last === undefined ||
      last.side !== t.side ||
      (across ? t.row - last.row > ROW_GAP_ACROSS : Math.round(last.column) !== Math.round(t.column) || t.row - last.row > rowGap) ||
      (last.current !== null && t.current !== null && last.current.contestId !== t.current.contestId);
    if (breaks && current.length > 0) {
      parts.push(current);
      current = [];
    }
    current.push(t);
  }
  if (current.length > 0) parts.push(current);
  // A contest longer than a part is cut into even pieces (9 ovals: 5 and 4, not 8 and a lone write-in line).
  const even = parts.flatMap((p) => {
    const pieces = Math.ceil(p.length / PART_MAX);
    const size = Math.ceil(p.length / pieces);
    return Array.from({ length: pieces }, (_, i) => p.slice(i * size, (i + 1) * size));
  });
  return even.map((p, index) => ({ index, side: p[0]?.side ?? 'front', targets: p }));
}

/** The most common step in grid rows from one target to the next down a column (0 when none). */
function usualRowStep(targets: readonly MappingTarget[]): number {
  const steps = new Map<number, number>();
  targets.forEach((t, i) => {
    const last = targets[i - 1];
    const step = last === undefined || last.side !== t.side || Math.round(last.column) !== Math.round(t.column) ? 0 : Math.round(t.row - last.row);
    if (step > 0) steps.set(step, (steps.get(step) ?? 0) + 1);
  });
  return [...steps.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 0;
}

/** What the matcher placed, as the starting choices. */
export function initialChoices(form: StyleMappingForm): Map<string, string> {
  return new Map(form.targets.map((t) => [fieldName(t), t.current === null ? '' : `${t.current.contestId}|${t.current.optionId}`]));
}

/** The choices a posted form carries: only this style's targets, only values it offers (anything else is left unchosen). */
export function choicesFromBody(form: StyleMappingForm, body: Readonly<Record<string, unknown>>): Map<string, string> {
  const offered = new Set(form.contests.flatMap((c) => c.options.map((o) => `${c.id}|${o.id}`)));
  const out = new Map<string, string>();
  for (const t of form.targets) {
    const v = body[fieldName(t)];
    out.set(fieldName(t), typeof v === 'string' && (v === 'none' || offered.has(v)) ? v : '');
  }
  return out;
}

/** Lower case, accents and punctuation dropped: "Reg. of Deeds" finds "Register of Deeds" by "reg deeds". */
function plain(s: string): string {
  return s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}

/**
 * The contests and options to list: those whose contest title or option name holds every word of
 * the search (each word as the start of a word there); a contest whose title matches keeps all its
 * options. Contests already chosen in this part come first. An empty search lists everything.
 */
export function narrowContests(contests: readonly MappingContest[], search: string, first: ReadonlySet<string> = new Set()): MappingContest[] {
  const words = plain(search).split(' ').filter((w) => w !== '');
  const holds = (text: string) => {
    const have = plain(text).split(' ');
    return words.every((w) => have.some((h) => h.startsWith(w)));
  };
  const narrowed: MappingContest[] = [];
  for (const c of contests) {
    if (words.length === 0 || holds(c.title)) {
      narrowed.push(c);
      continue;
    }
    const options = c.options.filter((o) => holds(`${c.title} ${o.name}`));
    if (options.length > 0) narrowed.push({ ...c, options });
  }
  return narrowed.sort((a, b) => Number(first.has(b.id)) - Number(first.has(a.id)));
}

/** The crop is at least this tall for its width. */
const MIN_CROP_SHAPE = 0.4;

export interface CropBox {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * The part of the page that shows a part's targets with the names printed beside them and the
 * contest's heading above: the targets' box widened by a share of the page, kept inside the page.
 * The whole page when no target has a box.
 */
export function cropFor(page: { width: number; height: number }, targets: readonly MappingTarget[], namesRight = false): CropBox {
  const boxes = targets.flatMap((t) => (t.box === null ? [] : [t.box]));
  if (boxes.length === 0) return { x: 0, y: 0, width: page.width, height: page.height };
  const left = Math.min(...boxes.map((b) => b.x));
  const top = Math.min(...boxes.map((b) => b.y));
  const right = Math.max(...boxes.map((b) => b.x + b.width));
  const bottom = Math.max(...boxes.map((b) => b.y + b.height));
  // The names are printed left of the targets (AccuVote, Dominion), the contest heading above-left;
  // ES&S prints them right of the ovals, under a heading that holds a question's whole text.
  const x0 = Math.max(0, left - page.width * (namesRight ? 0.04 : 0.3));
  const x1 = Math.min(page.width, right + page.width * (namesRight ? 0.3 : 0.12));
  let y0 = Math.max(0, top - page.height * (namesRight ? 0.16 : 0.08));
  let y1 = Math.min(page.height, bottom + page.height * 0.04);
  // A band across the page (one AccuVote office) is shown with some rows above and below, not as a sliver.
  const tall = MIN_CROP_SHAPE * (x1 - x0);
  if (y1 - y0 < tall) {
    const grow = (tall - (y1 - y0)) / 2;
    y0 = Math.max(0, y0 - grow);
    y1 = Math.min(page.height, y1 + grow);
  }
  return { x: Math.round(x0), y: Math.round(y0), width: Math.round(x1 - x0), height: Math.round(y1 - y0) };
}

/** A choice in words: "Governor: Jane Roe", "not a voting target", or null when not chosen. */
export function choiceInWords(contests: readonly MappingContest[], value: string): string | null {
  if (value === 'none') return 'Not a voting target';
  const [contestId, optionId] = value.split('|');
  const contest = contests.find((c) => c.id === contestId);
  const option = contest?.options.find((o) => o.id === optionId);
  return contest === undefined || option === undefined ? null : `${contest.title}: ${option.name}`;
}
