/**
 * Mark decisions with thresholds adapted to each ballot (AuditEngine style): the fills of all
 * targets on the sheet are sorted and split at the largest gap, so a voter who marks lightly and
 * a scanner that prints dark both get a threshold that fits them. Scores near neither cluster are
 * "marginal" and decide nothing on their own: the comparison reports them gray.
 */

export type MarkClass = 'marked' | 'marginal' | 'unmarked';

export interface MarkThresholds {
  /** Fill below this (above the ballot's own blank level) is never a vote: dust, speckle. */
  readonly floor: number;
  /** Fill at or above this is always a vote. */
  readonly ceiling: number;
  /** A gap narrower than this does not separate marks from blanks by itself. */
  readonly minGap: number;
  /** Position between the blank and marked cluster centres (0..1) above which a score is marked... */
  readonly markedAt: number;
  /** ...and below which it is unmarked; in between it is marginal. */
  readonly unmarkedBelow: number;
  /** Typical fill of a vote, used when the sheet has no clear marks to learn from. */
  readonly typicalMark: number;
}

export const DEFAULT_THRESHOLDS: MarkThresholds = {
  floor: 0.05,
  ceiling: 0.45,
  minGap: 0.12,
  markedAt: 0.55,
  unmarkedBelow: 0.25,
  typicalMark: 0.6,
};

export interface SheetThreshold {
  /** Median fill of the blank targets (paper tone + printed outline remains). */
  readonly blank: number;
  /** Median fill of the clearly marked targets (or the typical mark, if none). */
  readonly mark: number;
  /** Width of the largest gap found between sorted scores (0 when none). */
  readonly gap: number;
  /** Fill where the sheet's scores split, or undefined when there is no clear split. */
  readonly split: number | undefined;
}

export function adaptiveThreshold(fills: readonly number[], t: MarkThresholds = DEFAULT_THRESHOLDS): SheetThreshold {
  const s = [...fills].sort((a, b) => a - b);
  if (s.length === 0) return { blank: 0, mark: t.typicalMark, gap: 0, split: undefined };
  // The largest gap between neighbours whose upper side is above the floor.
  let gap = 0;
  let at = -1;
  for (let i = 1; i < s.length; i++) {
    const g = s[i]! - s[i - 1]!;
    if (s[i]! >= t.floor && g > gap) {
      gap = g;
      at = i;
    }
  }
  if (at === -1 || gap < t.minGap) {
    const blank = median(s.filter((v) => v < t.ceiling)) ?? 0;
    const marks = s.filter((v) => v >= t.ceiling);
    return { blank, mark: median(marks) ?? t.typicalMark, gap: at === -1 ? 0 : gap, split: undefined };
  }
  const lower = s.slice(0, at);
  const upper = s.slice(at);
  const blank = median(lower) ?? 0;
  // A lone faint mark must not set the bar for itself: marks are judged against at least the
  // ceiling, so one light dot on an otherwise blank sheet comes out marginal, not a vote.
  const mark = Math.max(median(upper) ?? t.typicalMark, t.ceiling, blank + t.minGap);
  return { blank, mark, gap, split: (s[at - 1]! + s[at]!) / 2 };
}

export function classifyFill(fill: number, sheet: SheetThreshold, t: MarkThresholds = DEFAULT_THRESHOLDS): MarkClass {
  if (fill - sheet.blank < t.floor) return 'unmarked';
  if (fill >= t.ceiling && fill >= sheet.blank + t.minGap) return 'marked';
  const z = (fill - sheet.blank) / Math.max(1e-6, sheet.mark - sheet.blank);
  if (z >= t.markedAt) return 'marked';
  if (z < t.unmarkedBelow) return 'unmarked';
  return 'marginal';
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
