import { operatorError } from '../core/result.ts';
import { isCdfXmlHead } from './cdfXml.ts';
import { isClearBallotHeader } from './clearBallot.ts';
import { dominionManifestName } from './dominion.ts';
import { isDominionCsvHeader } from './dominionCsv.ts';
import { decodeBuffer } from './encoding.ts';
import { essHeader } from './essHeader.ts';
import { isHartCvrHead } from './hartXml.ts';
import { isVxElectionHead } from './vxElection.ts';
import type { SourceFormat } from './store.ts';
import { normalizeHeader, readHead, tableKindOf, type TableKind } from './tabular.ts';
import { readXlsxStreamRows } from './xlsxStream.ts';

export type Detected = { format: SourceFormat; table?: TableKind };

/** Picks the parser from the file name and its first bytes (or first sheet rows for xlsx). */
export async function detectFormat(path: string, fileName: string): Promise<Detected | undefined> {
  const lower = fileName.toLowerCase();
  if (lower.endsWith('.zip')) return { format: 'dominion-cvr-zip' };
  if (lower.endsWith('.xml')) {
    const head = decodeBuffer(await readHead(path, 8192)).text;
    if (isCdfXmlHead(head)) return { format: 'nist-cvr-xml' };
    if (isHartCvrHead(head)) return { format: 'hart-cvr-xml' };
    return undefined;
  }
  if (lower.endsWith('.json')) {
    if (/^cvrexport(_\d+)?\.json$/i.test(fileName)) return { format: 'dominion-cvr' };
    if (dominionManifestName(fileName) !== undefined) return { format: 'dominion-manifest' };
    const head = decodeBuffer(await readHead(path, 65536)).text;
    if (isVxElectionHead(head)) return { format: 'vx-election' };
    if (/"CVR\.CastVoteRecordReport"|"CVR"\s*:\s*\[/.test(head)) return { format: 'nist-cvr' };
    if (/"Sessions"\s*:/.test(head)) return { format: 'dominion-cvr' };
    return undefined;
  }
  const table = tableKindOf(fileName);
  if (table === undefined) return undefined;
  // Loading an xlsx twice (sniff, then parse) is slow for big CVR workbooks: trust clear names.
  if (table === 'xlsx') {
    if (/election[ _-]?information|(^|[^a-z])eif([^a-z]|$)/i.test(fileName)) return { format: 'eif', table };
    if (/cvr|cast[ _-]?vote/i.test(fileName)) return { format: 'ess-cvr', table };
    if (/summary|results/i.test(fileName)) return { format: 'results', table };
  }
  let headerRows: string[][] = [];
  if (table === 'csv') {
    const text = decodeBuffer(await readHead(path, 65536)).text;
    headerRows = text
      .split(/\r?\n/)
      .slice(0, 60)
      .map((l) => l.split(/[,\t;]/).map((c) => c.replace(/^"|"$/g, '')));
  } else {
    const rows: string[][] = [];
    const read = await readXlsxStreamRows(path, fileName, (cells) => {
      rows.push([...cells]);
      return rows.length >= 60 ? operatorError('stop', 'enough rows') : undefined;
    });
    if (!read.ok && read.error.code !== 'stop') return { format: 'eif', table }; // let the EIF parser report the xlsx problem
    headerRows = rows;
  }
  for (const row of headerRows) {
    const n = row.map(normalizeHeader);
    if (table === 'csv' && isDominionCsvHeader(row)) return { format: 'dominion-cvr-csv', table };
    if (table === 'csv' && isClearBallotHeader(row)) return { format: 'clear-ballot-cvr', table };
    if (n.includes('official contest name')) return { format: 'eif', table };
    if (n.includes('cast vote record') || n.includes('cvr number')) return { format: 'ess-cvr', table };
    if (n.some((h) => ['contest', 'contest name', 'office', 'race'].includes(h)) && n.some((h) => ['votes', 'total votes', 'vote count', 'total', 'ballots cast'].includes(h))) {
      return { format: 'results', table };
    }
    if (essHeader(row) !== undefined) return { format: 'ess-cvr', table };
  }
  return undefined;
}
