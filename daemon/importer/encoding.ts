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
 * Decodes a byte stream to text chunks. UTF-8 is decoded strictly: an invalid byte sequence
 * later in a file stops with an error giving its byte offset rather than inventing characters.
 */
export async function* decodeChunks(
  chunks: AsyncIterable<Uint8Array>,
  detected: DetectedEncoding,
): AsyncGenerator<string, void, undefined> {
  const decoder = new TextDecoder(detected.encoding, { fatal: detected.encoding === 'utf-8', ignoreBOM: false });
  let skip = detected.bomLength;
  let offset = 0;
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
    } catch {
      throw new EncodingError(`text in ${detected.encoding} near byte ${offset}`);
    }
    offset += chunk.length;
  }
  try {
    const tail = decoder.decode();
    if (tail.length > 0) yield tail;
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
