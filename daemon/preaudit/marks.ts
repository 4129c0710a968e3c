/**
 * Mark decisions with thresholds adapted to each ballot (AuditEngine style): the scores of all
 * targets on the sheet are sorted and the largest gap separates the ballot's blank targets from
 * its marks; the thresholds are then offsets above that ballot's blank level, so a dark scan
 * or toned paper does not turn blanks into votes. That level is held to the style's (styleBlank.ts):
 * a sheet with no empty oval must not take its dots and strokes for blank. Scores near the thresholds are "marginal":
 * they decide nothing on their own and the comparison reports them gray.
 *
 * Two kinds of ink are told apart: pen strokes (dark pixels: fills, checks, crosses, partial
 * fills) and grey toning (pencil, light pens, erasure residue), because a light but complete
 * pencil fill is a vote while an erased mark of the same tone is not; erasures leave grey
 * streaks outside the oval, pencil fills stay inside.
 */

import { blankAgainstStyle, type BlankReference, PRINTED_OVAL_BLANK } from './styleBlank.ts';

export type MarkClass = 'marked' | 'marginal' | 'unmarked';

/** What scoreTargets measures inside and around one target (see targets.ts). */
export interface TargetFeatures {
  /** Mean darkness inside, 0..1. */
  readonly fill: number;
  /** Share of the inside that is dark pen ink. */
  readonly solid: number;
  /** Share of the inside with any tone at all. */
  readonly coverage: number;
  /** Darkness of a thin band just outside the outline. */
  readonly halo: number;
  /** Share of the middle of the inside that is pen ink. */
  readonly centre: number;
}

export interface MarkThresholds {
  /** Pen ink (share of the inside, above the blank level) from which a target is a vote. */
  readonly marked: number;
  /** ...and from which it is at least marginal (below: a dot, speck or stray line)... */
  readonly marginal: number;
  /** ...or from this much, when the ink hugs the outline (a started fill) instead of a centred dot. */
  readonly marginalOffCentre: number;
  /** The same on a bitonal scan: thresholding leaves the printed outline's inner edge ragged by a pixel. */
  readonly marginalOffCentreBitonal: number;
  /** Grey toning covering at least this share of the inside is a pencil or light-pen fill... */
  readonly greyCoverage: number;
  /** ...a vote from this mean darkness (above blank)... */
  readonly greyMarked: number;
  /** ...marginal from this one. */
  readonly greyMarginal: number;
  /** Grey streaks outside the outline (above blank) that mark an erasure. */
  readonly erasureHalo: number;
  /** Blank levels above this are not trusted (a badly exposed scan): capped. */
  readonly maxBlank: number;
}

export const DEFAULT_THRESHOLDS: MarkThresholds = {
  // Measured on the sample generator's scans (both vendors): clear checks ≥ 0.236, small checks
  // ≤ 0.214, crosses ≥ 0.33; started fills ≥ 0.044 at the edge; hesitation dots ≤ 0.053 centred.
  marked: 0.2,
  marginal: 0.065,
  marginalOffCentre: 0.025,
  // blank ovals on 200 dpi G4 reach 0.036 off-centre; started fills begin at 0.048 there
  marginalOffCentreBitonal: 0.042,
  greyCoverage: 0.5,
  greyMarked: 0.25,
  greyMarginal: 0.1,
  // Erasure streaks add ≥ 0.0096 above blank; complete light fills ≤ 0.002 (ES&S 300 dpi grey).
  erasureHalo: 0.006,
  maxBlank: 0.1,
};

export interface SheetThreshold {
  /** Blank level of the sheet's targets, per feature (median of the blank cluster). */
  readonly blank: TargetFeatures;
  /** Width of the largest gap between sorted pen-ink scores below the marked threshold. */
  readonly gap: number;
  /** How many targets fell in the blank cluster. */
  readonly blankTargets: number;
  /** Black-and-white scan (no grey level anywhere in the targets): the outline's edge is ragged. */
  readonly bitonal: boolean;
  /** The sheet's own blank cluster was above the style's level and the style's was used. */
  readonly heldToStyle: boolean;
}

/**
 * The sheet's blank level: pen-ink scores are sorted and cut at the largest gap below the
 * marked threshold; the cluster under the gap holds the blank targets. With the style's measured
 * level (`style`), that cluster's level counts only up to the style's plus a tolerance. Without one,
 * the printed oval's level (no ink) bounds it the same way unless the cluster holds most of the
 * sheet's ovals (then it is the paper: a dark scan or toned stock); a minority cluster above it
 * is dots and strokes on a sheet with no empty oval.
 */
export function adaptiveThreshold(features: readonly TargetFeatures[], t: MarkThresholds = DEFAULT_THRESHOLDS, style?: BlankReference): SheetThreshold {
  // In a bitonal image every inked pixel is pen ink: fill, solid and coverage coincide.
  const bitonal = features.every((f) => Math.abs(f.fill - f.solid) < 1e-9 && Math.abs(f.coverage - f.solid) < 1e-9);
  const low = features.filter((f) => f.solid < t.marked);
  if (low.length === 0) {
    return { blank: { fill: 0, solid: 0, coverage: 0, halo: 0, centre: 0 }, gap: 0, blankTargets: 0, bitonal, heldToStyle: false };
  }
  // A gap narrower than the marginal step is noise inside the blank cluster, not a split.
  const byPen = lowCluster(low, (f) => f.solid, t.marginal / 2);
  // Pencil fills and erasures have no pen ink, so they sit in that cluster too; their tone sets
  // them apart (a card with a few light fills must not raise its own blank level).
  const blanks = lowCluster(byPen.cluster, (f) => f.fill, t.greyMarginal / 2).cluster;
  const med = (k: keyof TargetFeatures) => Math.min(t.maxBlank, median(blanks.map((f) => f[k])) ?? 0);
  const own: TargetFeatures = { fill: med('fill'), solid: med('solid'), coverage: med('coverage'), halo: med('halo'), centre: med('centre') };
  const reference = style ?? (blanks.length * 2 > features.length ? undefined : PRINTED_OVAL_BLANK);
  const blank = reference === undefined ? own : blankAgainstStyle(own, reference);
  return {
    blank,
    gap: byPen.gap,
    blankTargets: blanks.length,
    bitonal,
    heldToStyle: (Object.keys(own) as (keyof TargetFeatures)[]).some((k) => blank[k] < own[k]),
  };
}

/** Sorts by `key` and keeps what lies below the largest gap, if that gap is at least `minGap`. */
function lowCluster(features: readonly TargetFeatures[], key: (f: TargetFeatures) => number, minGap: number): { cluster: TargetFeatures[]; gap: number } {
  const sorted = [...features].sort((a, b) => key(a) - key(b));
  let gap = 0;
  let cut = sorted.length;
  for (let i = 1; i < sorted.length; i++) {
    const g = key(sorted[i]!) - key(sorted[i - 1]!);
    if (g > gap) {
      gap = g;
      cut = i;
    }
  }
  return { cluster: gap >= minGap ? sorted.slice(0, cut) : sorted, gap };
}

export function classifyTarget(f: TargetFeatures, sheet: SheetThreshold, t: MarkThresholds = DEFAULT_THRESHOLDS): MarkClass {
  const pen = f.solid - sheet.blank.solid;
  if (pen >= t.marked) return 'marked';
  if (pen >= t.marginal) return 'marginal';
  const offCentre = sheet.bitonal ? t.marginalOffCentreBitonal : t.marginalOffCentre;
  if (pen >= offCentre && f.centre - sheet.blank.centre < pen) return 'marginal';
  const grey = f.fill - sheet.blank.fill;
  if (f.coverage >= t.greyCoverage && grey >= t.greyMarginal) {
    const erased = f.halo - sheet.blank.halo >= t.erasureHalo;
    if (erased) return grey >= t.greyMarked ? 'marginal' : 'unmarked';
    return grey >= t.greyMarked ? 'marked' : 'marginal';
  }
  return 'unmarked';
}

/** A target's scores and where it is printed: side and grid column. */
export interface PlacedTarget {
  readonly features: TargetFeatures;
  readonly side: string;
  readonly column: number;
}

/**
 * Classifies every target of a sheet. The erasure test compares the band around an oval with the
 * blank ovals of the same printed column: a scanner streak runs down a column and tones that band
 * on every oval it passes, where erasure streaks tone it around one oval only.
 */
export function classifySheetTargets(targets: readonly PlacedTarget[], sheet: SheetThreshold, t: MarkThresholds = DEFAULT_THRESHOLDS): MarkClass[] {
  const haloOf = new Map<string, number[]>();
  for (const p of targets) {
    const f = p.features;
    const blankLooking = f.solid - sheet.blank.solid < t.marginalOffCentre && f.fill - sheet.blank.fill < t.greyMarginal;
    if (!blankLooking) continue;
    const key = `${p.side}:${p.column}`;
    haloOf.set(key, [...(haloOf.get(key) ?? []), f.halo]);
  }
  return targets.map((p) => {
    const column = haloOf.get(`${p.side}:${p.column}`) ?? [];
    // the column's own blank ovals when it has some, else the sheet's
    const halo = column.length >= 2 ? Math.min(median(column) ?? 0, t.maxBlank) : sheet.blank.halo;
    return classifyTarget(p.features, halo === sheet.blank.halo ? sheet : { ...sheet, blank: { ...sheet.blank, halo } }, t);
  });
}

/** One target on the ballot and what it means. */
export interface TargetMeaning {
  readonly contestId: string;
  /** Option id; write-in targets use `write-in-<index>`. */
  readonly optionId: string;
  readonly isWriteIn: boolean;
}

export interface ContestRules {
  readonly id: string;
  /** How many options a voter may choose (1 for a yes/no question). */
  readonly seats: number;
}

export interface ContestReading {
  readonly contestId: string;
  /** Options read as votes, in ballot order, each once (a candidate printed twice counts once). */
  readonly selected: readonly string[];
  /** Options with a marginal mark only: a person must look before these count either way. */
  readonly marginal: readonly string[];
  readonly overvote: boolean;
  /** Seats left unused (0 on an overvote: the contest counts no votes). */
  readonly undervotes: number;
  /** Write-in slots marked. */
  readonly writeIns: number;
}

/**
 * Applies the contest rules to the marks of one ballot: more marks than seats is an overvote,
 * fewer is an undervote; write-in targets count like any option.
 */
export function readContests(
  contests: readonly ContestRules[],
  targets: readonly { meaning: TargetMeaning; mark: MarkClass }[],
): ContestReading[] {
  return contests.map((c) => {
    const selected: string[] = [];
    const marginal: string[] = [];
    for (const t of targets) {
      if (t.meaning.contestId !== c.id) continue;
      if (t.mark === 'marked' && !selected.includes(t.meaning.optionId)) selected.push(t.meaning.optionId);
    }
    for (const t of targets) {
      if (t.meaning.contestId !== c.id || t.mark !== 'marginal') continue;
      if (!selected.includes(t.meaning.optionId) && !marginal.includes(t.meaning.optionId)) marginal.push(t.meaning.optionId);
    }
    const overvote = selected.length > c.seats;
    const writeIns = selected.filter((id) => id.startsWith('write-in-')).length;
    return {
      contestId: c.id,
      selected,
      marginal,
      overvote,
      undervotes: overvote ? 0 : c.seats - selected.length,
      writeIns,
    };
  });
}

function median(v: readonly number[]): number | undefined {
  if (v.length === 0) return undefined;
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
