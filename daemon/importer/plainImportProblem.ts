import type { OperatorError } from '../core/result.ts';

/**
 * An import failure in a clerk's words. The parser's message (byte offsets, "Unexpected token",
 * row numbers) is exact and kept for the technician, but it is not what an election worker acts on.
 */
export interface PlainImportProblem {
  readonly message: string;
  readonly action: string;
  /** The parser's own words, for the technician (shown collapsed on the Alerts page). */
  readonly technician: string;
}

/** What is wrong with the file, by the kind of failure; the file name is the caller's. */
const whatIsWrong = (code: string): string => {
  if (code === 'import-bad-json') return 'is damaged or cut short: it ends early or has broken text in it, so it could not be read';
  if (code === 'import-bad-csv') return 'is damaged: some of its rows are broken (a column or quote mark is out of place), so it could not be read';
  if (code === 'import-bad-encoding') return 'is written in a character set the appliance cannot read';
  if (code === 'import-bad-xlsx') return 'is not a readable Excel workbook';
  if (code === 'import-bad-zip') return 'is a damaged or incomplete ZIP archive';
  if (code === 'import-too-large') return 'is too large to import';
  if (code === 'import-unreadable' || code === 'import-interrupted') return 'could not be read to the end';
  // A file of a known kind whose contents break that kind's rules (missing columns, wrong values).
  if (code.startsWith('import-bad-')) return 'does not have the layout the election management system normally writes, so it could not be read';
  return 'could not be imported';
};

/** `fileName` is the catalog name ("export-root:folder/file.json"); the clerk sees the file's own name. */
export function plainImportProblem(fileName: string, error: OperatorError | undefined): PlainImportProblem {
  const code = error?.code ?? 'import-failed';
  const shortName = fileName.split(/[:/\\]/).pop() || fileName;
  return {
    message: `The file ${shortName} ${whatIsWrong(code)}. Nothing from it was counted; what was imported before is kept.`,
    action: 'Export this file again from the election management system into the export folder. If it fails again, give the technician the details below.',
    technician: error === undefined ? `${fileName}: no error was recorded.` : `${error.code}: ${error.message}`,
  };
}
