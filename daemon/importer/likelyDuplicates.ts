// Pure: the fills come from the pre-audit's readings, but the comparison belongs to Phase 1's rescan check (rescans.ts).
/** What duplicate detection needs of each read sheet. */
export interface SheetFingerprint {
  readonly ballotKey: string;
  readonly styleId: string;
  /** Fill of every target, in layout order. */
  readonly fills: readonly number[];
}

/**
 * Sheets that are very probably the same paper scanned twice: same style and every target's fill
 * within `tolerance` of the other's, with enough marks that a coincidence is implausible.
 * Two voters marking the same way still differ in how their marks fill each oval.
 */
export function findLikelyDuplicates(sheets: readonly SheetFingerprint[], tolerance = 0.04, minMarks = 3): [string, string][] {
  const byStyle = new Map<string, SheetFingerprint[]>();
  for (const s of sheets) {
    const group = byStyle.get(s.styleId);
    if (group === undefined) byStyle.set(s.styleId, [s]);
    else group.push(s);
  }
  const pairs: [string, string][] = [];
  for (const group of byStyle.values()) {
    // Sort by the sum of fills so only near neighbours need comparing.
    const sorted = [...group].sort((a, b) => sum(a.fills) - sum(b.fills));
    for (let i = 0; i < sorted.length; i++) {
      const a = sorted[i]!;
      if (a.fills.filter((f) => f >= 0.2).length < minMarks) continue;
      for (let j = i + 1; j < sorted.length; j++) {
        const b = sorted[j]!;
        if (sum(b.fills) - sum(a.fills) > tolerance * a.fills.length) break;
        if (a.fills.length === b.fills.length && a.fills.every((f, k) => Math.abs(f - b.fills[k]!) <= tolerance)) {
          pairs.push([a.ballotKey, b.ballotKey]);
        }
      }
    }
  }
  return pairs;
}

function sum(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s;
}
