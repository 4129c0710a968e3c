import yauzl from 'yauzl';
import { err, ok, type Result } from '../result.ts';
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

function listEntries(buffer: Buffer): Promise<{ zip: yauzl.ZipFile; entries: yauzl.Entry[] } | { error: string }> {
  return new Promise((resolve) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false }, (e, zip) => {
      if (e !== null || zip === undefined) {
        resolve({ error: e?.message ?? 'unreadable zip' });
        return;
      }
      const entries: yauzl.Entry[] = [];
      zip.on('entry', (entry: yauzl.Entry) => {
        entries.push(entry);
        if (entries.length > xlsxLimits.maxEntries + 1) {
          zip.close();
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
  const bad = (expected: string, got?: string) => err(parseError('import-bad-xlsx', file, undefined, expected, got));
  try {
    if (buffer.length < 4 || buffer.readUInt32LE(0) !== 0x04034b50) return bad('an Excel .xlsx file (a zip archive)', 'other data');
    const listed = await listEntries(buffer);
    if ('error' in listed) return bad('a readable .xlsx (zip) file', listed.error);
    const { zip, entries } = listed;
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
      if (e.fileName.endsWith('/')) continue;
      const n = await inflateCount(zip, e, e.uncompressedSize);
      if (typeof n !== 'number') return bad(`part "${e.fileName}" to inflate to its declared ${e.uncompressedSize} bytes`, n.error);
    }
    zip.close();
    return ok(entries.map((e) => ({ fileName: e.fileName, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize })));
  } catch (e) {
    return bad('a readable .xlsx (zip) file', e instanceof Error ? e.message : String(e));
  }
}
