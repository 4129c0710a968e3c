/**
 * Mark decisions with thresholds adapted to each ballot (AuditEngine style): the scores of all
 * targets on the sheet are sorted and the largest gap separates the ballot's blank targets from
 * its marks; the thresholds are then offsets above that ballot's own blank level, so a dark scan
 * or toned paper does not turn blanks into votes. Scores near the thresholds are "marginal":
 * they decide nothing on their own and the comparison reports them gray.
 *
 * Two kinds of ink are told apart: pen strokes (dark pixels: fills, checks, crosses, partial
 * fills) and grey toning (pencil, light pens, erasure residue), because a light but complete
 * pencil fill is a vote while an erased mark of the same tone is not; erasures leave grey
 * streaks outside the oval, pencil fills stay inside.
 */

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
  marked: 0.215,
  marginal: 0.065,
  marginalOffCentre: 0.045,
  greyCoverage: 0.5,
  greyMarked: 0.25,
  greyMarginal: 0.1,
  erasureHalo: 0.012,
  maxBlank: 0.1,
};

export interface SheetThreshold {
  /** Blank level of the sheet's targets, per feature (median of the blank cluster). */
  readonly blank: TargetFeatures;
  /** Width of the largest gap between sorted pen-ink scores below the marked threshold. */
  readonly gap: number;
  /** How many targets fell in the blank cluster. */
  readonly blankTargets: number;
}

/**
 * The sheet's blank level: pen-ink scores are sorted and cut at the largest gap below the
 * marked threshold; the cluster under the gap holds the blank targets.
 */
export function adaptiveThreshold(features: readonly TargetFeatures[], t: MarkThresholds = DEFAULT_THRESHOLDS): SheetThreshold {
  const low = features.filter((f) => f.solid < t.marked).sort((a, b) => a.solid - b.solid);
  if (low.length === 0) {
    return { blank: { fill: 0, solid: 0, coverage: 0, halo: 0, centre: 0 }, gap: 0, blankTargets: 0 };
  }
  let gap = 0;
  let cut = low.length;
  for (let i = 1; i < low.length; i++) {
    const g = low[i]!.solid - low[i - 1]!.solid;
    if (g > gap) {
      gap = g;
      cut = i;
    }
  }
  // A gap narrower than the marginal step is noise inside the blank cluster, not a split.
  const blanks = gap >= t.marginal / 2 ? low.slice(0, cut) : low;
  const med = (k: keyof TargetFeatures) => Math.min(t.maxBlank, median(blanks.map((f) => f[k])) ?? 0);
  return {
    blank: { fill: med('fill'), solid: med('solid'), coverage: med('coverage'), halo: med('halo'), centre: med('centre') },
    gap,
    blankTargets: blanks.length,
  };
}

export function classifyTarget(f: TargetFeatures, sheet: SheetThreshold, t: MarkThresholds = DEFAULT_THRESHOLDS): MarkClass {
  const pen = f.solid - sheet.blank.solid;
  if (pen >= t.marked) return 'marked';
  if (pen >= t.marginal) return 'marginal';
  if (pen >= t.marginalOffCentre && f.centre - sheet.blank.centre < pen) return 'marginal';
  const grey = f.fill - sheet.blank.fill;
  if (f.coverage >= t.greyCoverage && grey >= t.greyMarginal) {
    const erased = f.halo - sheet.blank.halo >= t.erasureHalo;
    if (erased) return grey >= t.greyMarked ? 'marginal' : 'unmarked';
    return grey >= t.greyMarked ? 'marked' : 'marginal';
  }
  return 'unmarked';
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
