import { isUtf8 } from 'node:buffer';

/**
 * File names on Linux are bytes, not text. The catalog stores a readable, reversible text form:
 * valid UTF-8 sequences stay as they are, every byte of an invalid sequence becomes %XX and a
 * literal '%' becomes %25. `rel_path_raw` keeps the exact bytes.
 */

const HEX = '0123456789ABCDEF';

function pct(byte: number): string {
  return `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0 when the byte there starts none. */
function validSequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  if (b0 < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => {
    const b = bytes[i + k];
    return b !== undefined && b >= lo && b <= hi;
  };
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0; // no overlongs
  if (b0 === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0; // no surrogates
  if (b0 >= 0xe1 && b0 <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b0 === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b0 >= 0xf1 && b0 <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b0 === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0; // <= U+10FFFF
  return 0;
}

/** Bytes of a name or relative path → catalog text (reversible with decodePathText). */
export function encodePathBytes(bytes: Uint8Array): string {
  // Fast path (nearly every name): valid UTF-8 without '%', checked natively.
  if (isUtf8(bytes) && bytes.indexOf(0x25) < 0) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  let out = '';
  let runStart = 0;
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const n = b === 0x25 ? 0 : validSequenceLength(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    out += buf.toString('utf8', runStart, i) + pct(b);
    i += 1;
    runStart = i;
  }
  return out + buf.toString('utf8', runStart, buf.length);
}

/** Catalog text → the exact bytes of the name. */
export function decodePathText(text: string): Buffer {
  const parts: Buffer[] = [];
  let runStart = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '%') continue;
    const hex = text.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new Error(`not an escaped path: ${text}`);
    parts.push(Buffer.from(text.slice(runStart, i), 'utf8'), Buffer.from([parseInt(hex, 16)]));
    i += 2;
    runStart = i + 1;
  }
  parts.push(Buffer.from(text.slice(runStart), 'utf8'));
  return Buffer.concat(parts);
}

const SLASH = Buffer.from('/');

/** Joins a relative directory (empty for the root) and a name, as bytes. */
export function joinRel(dir: Buffer, name: Buffer): Buffer {
  return dir.length === 0 ? Buffer.from(name) : Buffer.concat([dir, SLASH, name]);
}

/**
 * The catalog's directory key of a relative path: everything up to and including the last '/',
 * '' for files at the top of a root. Matches the SQL expression in schema.ts
 * (rtrim(rel_path, replace(rel_path, '/', ''))).
 */
export function dirKeyOf(relPath: string): string {
  const slash = relPath.lastIndexOf('/');
  return slash < 0 ? '' : relPath.slice(0, slash + 1);
}

/** Directory key of a directory given by its relative path ('' for the root itself). */
export function dirKeyForDir(relDir: string): string {
  return relDir === '' ? '' : `${relDir}/`;
}
