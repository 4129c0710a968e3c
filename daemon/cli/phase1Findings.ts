/**
 * Phase 1's findings worth a line at the end of `ballotsafe preaudit <folder>…`: each is a finding
 * like a disagreement (exit 1), never left in the workbook alone. A ballot scanned twice is counted
 * twice in the CVR totals; a total in the EMS's results report that differs from its own CVRs means
 * the published count is not the sum of the ballots' records.
 */
import type { Phase1Report } from '../importer/report.ts';

export interface Phase1Findings {
  /** Ballots scanned twice, duplicated images or CVRs. */
  readonly duplicates: readonly string[];
  /** Options whose total in the results report differs from the CVRs' (beyond ballots the report leaves out). */
  readonly totalsDiffering: readonly string[];
}

const votes = (n: number) => `${n.toLocaleString('en-US')} vote${n === 1 ? '' : 's'}`;

export function phase1Findings(r: Pick<Phase1Report, 'rescannedSheets' | 'duplicateImages' | 'duplicateCvrs' | 'totals'>): Phase1Findings {
  const duplicates = [
    ...r.rescannedSheets.items.map((d) => `Same ballot scanned twice: ${d.first.join(' + ')} and ${d.second.join(' + ')} carry the same marks`),
    ...r.duplicateImages.items.map((d) => `Same image twice: ${d.files.join(' = ')}`),
    ...r.duplicateCvrs.items.map((d) => `CVR ${d.identity} recorded ${d.count} times`),
  ];
  const totalsDiffering = r.totals.rows.flatMap((t) =>
    t.status === 'mismatch' && t.resultVotes !== null && t.cvrVotes !== null
      ? [`${t.contest}, ${t.option}: the results report says ${votes(t.resultVotes)}, the CVRs hold ${votes(t.cvrVotes)}`]
      : [],
  );
  return { duplicates, totalsDiffering };
}
