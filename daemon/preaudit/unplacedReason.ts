/**
 * Why OCR left a target unplaced, in words for the person who maps the style by hand. A name is
 * compared only when something was read: with nothing legible beside the target every name
 * scores 0 %, and "best match … only 0%" would name an option that nothing pointed to.
 */

/** A letter or digit as the matcher compares them (ocr.ts normalizeText keeps only these); not imported from there, which imports this. */
const legible = (text: string) => /[a-z0-9]/i.test(text.normalize('NFKD').replace(/[\u0300-\u036f]/g, ''));

export interface ScoredName {
  readonly option: { readonly name: string };
  readonly score: number;
}

const percent = (score: number) => `${(score * 100).toFixed(0)}%`;

/**
 * `best` and `rival` as the matcher scored them (the rival: the best other name); `accept` its
 * threshold. `target` names what is printed: "oval" on ES&S, "target" where it may be an arrow.
 */
export function unplacedReason(text: string, best: ScoredName | undefined, rival: ScoredName | undefined, accept: number, target: 'oval' | 'target'): string {
  if (!legible(text)) return `nothing legible was read beside the ${target}`;
  if (best === undefined) return 'the imported contests name no option to compare it with';
  // Read well enough, but another name fits almost as well: the matcher does not choose.
  if (best.score >= accept && rival !== undefined) return `"${best.option.name}" and "${rival.option.name}" match it almost equally (${percent(best.score)} and ${percent(rival.score)})`;
  return `best match "${best.option.name}" only ${percent(best.score)}`;
}
