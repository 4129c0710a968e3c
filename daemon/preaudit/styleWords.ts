/**
 * A learned style's name in a sentence: "printed" is what the ballot prints ("style 3 card 1", or
 * its bottom-row codes), so "Ballot style " + printed would say "Ballot style style 3 card 1".
 */
export function ballotStyleName(printed: string): string {
  const p = printed.trim();
  // An ES&S style's name says "ballot" itself ("ES&S ballot style 12, 70 ovals"): no "ballot style ES&S ballot".
  if (/\bballot\b/i.test(p)) return p;
  return /^style\b/i.test(p) ? `ballot ${p}` : `ballot style ${p}`;
}

/** The same, at the start of a sentence or title. */
export function BallotStyleName(printed: string): string {
  const s = ballotStyleName(printed);
  return s.charAt(0).toUpperCase() + s.slice(1);
}
