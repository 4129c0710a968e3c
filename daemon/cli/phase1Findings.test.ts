import { describe, expect, it } from 'vitest';
import type { TotalsRow } from '../importer/report.ts';
import { phase1Findings } from './phase1Findings.ts';

const row = (option: string, cvrVotes: number | null, resultVotes: number | null, status: TotalsRow['status'], suppressedBallots = 0): TotalsRow => ({
  contest: 'Budget Committee',
  option,
  cvrVotes,
  resultVotes,
  difference: cvrVotes === null || resultVotes === null ? null : resultVotes - cvrVotes,
  suppressedBallots,
  status,
});
const none = { count: 0, items: [] };

describe("phase 1's findings at the end of a folder pre-audit", () => {
  it('names each total of the results report that differs from the CVRs, and only those', () => {
    const f = phase1Findings({
      rescannedSheets: none,
      duplicateImages: none,
      duplicateCvrs: none,
      totals: {
        present: true,
        rows: [
          row('Iris Kimball', 169, 174, 'mismatch'),
          row('Flora Merriam', 210, 210, 'match'),
          // Fewer in the results by no more than the ballots it leaves out (privacy suppression): not a finding.
          row('Beatrice Moreau', 367, 365, 'within-suppressed', 3),
          row('Nathan Moreau', 1, 1, 'match'),
          row('Write-in', 4, null, 'missing-in-results'),
        ],
      },
    });
    expect(f.totalsDiffering).toEqual(['Budget Committee, Iris Kimball: the results report says 174 votes, the CVRs hold 169 votes']);
    expect(f.duplicates).toEqual([]);
  });

  it('says nothing of totals when the results report agrees or there is none', () => {
    const agreeing = phase1Findings({ rescannedSheets: none, duplicateImages: none, duplicateCvrs: none, totals: { present: true, rows: [row('Flora Merriam', 1, 1, 'match')] } });
    expect(agreeing.totalsDiffering).toEqual([]);
    expect(phase1Findings({ rescannedSheets: none, duplicateImages: none, duplicateCvrs: none, totals: { present: false, rows: [] } }).totalsDiffering).toEqual([]);
  });

  it('lists ballots scanned twice, images and CVRs twice', () => {
    const f = phase1Findings({
      rescannedSheets: { count: 1, items: [{ first: ['a:1.tif'], second: ['a:2.tif'], firstIds: [1], secondIds: [2] }] },
      duplicateImages: { count: 1, items: [{ sha256: 'x', files: ['a:3.tif', 'a:4.tif'] }] },
      duplicateCvrs: { count: 1, items: [{ identity: 'c:7', count: 2, sources: ['cvr.xlsx'] }] },
      totals: { present: false, rows: [] },
    });
    expect(f.duplicates).toEqual(['Same ballot scanned twice: a:1.tif and a:2.tif carry the same marks', 'Same image twice: a:3.tif = a:4.tif', 'CVR c:7 recorded 2 times']);
  });
});
