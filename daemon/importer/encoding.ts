import { TextDecoder } from 'node:util';
/**
 * Text encodings seen in EMS exports: UTF-8 (with or without BOM), UTF-16 from Windows tools
 * ("Unicode text"), and Windows-1252 from older spreadsheets. We detect, never guess silently:
 * the chosen encoding is reported back so a warning can name it.
 */
export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export interface DetectedEncoding {
  readonly encoding: TextEncodingName;
  /** Bytes of byte-order mark to skip. */
  readonly bomLength: number;
  /** True when there was no BOM and the encoding was inferred from the bytes. */
  readonly inferred: boolean;
}

export function detectEncoding(sample: Uint8Array): DetectedEncoding {
  const b0 = sample[0];
  const b1 = sample[1];
  const b2 = sample[2];
  if (b0 === 0xef && b1 === 0xbb && b2 === 0xbf) return { encoding: 'utf-8', bomLength: 3, inferred: false };
  if (b0 === 0xff && b1 === 0xfe) return { encoding: 'utf-16le', bomLength: 2, inferred: false };
  if (b0 === 0xfe && b1 === 0xff) return { encoding: 'utf-16be', bomLength: 2, inferred: false };
  // UTF-16 without BOM: ASCII text has a NUL in every other byte.
  const n = Math.min(sample.length, 4096);
  if (n >= 4) {
    let evenNul = 0;
    let oddNul = 0;
    for (let i = 0; i + 1 < n; i += 2) {
      if (sample[i] === 0) evenNul++;
      if (sample[i + 1] === 0) oddNul++;
    }
    const pairs = Math.floor(n / 2);
    if (oddNul > pairs * 0.4 && evenNul < pairs * 0.05) return { encoding: 'utf-16le', bomLength: 0, inferred: true };
    if (evenNul > pairs * 0.4 && oddNul < pairs * 0.05) return { encoding: 'utf-16be', bomLength: 0, inferred: true };
  }
  return { encoding: isValidUtf8Prefix(sample) ? 'utf-8' : 'windows-1252', bomLength: 0, inferred: true };
}

/** Valid UTF-8, allowing a multi-byte sequence cut off at the end of the sample. */
export function isValidUtf8Prefix(sample: Uint8Array): boolean {
  let end = sample.length;
  // Drop an incomplete trailing sequence (at most 3 bytes) so a chunk boundary is not an error.
  for (let back = 1; back <= 3 && end - back >= 0; back++) {
    const byte = sample[end - back];
    if (byte === undefined) break;
    if ((byte & 0xc0) === 0x80) continue; // continuation byte, keep looking for the lead byte
    if (byte >= 0xc0) {
      const need = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
      if (back < need) end -= back;
    }
    break;
  }
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, end));
    return true;
  } catch {
    return false;
  }
}

/** A NUL-free text check: binary files (xls, zip, images) renamed to .csv/.json have NULs. */
export function looksBinary(sample: Uint8Array, encoding: TextEncodingName): boolean {
  if (encoding === 'utf-16le' || encoding === 'utf-16be') return false;
  const n = Math.min(sample.length, 4096);
  for (let i = 0; i < n; i++) if (sample[i] === 0) return true;
  return false;
}

/**
 * Index of the first byte that cannot start or continue UTF-8 in `bytes`, or -1 (a sequence cut
 * off at the end is not an error). Good enough to place an error; TextDecoder decides validity.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] ?? 0;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    for (let k = 1; k <= need; k++) {
      if (i + k >= bytes.length) return -1;
      if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    }
    i += need + 1;
  }
  return -1;
}

function hasNonAscii(bytes: Uint8Array, end = bytes.length): boolean {
  for (let i = 0; i < end; i++) if ((bytes[i] ?? 0) >= 0x80) return true;
  return false;
}

/**
 * Decodes a byte stream to text chunks. UTF-8 is decoded strictly. When UTF-8 was only inferred
 * (no BOM) and the first byte that is not UTF-8 comes after pure ASCII, however far into the file,
 * the file is an old Windows-1252 export: decoding switches once (ASCII reads the same in both)
 * and `onSwitch` is told the byte position. Otherwise the error gives the true byte position.
 */
export async function* decodeChunks(
  chunks: AsyncIterable<Uint8Array>,
  detected: DetectedEncoding,
  onSwitch?: (byteOffset: number) => void,
): AsyncGenerator<string, void, undefined> {
  let decoder = new TextDecoder(detected.encoding, { fatal: detected.encoding === 'utf-8', ignoreBOM: false });
  let skip = detected.bomLength;
  let offset = 0;
  let tail: Uint8Array = new Uint8Array(0); // last bytes of the previous chunk, to place an error across a boundary
  let nonAscii = false;
  let utf8 = detected.encoding === 'utf-8';
  for await (const raw of chunks) {
    let chunk = raw;
    if (skip > 0) {
      const drop = Math.min(skip, chunk.length);
      chunk = chunk.subarray(drop);
      skip -= drop;
      offset += drop;
    }
    try {
      const text = decoder.decode(chunk, { stream: true });
      if (text.length > 0) yield text;
      if (utf8 && !nonAscii) nonAscii = hasNonAscii(chunk);
    } catch {
      const joined = new Uint8Array(tail.length + chunk.length);
      joined.set(tail);
      joined.set(chunk, tail.length);
      const at = firstInvalidUtf8(joined);
      const position = at < 0 ? offset : offset - tail.length + at;
      if (detected.inferred && !nonAscii && !hasNonAscii(joined, at < 0 ? joined.length : at)) {
        decoder = new TextDecoder('windows-1252');
        utf8 = false;
        onSwitch?.(position);
        const text = decoder.decode(chunk, { stream: true });
        if (text.length > 0) yield text;
      } else {
        throw new EncodingError(`text in ${detected.encoding} (the byte at position ${position} is not ${detected.encoding})`);
      }
    }
    offset += chunk.length;
    tail = chunk.subarray(Math.max(0, chunk.length - 3));
  }
  try {
    const tailText = decoder.decode();
    if (tailText.length > 0) yield tailText;
  } catch {
    throw new EncodingError(`complete ${detected.encoding} text at the end of the file (byte ${offset})`);
  }
}

/** Thrown only inside decodeChunks and caught by the parsers that use it. */
export class EncodingError extends Error {
  constructor(readonly expected: string) {
    super(`invalid text encoding: expected ${expected}`);
  }
}

/** Decodes a whole (small) buffer with detection; returns the text and what was detected. */
export function decodeBuffer(buffer: Uint8Array): { text: string; detected: DetectedEncoding } {
  const detected = detectEncoding(buffer.subarray(0, 65536));
  try {
    const text = new TextDecoder(detected.encoding, { fatal: detected.encoding === 'utf-8' }).decode(buffer.subarray(detected.bomLength));
    return { text, detected };
  } catch {
    // Valid UTF-8 at the start but not later: an old spreadsheet's Windows-1252 bytes.
    const fallback: DetectedEncoding = { encoding: 'windows-1252', bomLength: 0, inferred: true };
    return { text: new TextDecoder('windows-1252').decode(buffer), detected: fallback };
  }
}
