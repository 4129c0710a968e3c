import ExcelJS from 'exceljs';
import JSZip from 'jszip';

export interface Sheet {
  readonly name: string;
  readonly header: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

/**
 * An .xlsx that is byte-identical for identical input: exceljs stamps docProps with the workbook
 * dates (fixed here) and its zip library stamps every entry with the current time, so the archive
 * is re-packed with a fixed entry date.
 */
export async function deterministicXlsx(sheets: readonly Sheet[], fixedDate: Date): Promise<Buffer> {
  const wb = new ExcelJS.Workbook();
  wb.creator = 'ballotsafe sample-election';
  wb.lastModifiedBy = 'ballotsafe sample-election';
  wb.created = fixedDate;
  wb.modified = fixedDate;
  for (const s of sheets) {
    const ws = wb.addWorksheet(s.name);
    ws.addRow([...s.header]);
    for (const r of s.rows) ws.addRow([...r]);
  }
  const raw = Buffer.from(await wb.xlsx.writeBuffer());
  const zip = await JSZip.loadAsync(raw);
  const out = new JSZip();
  // JSZip stores local time in the DOS date fields; a Date built from local parts keeps it stable.
  const dosDate = new Date(fixedDate.getUTCFullYear(), fixedDate.getUTCMonth(), fixedDate.getUTCDate(), 12, 0, 0);
  for (const name of Object.keys(zip.files).sort()) {
    const f = zip.files[name];
    if (f === undefined || f.dir) continue;
    out.file(name, await f.async('uint8array'), { date: dosDate, createFolders: false });
  }
  return out.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 }, platform: 'UNIX' });
}
