import { operatorError, type OperatorError } from '../core/result.ts';
import { decodeBuffer, looksBinary } from './encoding.ts';
import { readHead } from './tabular.ts';

/**
 * For a file no parser took: either an election format ballotsafe recognises but does not read
 * (refused by name, with what to export instead) or not election data (with why). Nothing a
 * county hands over may pass in silence.
 */
export type UnreadVerdict = { readonly kind: 'refused'; readonly format: string; readonly error: OperatorError } | { readonly kind: 'not-election-data'; readonly why: string };

const refuse = (file: string, format: string, instead: string): UnreadVerdict => ({
  kind: 'refused',
  format,
  error: operatorError('import-format-not-read', `${file}: this is a ${format} file. ballotsafe cannot read ${format} files yet, so nothing in it was imported.`, instead),
});

/** Looks at the first 64 KB of a file no parser recognised. */
export async function classifyUnread(path: string, fileName: string, file: string): Promise<UnreadVerdict> {
  const lower = fileName.toLowerCase();
  const ext = lower.includes('.') ? lower.slice(lower.lastIndexOf('.') + 1) : '';
  const head = await readHead(path, 65536);
  const decoded = decodeBuffer(head);
  const binary = looksBinary(head, decoded.detected.encoding);
  const text = binary ? '' : decoded.text;

  if (ext === 'xls') return refuse(file, 'Excel 97-2003 (.xls)', 'Open it in Excel and save it as .xlsx (or export it as CSV), then import that file.');
  if (/^\s*(<\?xml[^>]*\?>\s*)?(<!--[\s\S]*?-->\s*)*</.test(text) || ext === 'xml') {
    const root = /<([A-Za-z_][\w.:-]*)/.exec(text.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->/g, ''))?.[1] ?? 'unknown';
    return { kind: 'not-election-data', why: `an XML file (<${root}>) that is not a cast vote record format (for example a report), so it is not imported` };
  }
  if (ext === 'csv' || ext === 'txt' || ext === 'tsv') {
    if (ext === 'csv' || ext === 'tsv') {
      return refuse(
        file,
        'CSV table ballotsafe does not recognise',
        'ballotsafe reads ES&S-style CVR tables (a header row with "Cast Vote Record" or contest columns), Dominion CSV exports, EIF tables ("Official Contest Name") and results summaries ("Contest" and "Votes"). Export one of those, or set this file aside.',
      );
    }
  }
  if (ext === 'json') return { kind: 'not-election-data', why: 'a JSON file with neither Dominion "Sessions", a NIST "CVR" list nor a VotingWorks election definition ("contests" and "ballotStyles"), for example Dominion Configuration.json, so it is not imported' };
  if (ext === 'xlsx') return refuse(file, 'spreadsheet ballotsafe does not recognise', 'ballotsafe reads ES&S CVR workbooks, EIF workbooks and results summaries. Check it is one of those (the header row must be there), or set this file aside.');
  return { kind: 'not-election-data', why: ext === '' ? 'a file with no extension, not a format that holds election data' : `a .${ext} file, not a format that holds cast vote records, an EIF or results` };
}
