import ExcelJS from 'exceljs';
import { err, ok, type OperatorError, type Result } from '../core/result.ts';
import { parseError } from './errors.ts';
import type { RowHandler, TableSummary } from './tabular.ts';
import { checkZipFile } from './zipGuard.ts';

/**
 * Reads the first worksheet of an .xlsx row by row with exceljs' streaming WorkbookReader, so
 * memory stays flat whatever the number of rows (loading a county's CVR workbook whole took
 * 1.45 GB for 8 MB of xlsx). The zip is checked first from its central directory; shared strings,
 * which the reader keeps in memory, are inflated once to prove their size. A handler that returns
 * an error stops the read at once: a wrong header costs only the rows before it.
 */
const maxRows = 20_000_000;

function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') {
    if ('richText' in value && Array.isArray(value.richText)) return value.richText.map((t) => t.text).join('');
    if ('result' in value) return cellText(value.result as ExcelJS.CellValue);
    if ('text' in value && typeof value.text === 'string') return value.text;
    if ('error' in value) return String(value.error);
  }
  return '';
}

export async function readXlsxStreamRows(path: string, file: string, onRow: RowHandler): Promise<Result<TableSummary>> {
  const checked = await checkZipFile(path, file, (part) => !/^xl\/worksheets\//.test(part));
  if (!checked.ok) return checked;
  let rows = 0;
  let stop: OperatorError | undefined;
  let sheetName: string | undefined;
  try {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(path, { sharedStrings: 'cache', hyperlinks: 'ignore', styles: 'ignore', worksheets: 'emit', entries: 'ignore' });
    for await (const sheet of reader) {
      let sawRow = false;
      for await (const row of sheet as unknown as AsyncIterable<ExcelJS.Row>) {
        sawRow = true;
        const values = Array.isArray(row.values) ? (row.values as ExcelJS.CellValue[]) : [];
        // row.values is 1-based (index 0 is empty).
        const cells: string[] = [];
        for (let c = 1; c < values.length; c++) cells.push(cellText(values[c]));
        rows++;
        if (rows > maxRows) {
          stop = parseError('import-too-large', file, `row ${row.number}`, `at most ${maxRows} rows`);
          break;
        }
        stop = onRow(cells, row.number);
        if (stop !== undefined) break;
      }
      if (sawRow) {
        sheetName = (sheet as unknown as { name?: string }).name;
        break;
      }
    }
  } catch (e) {
    if (stop === undefined) return err(parseError('import-bad-xlsx', file, rows > 0 ? `row ${rows + 1}` : undefined, 'a valid Excel workbook', e instanceof Error ? e.message : String(e)));
  }
  if (stop !== undefined) return err(stop);
  if (rows === 0) return err(parseError('import-bad-xlsx', file, undefined, 'a worksheet with rows', 'an empty workbook'));
  return ok({ rows, encoding: 'xlsx', warnings: [], ...(sheetName !== undefined ? { sheet: sheetName } : {}) });
}
