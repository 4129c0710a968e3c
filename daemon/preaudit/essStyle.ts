/**
 * Which style an ES&S-design sheet is, when it is read: the design prints its style number as
 * text (read once per style, when styles are learned) and no code a reader can decode, so each
 * sheet is matched to the learned layouts by where its ovals are printed. A layout fits when
 * nearly all its targets are printed on the pages and no other layout's targets are; two fitting
 * layouts with the same target places are not told apart here (the sheet goes to a person).
 * Pure: registered pages and layouts in, a layout and the pages' sides out.
 */
import type { GrayImage } from './image.ts';
import type { Side, StyleLayout } from './layout.ts';
import { scoreTargets, type GridLocation, type ScoredTarget } from './targets.ts';
import type { TimingMarkGrid } from './timingMarks.ts';

interface RegisteredPage {
  readonly image: GrayImage;
  readonly grid: TimingMarkGrid;
}

/**
 * A printed target (empty or marked): a dark outline, much darker than the same ring half a
 * target aside. Stricter than the reader's `found`, which a shaded contest header's halftone passes.
 */
const OUTLINE_MIN = 0.6;
const OUTLINE_OVER_BESIDE = 1.5;
export function printedOval(s: ScoredTarget): boolean {
  return s.outline >= OUTLINE_MIN && s.outline >= OUTLINE_OVER_BESIDE * s.beside;
}

/** Share of a layout's targets that must be printed on the sheet (a torn corner or a blot may hide one or two). */
const MIN_FOUND = 0.9;
/** Targets of other layouts printed on the sheet that a fitting layout may leave unexplained (stray marks). */
const MAX_EXTRA = 1;

export interface EssStyleChoice {
  readonly layout: StyleLayout;
  /** Side of each registered page, in their order. */
  readonly sides: readonly Side[];
}

/** Layouts that print the same targets for the same contests and options read a sheet alike (one card shared by several styles). */
function sameMeaning(a: StyleLayout, b: StyleLayout): boolean {
  // A style waiting for a person means nothing yet: only itself.
  if (a.targets.length === 0 || b.targets.length === 0) return a.styleId === b.styleId;
  const key = (l: StyleLayout) =>
    l.targets
      .map((t) => `${placeKey(t.side, t)}=${t.contestId}/${t.optionId}`)
      .sort()
      .join(' ');
  return key(a) === key(b);
}

const placeKey = (side: Side, l: GridLocation) => `${side}:${Math.round(l.column * 10)},${Math.round(l.row * 10)}`;

/** The layout the sheet's printed ovals fit, or undefined: none, or more than one. */
export function chooseEssLayout(pages: readonly RegisteredPage[], layouts: readonly StyleLayout[]): EssStyleChoice | undefined {
  // Learned layouts by their targets; an ES&S style waiting for a person by its printed places.
  const placesOf = (l: StyleLayout): readonly (GridLocation & { readonly side: Side })[] => (l.targets.length > 0 ? l.targets : (l.printedPlaces ?? []));
  const candidates = layouts.filter((l) => placesOf(l).length > 0);
  if (pages.length === 0 || pages.length > 2 || candidates.length === 0) return undefined;
  // Every place any layout prints a target, per side: probed once on each page.
  const places = new Map<string, { side: Side; loc: GridLocation }>();
  for (const l of candidates) for (const t of placesOf(l)) places.set(placeKey(t.side, t), { side: t.side, loc: { column: t.column, row: t.row } });
  const orders: Side[][] = pages.length === 1 ? [['front'], ['back']] : [['front', 'back'], ['back', 'front']];
  const shape = candidates[0]!.targetShape;
  const printed = orders.map((sides) => {
    const found = new Set<string>();
    pages.forEach((page, i) => {
      const side = sides[i]!;
      const locs = [...places.values()].filter((p) => p.side === side).map((p) => p.loc);
      scoreTargets(page.image, page.grid, locs, shape).forEach((s, k) => {
        if (printedOval(s)) found.add(placeKey(side, locs[k]!));
      });
    });
    return found;
  });
  let best: { layout: StyleLayout; sides: Side[]; found: number; extra: number; places: string } | undefined;
  let tied = false;
  for (const layout of candidates) {
    const own = new Set(placesOf(layout).map((t) => placeKey(t.side, t)));
    orders.forEach((sides, o) => {
      const found = printed[o]!;
      // A sheet with one page holds one side: only that side's targets are asked of it.
      const asked = [...own].filter((k) => sides.includes(k.slice(0, k.indexOf(':')) as Side));
      if (asked.length === 0) return;
      const share = asked.filter((k) => found.has(k)).length / asked.length;
      const extra = [...found].filter((k) => !own.has(k)).length;
      if (share < MIN_FOUND || extra > MAX_EXTRA) return;
      const signature = [...own].sort().join(' ');
      if (best === undefined || share > best.found || (share === best.found && extra < best.extra)) {
        tied = false;
        best = { layout, sides, found: share, extra, places: signature };
      } else if (share === best.found && extra === best.extra && best.layout !== layout && !sameMeaning(best.layout, layout)) {
        // Same places, other contests or options (or the other page order of a one-sided layout): a person decides.
        tied = true;
      }
    });
  }
  if (best === undefined || tied) return undefined;
  return { layout: best.layout, sides: best.sides };
}
