import type { LearnedStyleSummary } from './deps.ts';

/**
 * How the styles shown were told apart and mapped, true for the designs among them: ES&S sheets by
 * where their ovals are printed (no style code is read), the others (Dominion, AccuVote) by their
 * printed codes; then the names beside the targets, read once per style.
 */
export function stylesLearnedFrom(styles: readonly Pick<LearnedStyleSummary, 'recognisedBy'>[]): string {
  const ovals = styles.some((s) => s.recognisedBy === 'printed-ovals');
  const codes = styles.some((s) => s.recognisedBy === 'printed-code');
  const names = 'read once per style and matched to the imported contests';
  if (ovals && codes) return `from where the ovals are printed (ES&S styles) or from the printed codes (the others), and the names beside the targets (${names}).`;
  if (ovals) return `from where the ovals are printed on the ES&S sheets, not from a printed code, and the names beside the ovals (${names}).`;
  return `from the printed codes and the names beside the targets (${names}).`;
}
