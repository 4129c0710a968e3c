/**
 * Brings OCR text of a ballot toward one printed name before they are compared: ballots shorten
 * words ("Reg. of Deeds" for "Register of Deeds", "Cnty." for "County"), add party labels
 * ("(DEM)", "Rep", "Republican") and print headings in two languages ("Governor / Gobernador").
 * Each rewrite only moves the text toward the name being tried, so two names that both fit stay
 * rivals and the matcher's margin still leaves the target to a person.
 */

/** Party labels printed beside names; dropped from the OCR text unless the name itself has the word. */
const PARTY_WORDS = new Set([
  'dem', 'democrat', 'democratic', 'rep', 'republican', 'gop', 'lib', 'libertarian', 'grn', 'green', 'ind', 'independent',
  'constitution', 'wfp', 'np', 'nonpartisan', 'nominee', 'party',
]);

interface Token {
  readonly word: string;
  /** Written with a full stop after it ("Reg."): an abbreviation or an initial. */
  readonly abbreviated: boolean;
  /** Inside parentheses ("(D)"). */
  readonly bracketed: boolean;
}

function fold(s: string): string {
  return s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
}

function tokens(text: string): Token[] {
  const out: Token[] = [];
  let depth = 0;
  for (const m of fold(text).matchAll(/\(|\)|[a-z0-9]+(\.)?/g)) {
    if (m[0] === '(') depth++;
    else if (m[0] === ')') depth = Math.max(0, depth - 1);
    else out.push({ word: m[0].replace(/\.$/, ''), abbreviated: m[1] !== undefined, bracketed: depth > 0 });
  }
  return out;
}

/** `short` is a shortening of `long`: same first letter, its letters in order within it ("reg" of "register", "cnty" of "county"). */
export function isShortening(short: string, long: string): boolean {
  if (short.length < 2 || short.length >= long.length || short[0] !== long[0] || /\d/.test(short)) return false;
  let j = 0;
  for (const c of long) if (c === short[j]) j++;
  return j === short.length;
}

/** The name's words, without a bracketed label ("Jane Roe (DEM)"); a bare "Green" may be a surname. */
export function nameWords(name: string): string[] {
  const all = tokens(name);
  const kept = all.filter((t) => !t.bracketed);
  return (kept.length > 0 ? kept : all).map((t) => t.word);
}

/**
 * The OCR text rewritten toward `name`: party labels the name does not have are dropped,
 * bracketed labels of up to three letters too ("(DEM)", "(D)"), and a word written with a full
 * stop becomes the name's word it shortens ("Reg." → "register", "Cnty." → "county"). Without the
 * stop only a plain prefix of four letters or more counts: OCR makes up short letter runs across
 * rules and marks, and those must not turn into a contest's words.
 */
export function textTowardName(text: string, name: string): string {
  const words = nameWords(name);
  const own = new Set(words);
  const out: string[] = [];
  for (const t of tokens(text)) {
    if (!own.has(t.word) && (PARTY_WORDS.has(t.word) || (t.bracketed && t.word.length <= 3))) continue;
    if (own.has(t.word)) {
      out.push(t.word);
      continue;
    }
    const long = words.find((w) => (t.abbreviated ? isShortening(t.word, w) : t.word.length >= 4 && w.length > t.word.length && w.startsWith(t.word)));
    out.push(long ?? t.word);
  }
  return out.join(' ');
}

/** A heading printed in two languages is matched by either: "Governor / Gobernador" → both, then each part. */
export function nameVariants(name: string): string[] {
  const parts = name.split(/\s*[/|]\s*/).filter((p) => p.replace(/[^a-z0-9]/gi, '').length >= 3);
  return parts.length > 1 ? [name, ...parts] : [name];
}
