/**
 * The blank level of a style's empty ovals, measured on the style (its template: the empty ovals
 * of many of its sheets) instead of on one sheet's own lowest scores. A sheet whose every oval
 * carries some mark (a logic-and-accuracy deck, a voter who dots every choice) has no blank oval
 * of its own: its lowest scores are dots and strokes, and taking them as blank raised every
 * threshold and missed clear checks. Pure: no image, no database.
 */
/** The scores of one target (marks.ts TargetFeatures; declared here so the two files do not import each other). */
type TargetFeatures = Readonly<Record<'fill' | 'solid' | 'coverage' | 'halo' | 'centre', number>>;

export interface BlankReference {
  /** The style's empty-oval level, per feature. */
  readonly level: TargetFeatures;
  /** How many sheets it was measured on; 0 for the printed design's own level (nothing measured). */
  readonly sheets: number;
}

const ZERO: TargetFeatures = { fill: 0, solid: 0, coverage: 0, halo: 0, centre: 0 };

/** An empty printed oval carries no ink inside (the stencil leaves the outline out): the level before anything is measured. */
export const PRINTED_OVAL_BLANK: BlankReference = { level: ZERO, sheets: 0 };

/**
 * How far above the style's level one sheet's own blank cluster may sit and still be taken as its
 * blank (scan-to-scan noise). Measured on the generator's scans and the NH scans: blank ovals'
 * median pen ink ≤ 0.005, tone ≤ 0.006; a hesitation dot is 0.026 and more.
 */
export const BLANK_TOLERANCE: TargetFeatures = { fill: 0.012, solid: 0.012, coverage: 0.012, halo: 0.012, centre: 0.012 };

const KEYS = ['fill', 'solid', 'coverage', 'halo', 'centre'] as const;

/** The sheet's blank level, held to the style's: per feature, no higher than the style's level plus the tolerance. */
export function blankAgainstStyle(sheet: TargetFeatures, style: BlankReference, tolerance: TargetFeatures = BLANK_TOLERANCE): TargetFeatures {
  const out: Record<keyof TargetFeatures, number> = { ...sheet };
  for (const k of KEYS) out[k] = Math.min(sheet[k], style.level[k] + tolerance[k]);
  return out;
}

/** One sheet's own blank cluster, as adaptiveThreshold found it. */
export interface SheetBlank {
  readonly blank: TargetFeatures;
  readonly blankTargets: number;
  readonly targets: number;
}

/**
 * The style's level from its sheets: the median, per feature, of the blank levels of the sheets
 * whose blank cluster holds at least half their ovals (a sheet mostly marked says nothing about
 * its empty ovals). Undefined when no sheet qualifies: the printed level then stands.
 */
export function measureStyleBlank(sheets: readonly SheetBlank[]): BlankReference | undefined {
  const usable = sheets.filter((s) => s.targets > 0 && s.blankTargets * 2 >= s.targets);
  if (usable.length === 0) return undefined;
  const level: Record<keyof TargetFeatures, number> = { ...ZERO };
  for (const k of KEYS) level[k] = median(usable.map((s) => s.blank[k]));
  return { level, sheets: usable.length };
}

function median(v: readonly number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
