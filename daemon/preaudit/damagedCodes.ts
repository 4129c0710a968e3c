/**
 * Which groups of sheets (grouped by the code printed along their bottom) are a damaged print of a
 * style being learned rather than a style of their own (issue #19). A smudge, a torn strip or a
 * speck turns a page's bottom-row code into another string; learning a style from it would read
 * the sheet with a one-sheet template and hide it from the CVR step. Pure: no db, no images.
 *
 * A group is not learned when all of these hold:
 * - it is one sheet (a real style of several sheets is always learned);
 * - that sheet's CVR names a ballot type, and that type is what most of the sheets of another
 *   group learned from several sheets have (the type is already printed as a learned style);
 * - its code is more than MAX_CODE_MARKS marks from the code of every other group (a card 2 of the
 *   same type differs from card 1 in a mark or two; a smudge leaves a code far from all).
 * The sheet is then read as "style not recognised", and the CVR step gives it its type's style, or
 * a person does. If it is in fact a rare style, the next pass learns it from the unrecognised sheets.
 */

/** A code this many marks or fewer from another group's code may be another card of its type. */
export const MAX_CODE_MARKS = 2;

export interface CodeGroup {
  readonly styleId: string;
  /** The bottom-row code of each side, in side order (one character a mark position). */
  readonly codes: readonly string[];
  /** Each sheet of the group: its key and its CVR's ballot type (undefined: no CVR names one). */
  readonly sheets: readonly { readonly sheetKey: string; readonly ballotType: string | undefined }[];
}

export interface DamagedCodeGroup {
  readonly styleId: string;
  readonly sheetKey: string;
  readonly ballotType: string;
  /** The learned group its CVR's type is printed as. */
  readonly typeStyle: string;
  /** Marks between its code and the nearest other group's code (null: the codes cannot be compared). */
  readonly nearestMarks: number | null;
}

/** Marks that differ between two codes side by side; undefined when their sides or lengths differ. */
export function codeMarks(a: readonly string[], b: readonly string[]): number | undefined {
  if (a.length !== b.length) return undefined;
  let marks = 0;
  for (const [i, s] of a.entries()) {
    const t = b[i]!;
    if (s.length !== t.length) return undefined;
    for (let k = 0; k < s.length; k++) if (s[k] !== t[k]) marks++;
  }
  return marks;
}

/** The type most of a group's sheets name (more than half of them), if any. */
function typeOfGroup(g: CodeGroup): string | undefined {
  const counts = new Map<string, number>();
  for (const s of g.sheets) if (s.ballotType !== undefined) counts.set(s.ballotType, (counts.get(s.ballotType) ?? 0) + 1);
  return [...counts].find(([, n]) => 2 * n > g.sheets.length)?.[0];
}

export function damagedCodeGroups(groups: readonly CodeGroup[]): DamagedCodeGroup[] {
  const typeStyle = new Map<string, string>();
  for (const g of groups) {
    if (g.sheets.length < 2) continue;
    const t = typeOfGroup(g);
    // A type printed as two learned groups (two cards) names no one style.
    if (t !== undefined) typeStyle.set(t, typeStyle.has(t) ? '' : g.styleId);
  }
  const out: DamagedCodeGroup[] = [];
  for (const g of groups) {
    const only = g.sheets.length === 1 ? g.sheets[0] : undefined;
    if (only?.ballotType === undefined) continue;
    const style = typeStyle.get(only.ballotType);
    if (style === undefined || style === '' || style === g.styleId) continue;
    const distances = groups.filter((o) => o !== g).map((o) => codeMarks(g.codes, o.codes));
    if (distances.some((d) => d !== undefined && d <= MAX_CODE_MARKS)) continue;
    const known = distances.filter((d): d is number => d !== undefined);
    out.push({ styleId: g.styleId, sheetKey: only.sheetKey, ballotType: only.ballotType, typeStyle: style, nearestMarks: known.length === 0 ? null : Math.min(...known) });
  }
  return out;
}
