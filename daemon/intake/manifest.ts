import { createHash } from 'node:crypto';

/** One file of an intake: its path on the stick (raw bytes, '/'-separated) and SHA-256. */
export interface ManifestEntry {
  readonly relPathRaw: Buffer;
  readonly sha256: string;
}

const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const CR = 0x0d;

/**
 * One line as GNU `sha256sum` prints it, so an auditor can rebuild the hash with coreutils:
 * "<hash>  <name>\n"; a name holding a backslash, newline or carriage return is escaped and the
 * line starts with a backslash (coreutils 9).
 */
export function sha256sumLine(entry: ManifestEntry): Buffer {
  const name = entry.relPathRaw;
  const needsEscape = name.includes(BACKSLASH) || name.includes(NEWLINE) || name.includes(CR);
  if (!needsEscape) return Buffer.concat([Buffer.from(`${entry.sha256}  `), name, Buffer.from('\n')]);
  const out: number[] = [];
  for (const b of name) {
    if (b === BACKSLASH) out.push(BACKSLASH, BACKSLASH);
    else if (b === NEWLINE) out.push(BACKSLASH, 0x6e);
    else if (b === CR) out.push(BACKSLASH, 0x72);
    else out.push(b);
  }
  return Buffer.concat([Buffer.from(`\\${entry.sha256}  `), Buffer.from(out), Buffer.from('\n')]);
}

/**
 * The manifest of what was on a stick: the `sha256sum` lines of every file, sorted bytewise
 * (what `LC_ALL=C sort` does), and the SHA-256 of that text. Reproducible with
 *   cd <stick> && find . -type f -printf '%P\0' | xargs -0 sha256sum | LC_ALL=C sort | sha256sum
 */
export function stickManifest(entries: readonly ManifestEntry[]): { text: Buffer; sha256: string } {
  const lines = entries.map(sha256sumLine).sort(Buffer.compare);
  const text = Buffer.concat(lines);
  return { text, sha256: createHash('sha256').update(text).digest('hex') };
}
