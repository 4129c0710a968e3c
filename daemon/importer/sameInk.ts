// Pure: phase 1's rescan check for sheets with few marks (rescans.ts), from the ink the reader kept (inkPatch.ts).
import { decodeInkPatch, inkDifference, type InkPatch } from './inkPatch.ts';

/** What the same-ink check needs of each read sheet. */
export interface InkedSheet {
  readonly ballotKey: string;
  readonly styleId: string;
  /** Per target in layout order: its ink when it carries a mark, else undefined. */
  readonly inks: readonly (string | undefined)[];
}

/**
 * Largest inkDifference of one target's marks on two scans of the same paper. Measured: the real
 * Dominion demo's rescanned marks 0.000–0.024, two of its voters' neat fills of the same oval
 * 0.25–0.30, a check against a fill 0.47 and more; the generator's rescans (another skew and
 * scale) up to 0.042 on 23 marks, its distinct voters' same single fill 0.087 and more. A rescan of the
 * same paper repeats every stroke to a pixel; another hand does not.
 */
export const SAME_INK = 0.06;

/** Rescans hold about as much ink: sheets further apart than this ratio are not compared. */
const INK_RATIO = 1.3;

/**
 * Sheets that are the same paper scanned twice by the ink of their marks: same style, the same
 * targets marked, and every mark's ink alike within SAME_INK. One mark is enough, since no two
 * hands draw a fill alike to a pixel; a sheet with no mark, a patch that does not decode, or marks
 * the difference cannot judge (inkDifference undefined) say nothing.
 */
export function findSameInk(sheets: readonly InkedSheet[]): [string, string][] {
  const groups = new Map<string, { key: string; patches: InkPatch[]; ink: number }[]>();
  for (const s of sheets) {
    const marked = s.inks.flatMap((ink, i) => (ink === undefined ? [] : [i]));
    if (marked.length === 0) continue;
    const patches = marked.map((i) => decodeInkPatch(s.inks[i]!));
    if (patches.some((p) => p === undefined)) continue;
    const group = `${s.styleId}\n${s.inks.length}\n${marked.join(',')}`;
    const entry = { key: s.ballotKey, patches: patches as InkPatch[], ink: patches.reduce((n, p) => n + inkCount(p!), 0) };
    const list = groups.get(group);
    if (list === undefined) groups.set(group, [entry]);
    else list.push(entry);
  }
  const pairs: [string, string][] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => a.ink - b.ink);
    for (let i = 0; i < group.length; i++) {
      const a = group[i]!;
      for (let j = i + 1; j < group.length; j++) {
        const b = group[j]!;
        if (b.ink > a.ink * INK_RATIO) break;
        const alike = a.patches.every((p, k) => {
          const d = inkDifference(p, b.patches[k]!);
          return d !== undefined && d <= SAME_INK;
        });
        if (alike) pairs.push([a.key, b.key]);
      }
    }
  }
  return pairs;
}

/**
 * True when the ink shows two sheets are NOT the same paper: the same targets carry marks, and at
 * least one mark's ink clearly differs (beyond SAME_INK). False when the ink cannot tell.
 * Phase 1 uses it to drop a pairing by fills alone (likelyDuplicates.ts) that the strokes refute.
 */
export function inksDiffer(a: readonly (string | undefined)[], b: readonly (string | undefined)[]): boolean {
  if (a.length !== b.length) return false;
  return a.some((ink, k) => {
    const other = b[k];
    if (ink === undefined || other === undefined) return false;
    const pa = decodeInkPatch(ink);
    const pb = decodeInkPatch(other);
    const d = pa === undefined || pb === undefined ? undefined : inkDifference(pa, pb);
    return d !== undefined && d > SAME_INK;
  });
}

function inkCount(p: InkPatch): number {
  let n = 0;
  for (const v of p.ink) n += v;
  return n;
}
