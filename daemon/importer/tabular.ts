import { createReadStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { parse as csvParse } from 'csv-parse';
import { parse as csvParseSync } from 'csv-parse/sync';
import { TextDecoder } from 'node:util';
import ExcelJS from 'exceljs';
import { err, ok, type OperatorError, type Result } from '../core/result.ts';
import { decodeChunks, firstInvalidUtf8, detectEncoding, EncodingError, looksBinary, type DetectedEncoding } from './encoding.ts';
import { internalParseError, parseError } from './errors.ts';
import { checkZipBuffer } from './zipGuard.ts';
import type { ByteInput } from './jsonStream.ts';

/**
 * One row-callback interface over CSV (streamed, any common encoding) and XLSX (zip-checked,
 * then loaded with exceljs). Row numbers are 1-based as a spreadsheet program shows them.
 */
export type RowHandler = (cells: readonly string[], rowNumber: number) => OperatorError | undefined;

export interface TableSummary {
  readonly rows: number;
  readonly encoding: string;
  readonly warnings: readonly string[];
  readonly sheet?: string;
}

export type TableKind = 'csv' | 'xlsx';

export function tableKindOf(fileName: string): TableKind | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.csv') || lower.endsWith('.txt')) return 'csv';
  if (lower.endsWith('.xlsx') || lower.endsWith('.xlsm')) return 'xlsx';
  return undefined;
}

export async function readHead(path: string, bytes = 65536): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buffer, 0, bytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

export interface CsvOptions {
  /** Accept quotes inside unquoted cells (Dominion writes ="123" to stop Excel reformatting ids). */
  readonly relaxQuotes?: boolean;
}

export async function readCsvRows(path: ByteInput, file: string, onRow: RowHandler, options: CsvOptions = {}): Promise<Result<TableSummary>> {
  try {
    const head = typeof path === 'string' ? await readHead(path) : path.subarray(0, 65536);
    if (head.length === 0) return err(parseError('import-bad-csv', file, undefined, 'a CSV file with a header row', 'an empty file'));
    const detected = detectEncoding(head);
    if (looksBinary(head, detected.encoding)) return err(parseError('import-bad-csv', file, 'byte 0', 'a text CSV file', 'binary data (an .xls or .zip renamed to .csv?)'));
    const warnings: string[] = [];
    if (detected.encoding !== 'utf-8') warnings.push(`${file}: read as ${detected.encoding}${detected.inferred ? ' (detected from the bytes)' : ''}.`);
    if (typeof path !== 'string') return readCsvBytes(path, file, detected, warnings, onRow, options);
    const bytes = createReadStream(path, { highWaterMark: 1 << 20 });
    const parser = csvParse({
      relax_column_count: true,
      max_record_size: 16 * 1024 * 1024,
      info: true,
      skip_empty_lines: false,
      relax_quotes: options.relaxQuotes === true,
    });
    const text = Readable.from(
      decodeChunks(bytes, detected, (at) => warnings.push(`${file}: read as windows-1252 (the first byte that is not UTF-8 is at position ${at}; everything before it was plain ASCII).`)),
    );
    text.on('error', (e) => parser.destroy(e));
    text.pipe(parser);
    let rows = 0;
    try {
      for await (const item of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
        rows++;
        const stop = onRow(item.record, item.info.lines);
        if (stop !== undefined) {
          text.destroy();
          bytes.destroy();
          return err(stop);
        }
      }
    } catch (e) {
      bytes.destroy();
      if (e instanceof EncodingError) return err(parseError('import-bad-encoding', file, undefined, e.expected));
      const lines = (e as { lines?: number }).lines;
      const message = e instanceof Error ? e.message : String(e);
      return err(parseError('import-bad-csv', file, lines === undefined ? undefined : `row ${lines}`, 'valid CSV (quoted fields closed, commas between fields)', message.replace(/^.*?: /, '')));
    }
    return ok({ rows, encoding: detected.encoding, warnings });
  } catch (e) {
    return err(internalParseError(file, e));
  }
}

/** Bytes already in memory: decode and parse in one synchronous pass (no stream plumbing). */
function readCsvBytes(bytes: Uint8Array, file: string, detected: DetectedEncoding, warnings: string[], onRow: RowHandler, options: CsvOptions): Result<TableSummary> {
  let text: string;
  try {
    text = new TextDecoder(detected.encoding, { fatal: detected.encoding === 'utf-8' }).decode(bytes.subarray(detected.bomLength));
  } catch {
    // Same rule as the streamed path: ASCII up to the first bad byte means Windows-1252.
    const body = bytes.subarray(detected.bomLength);
    const at = firstInvalidUtf8(body);
    const asciiBefore = at >= 0 && body.subarray(0, at).every((b) => b < 0x80);
    if (!detected.inferred || !asciiBefore) {
      return err(parseError('import-bad-encoding', file, undefined, `text in ${detected.encoding} (the byte at position ${at < 0 ? 0 : at + detected.bomLength} is not ${detected.encoding})`));
    }
    text = new TextDecoder('windows-1252').decode(body);
    warnings.push(`${file}: read as windows-1252 (the first byte that is not UTF-8 is at position ${at}; everything before it was plain ASCII).`);
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = csvParseSync(text, { relax_column_count: true, max_record_size: 16 * 1024 * 1024, info: true, skip_empty_lines: false, relax_quotes: options.relaxQuotes === true }) as unknown as typeof records;
  } catch (e) {
    const lines = (e as { lines?: number }).lines;
    const message = e instanceof Error ? e.message : String(e);
    return err(parseError('import-bad-csv', file, lines === undefined ? undefined : `row ${lines}`, 'valid CSV (quoted fields closed, commas between fields)', message.replace(/^.*?: /, '')));
  }
  for (const item of records) {
    const stop = onRow(item.record, item.info.lines);
    if (stop !== undefined) return err(stop);
  }
  return ok({ rows: records.length, encoding: detected.encoding, warnings });
}

function cellText(cell: ExcelJS.Cell): string {
  const v = cell.value;
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString();
  try {
    return cell.text ?? '';
  } catch {
    return '';
  }
}

const maxXlsxBytes = 256 * 1024 * 1024;

/** Loads an xlsx after the zip-bomb check and walks the first worksheet that has rows. */
export async function readXlsxRows(path: ByteInput, file: string, onRow: RowHandler, sheetName?: string): Promise<Result<TableSummary>> {
  try {
    const size = typeof path === 'string' ? (await stat(path)).size : path.length;
    if (size > maxXlsxBytes) return err(parseError('import-too-large', file, undefined, `an .xlsx under ${maxXlsxBytes / 1048576} MB`, `${size} bytes`));
    const buffer = typeof path === 'string' ? await readFile(path) : Buffer.from(path);
    return await readXlsxBuffer(buffer, file, onRow, sheetName);
  } catch (e) {
    return err(internalParseError(file, e));
  }
}

export async function readXlsxBuffer(buffer: Buffer, file: string, onRow: RowHandler, sheetName?: string): Promise<Result<TableSummary>> {
  const checked = await checkZipBuffer(buffer, file);
  if (!checked.ok) return checked;
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(buffer as unknown as ArrayBuffer);
  } catch (e) {
    return err(parseError('import-bad-xlsx', file, undefined, 'a valid Excel workbook', e instanceof Error ? e.message : String(e)));
  }
  try {
    const sheet =
      (sheetName !== undefined ? workbook.worksheets.find((w) => w.name.toLowerCase() === sheetName.toLowerCase()) : undefined) ??
      workbook.worksheets.find((w) => w.actualRowCount > 0);
    if (sheet === undefined) return err(parseError('import-bad-xlsx', file, undefined, 'a worksheet with rows', 'an empty workbook'));
    let rows = 0;
    let stop: OperatorError | undefined;
    const last = sheet.rowCount;
    for (let r = 1; r <= last && stop === undefined; r++) {
      const row = sheet.getRow(r);
      const cells: string[] = [];
      const width = row.cellCount;
      for (let c = 1; c <= width; c++) cells.push(cellText(row.getCell(c)));
      rows++;
      stop = onRow(cells, r);
    }
    if (stop !== undefined) return err(stop);
    return ok({ rows, encoding: 'xlsx', warnings: [], sheet: sheet.name });
  } catch (e) {
    return err(internalParseError(file, e));
  }
}

export async function readTableRows(path: ByteInput, file: string, kind: TableKind, onRow: RowHandler): Promise<Result<TableSummary>> {
  return kind === 'csv' ? readCsvRows(path, file, onRow) : readXlsxRows(path, file, onRow);
}

/** Header matching that ignores case, spaces vs underscores and surrounding whitespace. */
export function normalizeHeader(h: string): string {
  return h.trim().toLowerCase().replace(/[\s_]+/g, ' ');
}

export function isBlankRow(cells: readonly string[]): boolean {
  return cells.every((c) => c.trim() === '');
}
