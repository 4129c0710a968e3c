import { createReadStream } from 'node:fs';
import { TextDecoder } from 'node:util';
import { err, ok, type OperatorError, type Result } from '../core/result.ts';
import { detectEncoding, isValidUtf8Prefix, looksBinary } from './encoding.ts';
import { parseError, internalParseError } from './errors.ts';

/**
 * Streams the elements of one top-level array of a JSON object (Dominion `Sessions`, NIST `CVR`)
 * without holding the file in memory: a byte-level scanner checks the object/array structure and
 * cuts out each element, which JSON.parse then reads. stream-json's token parser was measured at
 * ~6,000 Dominion sessions/s, far too slow for a 1,000,000-ballot county; this runs ~20x faster.
 * Other top-level values (Version, ElectionId, Election, ...) are parsed and returned whole,
 * up to a size limit.
 */
export interface ArrayStreamOptions {
  /** Name shown in errors, e.g. "cvr-exports:CvrExport_12.json". */
  readonly file: string;
  readonly arrayKey: string;
  /** Called for each element; returning an error stops the stream with that error. */
  readonly onElement: (value: unknown, index: number) => OperatorError | undefined;
  /** Largest single element (a session is a few KB; a bigger one is a broken file). */
  readonly maxElementBytes?: number;
  /** Largest other top-level value. */
  readonly maxOtherBytes?: number;
  /** Bytes to read per chunk. */
  readonly highWaterMark?: number;
}

export interface ArrayStreamSummary {
  readonly elements: number;
  readonly sawArray: boolean;
  readonly others: Readonly<Record<string, unknown>>;
  readonly encoding: string;
  readonly warnings: readonly string[];
}

const enum S {
  Start,
  KeyOrEnd,
  Key,
  Colon,
  ValueStart,
  Value,
  AfterValue,
  ArrayElemOrEnd,
  ArrayElem,
  Elem,
  AfterElem,
  End,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

function isWs(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

function printable(b: number): string {
  return b >= 0x20 && b < 0x7f ? JSON.stringify(String.fromCharCode(b)) : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/** Input of a parser: a file path, or the bytes themselves (tests, fuzzing, small uploads). */
export type ByteInput = string | Uint8Array;

/** Reads a file (or bytes) and streams it; never throws. */
export async function streamJsonArrayFile(input: ByteInput, options: ArrayStreamOptions): Promise<Result<ArrayStreamSummary>> {
  try {
    if (typeof input !== 'string') return await streamJsonArray([input], options);
    const stream = createReadStream(input, { highWaterMark: options.highWaterMark ?? 1 << 20 });
    return await streamJsonArray(stream, options);
  } catch (e) {
    return err(internalParseError(options.file, e));
  }
}

export async function streamJsonArray(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: ArrayStreamOptions,
): Promise<Result<ArrayStreamSummary>> {
  const { file, arrayKey } = options;
  const maxElement = options.maxElementBytes ?? 64 * 1024 * 1024;
  const maxOther = options.maxOtherBytes ?? 16 * 1024 * 1024;
  const utf8Strict = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('windows-1252');
  const warnings: string[] = [];
  const others: Record<string, unknown> = {};

  let state = S.Start as S;
  let offset = 0; // absolute byte offset of the current chunk's start
  let detectedName = 'utf-8';
  let transcoder: TextDecoder | undefined; // set for UTF-16 / Windows-1252 input
  let first = true;
  let warnedLatin1 = false;

  // Capture of the current key / value / element, possibly spanning chunks.
  let parts: Uint8Array[] = [];
  let partsBytes = 0;
  let capStart = 0; // index in current chunk where capture started (or 0 after a chunk switch)
  let capBegin = 0; // absolute offset where the capture began
  let depth = 0;
  let inString = false;
  let escape = false;
  let primitive = false;
  let key = '';
  let elements = 0;
  let sawArray = false;

  /** Starts capturing one value or element at index `at` of the current chunk. */
  const beginCapture = (at: number, absolute: number): void => {
    parts = [];
    partsBytes = 0;
    capStart = at;
    capBegin = absolute;
    depth = 0;
    inString = false;
    escape = false;
    primitive = false;
  };

  const fail = (where: string | undefined, expected: string, got?: string): Result<ArrayStreamSummary> =>
    err(parseError('import-bad-json', file, where, expected, got));

  const decodeCaptured = (): string => {
    const bytes = parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts, partsBytes);
    try {
      return utf8Strict.decode(bytes);
    } catch {
      if (!warnedLatin1) {
        warnings.push(`${file}: text near byte ${capBegin} is not UTF-8; read as Windows-1252 (Latin-1).`);
        warnedLatin1 = true;
      }
      return latin1.decode(bytes);
    }
  };

  const parseCaptured = (): { value: unknown } | { error: string } => {
    const text = decodeCaptured();
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (e) {
      return { error: e instanceof Error ? e.message : String(e) };
    }
  };

  try {
    for await (const rawChunk of source) {
      let chunk: Uint8Array = rawChunk;
      if (first) {
        first = false;
        const detected = detectEncoding(chunk);
        detectedName = detected.encoding;
        if (detected.encoding === 'utf-8' && detected.bomLength > 0) {
          chunk = chunk.subarray(detected.bomLength);
          offset += detected.bomLength;
        } else if (detected.encoding !== 'utf-8') {
          transcoder = new TextDecoder(detected.encoding);
          warnings.push(`${file}: read as ${detected.encoding}${detected.inferred ? ' (no byte-order mark; detected from the bytes)' : ''}.`);
        } else if (looksBinary(chunk, detected.encoding)) {
          return fail('byte 0', 'a JSON text file', 'binary data');
        } else if (!isValidUtf8Prefix(chunk)) {
          warnings.push(`${file}: not UTF-8 at the start; text read as Windows-1252 where needed.`);
        }
      }
      if (transcoder !== undefined) {
        // Re-encode to UTF-8 so the scanner works on one byte format; offsets then refer to UTF-8.
        chunk = Buffer.from(transcoder.decode(chunk, { stream: true }), 'utf8');
      }
      const len = chunk.length;
      capStart = 0;
      let i = 0;
      while (i < len) {
        const b = chunk[i] as number;
        switch (state) {
          case S.Start:
            if (isWs(b)) break;
            if (b !== LBRACE) return fail(`byte ${offset + i}`, `a JSON object starting with "{"`, printable(b));
            state = S.KeyOrEnd;
            break;
          case S.KeyOrEnd:
            if (isWs(b)) break;
            if (b === RBRACE) {
              state = S.End;
              break;
            }
            if (b !== QUOTE) return fail(`byte ${offset + i}`, 'a quoted key in the top-level object', printable(b));
            state = S.Key;
            parts = [];
            partsBytes = 0;
            capStart = i;
            capBegin = offset + i;
            escape = false;
            break;
          case S.Key:
            if (escape) escape = false;
            else if (b === BACKSLASH) escape = true;
            else if (b === QUOTE) {
              const piece = chunk.subarray(capStart, i + 1);
              parts.push(piece);
              partsBytes += piece.length;
              const parsed = parseCaptured();
              if ('error' in parsed || typeof parsed.value !== 'string') return fail(`byte ${capBegin}`, 'a valid key string', 'error' in parsed ? parsed.error : undefined);
              key = parsed.value;
              state = S.Colon;
            } else if (offset + i - capBegin > 4096) return fail(`byte ${capBegin}`, 'a top-level key shorter than 4 KB');
            break;
          case S.Colon:
            if (isWs(b)) break;
            if (b !== COLON) return fail(`byte ${offset + i}`, `":" after key "${key}"`, printable(b));
            state = S.ValueStart;
            break;
          case S.ValueStart:
            if (isWs(b)) break;
            if (key === arrayKey) {
              if (b !== LBRACKET) return fail(`key "${arrayKey}" (byte ${offset + i})`, 'a list "[...]"', printable(b));
              if (sawArray) return fail(`key "${arrayKey}" (byte ${offset + i})`, `"${arrayKey}" only once`);
              sawArray = true;
              state = S.ArrayElemOrEnd;
              break;
            }
            state = S.Value;
            beginCapture(i, offset + i);
            continue; // re-read this byte in the capture state
          case S.ArrayElemOrEnd:
          case S.ArrayElem:
            if (isWs(b)) break;
            if (b === RBRACKET) {
              if (state === S.ArrayElem) return fail(`${arrayKey}[${elements}] (byte ${offset + i})`, 'another element after ","', '"]"');
              state = S.AfterValue;
              break;
            }
            state = S.Elem;
            beginCapture(i, offset + i);
            continue;
          case S.Value:
          case S.Elem: {
            // Generic capture of one JSON value, in a tight loop (this is the hot path): ends when
            // depth returns to 0, or at the delimiter after a bare number/true/false/null.
            let done = false;
            let endIndex = len; // exclusive
            while (i < len) {
              const c = chunk[i] as number;
              if (inString) {
                if (escape) escape = false;
                else if (c === BACKSLASH) escape = true;
                else if (c === QUOTE) {
                  inString = false;
                  if (depth === 0) {
                    done = true;
                    endIndex = i + 1;
                    break;
                  }
                }
              } else if (primitive) {
                if (c === COMMA || c === RBRACE || c === RBRACKET || isWs(c)) {
                  done = true;
                  endIndex = i; // the delimiter is not part of the value
                  break;
                }
              } else if (c === QUOTE) {
                inString = true;
              } else if (c === LBRACE || c === LBRACKET) {
                depth++;
              } else if (c === RBRACE || c === RBRACKET) {
                depth--;
                if (depth === 0) {
                  done = true;
                  endIndex = i + 1;
                  break;
                }
                if (depth < 0) return fail(`byte ${offset + i}`, 'a JSON value', printable(c));
              } else if (depth === 0 && !isWs(c)) {
                primitive = true;
              }
              i++;
            }
            const limit = state === S.Elem ? maxElement : maxOther;
            if (offset + endIndex - capBegin > limit) {
              const where = state === S.Elem ? `${arrayKey}[${elements}] (byte ${capBegin})` : `key "${key}" (byte ${capBegin})`;
              return fail(where, `a value smaller than ${Math.round(limit / 1048576)} MB`);
            }
            if (!done) {
              i = len; // the value continues in the next chunk
              continue;
            }
            const piece = chunk.subarray(capStart, endIndex);
            parts.push(piece);
            partsBytes += piece.length;
            const parsed = parseCaptured();
            parts = [];
            if (state === S.Elem) {
              if ('error' in parsed) return fail(`${arrayKey}[${elements}] (byte ${capBegin})`, 'valid JSON', parsed.error);
              const stop = options.onElement(parsed.value, elements);
              if (stop !== undefined) return err(stop);
              elements++;
              state = S.AfterElem;
            } else {
              if ('error' in parsed) return fail(`key "${key}" (byte ${capBegin})`, 'valid JSON', parsed.error);
              others[key] = parsed.value;
              state = S.AfterValue;
            }
            i = endIndex;
            continue;
          }
          case S.AfterElem:
            if (isWs(b)) break;
            if (b === COMMA) state = S.ArrayElem;
            else if (b === RBRACKET) state = S.AfterValue;
            else return fail(`${arrayKey}[${elements}] (byte ${offset + i})`, '"," or "]" between elements', printable(b));
            break;
          case S.AfterValue:
            if (isWs(b)) break;
            if (b === COMMA) state = S.KeyOrEnd;
            else if (b === RBRACE) state = S.End;
            else return fail(`byte ${offset + i}`, `"," or "}" after key "${key}"`, printable(b));
            break;
          case S.End:
            if (!isWs(b)) return fail(`byte ${offset + i}`, 'nothing after the closing "}"', printable(b));
            break;
        }
        i++;
      }
      // Carry a capture that continues in the next chunk.
      if (state === S.Key || state === S.Value || state === S.Elem) {
        const piece = chunk.subarray(capStart, len);
        parts.push(Buffer.from(piece)); // copy: the stream may reuse its buffer
        partsBytes += piece.length;
      }
      offset += len;
    }
    if (first) return fail(undefined, 'a JSON object', 'an empty file');
    if (state !== S.End) {
      const where = state === S.Elem || state === S.ArrayElem || state === S.ArrayElemOrEnd || state === S.AfterElem ? `${arrayKey}[${elements}]` : `byte ${offset}`;
      return fail(where, 'the rest of the JSON (the file ends too early; is it still being written or truncated?)');
    }
    return ok({ elements, sawArray, others, encoding: detectedName, warnings });
  } catch (e) {
    return err(internalParseError(file, e));
  }
}
