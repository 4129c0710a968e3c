/**
 * How scanned pages are paired into sheets (one rule for every vendor):
 *
 * 1. A name the importer keys (`daemon/importer/imageKeys.ts`): Dominion `<tabulator>_<batch>_<record>…`
 *    or a CVR number (`000123.tif`, `000123_F.tif`, `cvr_123-back.jpg`, ES&S `000123F.pbm` / `000123R.pbm`).
 *    Pages with the same key are one sheet, wherever they lie.
 * 2. Otherwise, a side suffix at the end of the name, after `_`, `-`, `.` or a space, in any case:
 *    `F` / `B` (or `R`, rear), `front` / `back`, `p1` / `p2`, `page1` / `page2`, `side1` / `side2`.
 *    Pages in the same folder whose names are the same without the suffix are one sheet
 *    (`ballot-0042-front.jpg` + `ballot-0042-back.jpg`, `scan7_p1.png` + `scan7_p2.png`).
 * 3. Any other file is a sheet by itself: one file may hold both sides (ES&S `<id>i.pdf`, a multipage TIFF).
 *
 * Within a sheet the pages go front first (F, front, p1, then B/R, back, p2), then by name.
 * Pure: names in, names out.
 */

export interface PageName {
  /** The name without its side suffix and extension (folder kept): pages sharing it are one sheet. */
  readonly sheetStem: string;
  /** 0 for a front (F, front, p1), 1 for a back (B, R, back, p2), n-1 for page n. */
  readonly page: number;
}

const sideSuffix = /^(.*\S)[ ._-](f|b|r|front|back|p\d|page\d|side\d)$/i;

function pageOfSuffix(suffix: string): number {
  const s = suffix.toLowerCase();
  if (s === 'f' || s === 'front') return 0;
  if (s === 'b' || s === 'r' || s === 'back') return 1;
  return Math.max(0, Number(/\d$/.exec(s)?.[0] ?? '1') - 1);
}

/** The sheet a page belongs to by its name's side suffix, or null when the name has none. */
export function pageNameOf(relPath: string): PageName | null {
  const path = relPath.replace(/\\/g, '/');
  const slash = path.lastIndexOf('/');
  const name = path.slice(slash + 1);
  const stem = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : name;
  const m = sideSuffix.exec(stem);
  if (m === null) return null;
  return { sheetStem: `${path.slice(0, slash + 1)}${m[1] ?? ''}`, page: pageOfSuffix(m[2] ?? '') };
}

/** The page order of a file inside its sheet: a named side first, else (names without a side) after them. */
export function pageOrder(relPath: string): number {
  const file = relPath.replace(/\\/g, '/').split('/').pop() ?? '';
  const stem = file.includes('.') ? file.slice(0, file.lastIndexOf('.')) : file;
  // Keyed names put the side straight after the number (`000123F`, `000123R`).
  const glued = /\d([fr])$/i.exec(stem)?.[1];
  if (glued !== undefined) return pageOfSuffix(glued);
  return pageNameOf(relPath)?.page ?? Number.MAX_SAFE_INTEGER;
}

/** Sorts a sheet's files front first, then by name (stable for files without a side). */
export function frontFirst<T>(files: readonly T[], relPathOf: (f: T) => string): T[] {
  return [...files].sort((a, b) => pageOrder(relPathOf(a)) - pageOrder(relPathOf(b)) || relPathOf(a).localeCompare(relPathOf(b)));
}
