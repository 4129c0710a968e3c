/**
 * A write-in slot is found by its shape: the long thin rule the design prints where a voter writes
 * a name, in the place that design puts it. What OCR reads beside it is only a second opinion
 * (write-in labels are small and misread: "yO Govemo" for "Write-in Governor"). Pure: page pixels
 * and grid in, yes or no out.
 */
import type { GrayImage } from './image.ts';
import { hasPrintedRule } from './printedRule.ts';
import type { GridLocation } from './targets.ts';
import type { TimingMarkGrid } from './timingMarks.ts';

/**
 * AccuVote and Dominion: the name is printed left of the oval, and a write-in line is a rule at the
 * name's baseline ending just left of the oval (its small label may sit under the start of the line).
 */
export function hasRuleLeftOf(img: GrayImage, grid: TimingMarkGrid, loc: GridLocation): boolean {
  return ruleAlongRow(img, grid, loc, -4.7, -0.7, -0.2, 0.7);
}

/** ES&S: the name is printed right of the oval, and a write-in line is a rule running right from it. */
export function hasRuleRightOf(img: GrayImage, grid: TimingMarkGrid, loc: GridLocation): boolean {
  return ruleAlongRow(img, grid, loc, 1.2, 7, -0.4, 1.2);
}

/**
 * A rule from `from` to `to` column pitches off the target, `above` to `below` row pitches about
 * its row, following the grid's rows: a page scanned askew tilts the rule with them.
 */
function ruleAlongRow(img: GrayImage, grid: TimingMarkGrid, loc: GridLocation, from: number, to: number, above: number, below: number): boolean {
  const m = grid.pointFor(loc.column + (from + to) / 2, loc.row);
  const end = grid.pointFor(loc.column + to, loc.row);
  const half = (grid.columnPitch * (to - from)) / 2;
  return hasPrintedRule(img, grid.threshold, {
    x0: m.x - half,
    x1: m.x + half,
    y0: m.y + grid.rowPitch * above,
    y1: m.y + grid.rowPitch * below,
    maxThickness: grid.rowPitch * 0.3,
    slope: end.x === m.x ? 0 : (end.y - m.y) / (end.x - m.x),
  });
}

/**
 * How sure the mapping is of a write-in slot found by its rule, given the best option name OCR
 * accepted beside it (undefined: none). The rule wins: it is printed by the design and found
 * without reading, where a name "read" beside an empty line is most often OCR making words of the
 * line and its label, or catching the text of the row above. A real candidate lost this way leaves
 * its contest short of an option, which already sends the style to a person (learnedStyle.ts
 * checkMapping); a name read well under a rule is still a contradiction, so it is not hidden: the
 * style's confidence drops to how little room the reading leaves (a name read whole: 0).
 */
export function ruleUnderNameConfidence(acceptedNameScore: number | undefined): number {
  return acceptedNameScore === undefined ? 1 : Math.max(0, 1 - acceptedNameScore);
}
