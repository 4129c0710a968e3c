import yauzl from 'yauzl';
import { err, ok, type Result } from '../core/result.ts';
import { parseError } from './errors.ts';

/**
 * An .xlsx is a zip. exceljs inflates every part into memory, so a crafted file ("zip bomb")
 * could exhaust the appliance's memory. Before exceljs sees the bytes we read the zip's central
 * directory (yauzl), reject entries whose declared sizes or compression ratios are implausible
 * for a spreadsheet, and then inflate each entry once while counting bytes, so an entry that
 * lies about its size is caught too (yauzl stops when inflated bytes exceed the declared size).
 */
export interface ZipLimits {
  readonly maxEntries: number;
  readonly maxEntryBytes: number;
  readonly maxTotalBytes: number;
  /** Uncompressed/compressed ratio allowed for entries above 1 MB. */
  readonly maxRatio: number;
}

export const xlsxLimits: ZipLimits = {
  maxEntries: 10_000,
  maxEntryBytes: 512 * 1024 * 1024,
  maxTotalBytes: 1024 * 1024 * 1024,
  maxRatio: 200,
};

interface EntryInfo {
  readonly fileName: string;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
}

function listEntries(source: Buffer | string): Promise<{ zip: yauzl.ZipFile; entries: yauzl.Entry[] } | { error: string }> {
  return new Promise((resolve) => {
    const options = { lazyEntries: true, validateEntrySizes: true, strictFileNames: false, autoClose: false };
    const open = (cb: (e: Error | null, zip?: yauzl.ZipFile) => void) => (typeof source === 'string' ? yauzl.open(source, options, cb) : yauzl.fromBuffer(source, options, cb));
    open((e, zip) => {
      if (e !== null || zip === undefined) {
        resolve({ error: e?.message ?? 'unreadable zip' });
        return;
      }
      const entries: yauzl.Entry[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        entries.push(entry);
        if (entries.length > xlsxLimits.maxEntries + 1) {
          resolve({ zip, entries });
          return;
        }
        zip.readEntry();
      });
      zip.on('end', () => resolve({ zip, entries }));
      zip.on('error', (e2: Error) => resolve({ error: e2.message }));
      zip.readEntry();
    });
  });
}

function inflateCount(zip: yauzl.ZipFile, entry: yauzl.Entry, cap: number): Promise<number | { error: string }> {
  return new Promise((resolve) => {
    zip.openReadStream(entry, (e, stream) => {
      if (e !== null || stream === undefined) {
        resolve({ error: e?.message ?? 'unreadable entry' });
        return;
      }
      let n = 0;
      stream.on('data', (chunk: Buffer) => {
        n += chunk.length;
        if (n > cap) {
          stream.destroy();
          resolve({ error: `inflates to more than ${cap} bytes` });
        }
      });
      stream.on('end', () => resolve(n));
      stream.on('error', (e2: Error) => resolve({ error: e2.message }));
    });
  });
}

/** Checks an xlsx/zip buffer; ok means exceljs may load it. Never throws. */
export async function checkZipBuffer(buffer: Buffer, file: string, limits: ZipLimits = xlsxLimits): Promise<Result<readonly EntryInfo[]>> {
  if (buffer.length < 4 || buffer.readUInt32LE(0) !== 0x04034b50) return err(parseError('import-bad-xlsx', file, undefined, 'an Excel .xlsx file (a zip archive)', 'other data'));
  return checkZip(buffer, file, limits, () => true);
}

/**
 * Checks an xlsx on disk without reading it into memory. `verify` picks the parts inflated once
 * to prove their declared size (the parts a streaming reader keeps in memory, such as shared
 * strings); the others are bounded by the central directory checks and read as a stream.
 */
export async function checkZipFile(path: string, file: string, verify: (part: string) => boolean, limits: ZipLimits = xlsxLimits): Promise<Result<readonly EntryInfo[]>> {
  return checkZip(path, file, limits, verify);
}

async function checkZip(source: Buffer | string, file: string, limits: ZipLimits, verify: (part: string) => boolean): Promise<Result<readonly EntryInfo[]>> {
  const bad = (expected: string, got?: string) => err(parseError('import-bad-xlsx', file, undefined, expected, got));
  try {
    const listed = await listEntries(source);
    if ('error' in listed) return bad('a readable .xlsx (zip) file', listed.error);
    const { zip, entries } = listed;
    try {
      return await checkEntries(zip, entries, limits, verify, bad);
    } finally {
      zip.close();
    }
  } catch (e) {
    return bad('a readable .xlsx (zip) file', e instanceof Error ? e.message : String(e));
  }
}

async function checkEntries(
  zip: yauzl.ZipFile,
  entries: yauzl.Entry[],
  limits: ZipLimits,
  verify: (part: string) => boolean,
  bad: (expected: string, got?: string) => Result<never>,
): Promise<Result<readonly EntryInfo[]>> {
  if (entries.length > limits.maxEntries) return bad(`at most ${limits.maxEntries} parts in the .xlsx`, `more`);
  let total = 0;
  for (const e of entries) {
    total += e.uncompressedSize;
    if (e.uncompressedSize > limits.maxEntryBytes) {
      return bad(`parts under ${limits.maxEntryBytes / 1048576} MB uncompressed (zip bomb protection)`, `"${e.fileName}" of ${e.uncompressedSize} bytes`);
    }
    if (e.uncompressedSize > 1048576 && e.uncompressedSize > limits.maxRatio * Math.max(1, e.compressedSize)) {
      return bad(`a compression ratio under ${limits.maxRatio}:1 (zip bomb protection)`, `"${e.fileName}" at ${Math.round(e.uncompressedSize / Math.max(1, e.compressedSize))}:1`);
    }
  }
  if (total > limits.maxTotalBytes) return bad(`under ${limits.maxTotalBytes / 1048576} MB uncompressed in total (zip bomb protection)`, `${total} bytes`);
  for (const e of entries) {
    if (e.fileName.endsWith('/') || !verify(e.fileName)) continue;
    const n = await inflateCount(zip, e, e.uncompressedSize);
    if (typeof n !== 'number') return bad(`part "${e.fileName}" to inflate to its declared ${e.uncompressedSize} bytes`, n.error);
  }
  return ok(entries.map((e) => ({ fileName: e.fileName, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize })));
}
