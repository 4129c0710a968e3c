import { createHash } from 'node:crypto';

/**
 * Names on the drives must be storable on exFAT and FAT32 and must read back the same through
 * `sha256sum -c` and BagIt manifests. So every path segment is escaped the same way on every
 * drive type:
 *   - `^` is the escape character: a character c becomes `^XX` (XX = its UTF-8 bytes in hex, each `^XX`);
 *   - escaped: `^` itself, `%` (BagIt percent-encodes it in manifests, sha256sum does not),
 *     `"*:<>?\|`, control characters (0x00-0x1F, 0x7F), every non-ASCII character (FAT drivers differ
 *     in code pages and case tables, and fusefat refuses them; ASCII names read back the same
 *     everywhere, decades later), trailing dots and spaces, and the first
 *     character of reserved device names (CON, PRN, AUX, NUL, COM1-9, LPT1-9, CONIN$, CONOUT$);
 *   - a segment longer than 255 bytes of UTF-8 (Linux NAME_MAX; fusefat enforces it, and it is
 *     within FAT/exFAT's 255 UTF-16 units) is cut and given `^~` + a hash (not reversible by
 *     itself: the original name is always recorded in the bag's ballotsafe-files.tsv);
 *   - names equal ignoring case (exFAT/FAT fold case) get `^~2`, `^~3`... before the extension.
 * Decoding (`unescapeSegment`) reverses the `^XX` escapes.
 */

const forbidden = new Set(['"', '*', ':', '<', '>', '?', '\\', '|', '^', '%', '/']);
const reserved = /^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9]|CONIN\$|CONOUT\$)(\..*)?$/i;
export const maxSegmentBytes = 255;

function hexEscape(ch: string): string {
  return [...Buffer.from(ch, 'utf8')].map((b) => `^${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

function needsEscape(ch: string): boolean {
  const code = ch.codePointAt(0) ?? 0;
  return code < 0x20 || code >= 0x7f || forbidden.has(ch);
}

export function escapeSegment(segment: string): string {
  const chars = [...segment];
  // Trailing dots and spaces are dropped silently by FAT/exFAT drivers: escape the whole run.
  let trailStart = chars.length;
  while (trailStart > 0 && (chars[trailStart - 1] === '.' || chars[trailStart - 1] === ' ')) trailStart--;
  // One token per original character, so a cut never splits a character or an escape.
  const tokens = chars.map((ch, i) => (needsEscape(ch) || i >= trailStart ? hexEscape(ch) : ch));
  if (tokens.length === 0) return '^~empty';
  if (reserved.test(tokens.join(''))) tokens[0] = hexEscape(chars[0] ?? '');
  const out = tokens.join('');
  if (Buffer.byteLength(out) <= maxSegmentBytes) return out;
  const digest = createHash('sha256').update(segment, 'utf8').digest('hex').slice(0, 16);
  const dot = out.lastIndexOf('.');
  const ext = dot > 0 && out.length - dot <= 16 ? out.slice(dot) : '';
  const budget = maxSegmentBytes - Buffer.byteLength(ext) - 2 - digest.length;
  let head = '';
  for (const t of tokens) {
    if (Buffer.byteLength(head) + Buffer.byteLength(t) > budget) break;
    head += t;
  }
  return `${head}^~${digest}${ext}`;
}

export function unescapeSegment(stored: string): string {
  const bytes: number[] = [];
  const buf: Buffer[] = [];
  const flush = () => {
    if (bytes.length > 0) buf.push(Buffer.from(bytes.splice(0)));
  };
  for (let i = 0; i < stored.length; ) {
    const m = /^\^([0-9A-F]{2})/.exec(stored.slice(i, i + 3));
    if (m?.[1] !== undefined) {
      bytes.push(parseInt(m[1], 16));
      i += 3;
      continue;
    }
    flush();
    const cp = stored.codePointAt(i) ?? 0;
    const ch = String.fromCodePoint(cp);
    buf.push(Buffer.from(ch, 'utf8'));
    i += ch.length;
  }
  flush();
  return Buffer.concat(buf).toString('utf8');
}

/** exFAT compares names through an upcase table; Unicode upper-casing is a close, safe stand-in. */
export function foldCase(name: string): string {
  return name.normalize('NFC').toUpperCase();
}

/**
 * Assigns stored paths for one bag: escapes every segment and keeps names that differ only in case
 * apart (per directory). Deterministic for a given input order.
 */
export class StoredPathAllocator {
  /** stored dir path -> folded child name -> original (unescaped) child segment */
  private readonly dirs = new Map<string, Map<string, string>>();

  allocate(segments: readonly string[]): string {
    let parent = '';
    for (const seg of segments) {
      let children = this.dirs.get(parent);
      if (children === undefined) {
        children = new Map();
        this.dirs.set(parent, children);
      }
      let stored = escapeSegment(seg);
      let n = 1;
      for (;;) {
        const owner = children.get(foldCase(stored));
        if (owner === undefined) {
          children.set(foldCase(stored), seg);
          break;
        }
        if (owner === seg) break; // same directory or file name seen before
        n++;
        const base = escapeSegment(seg);
        const dot = base.lastIndexOf('.');
        stored = dot > 0 ? `${base.slice(0, dot)}^~${n}${base.slice(dot)}` : `${base}^~${n}`;
      }
      // Remember the case-distinct spelling actually used for this original segment.
      parent = parent === '' ? stored : `${parent}/${stored}`;
    }
    return parent;
  }
}
