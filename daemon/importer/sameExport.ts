import type { Db } from '../core/db/database.ts';
import { dominionSharedBallots } from './sourceRows.ts';

/**
 * Dominion writes one tabulation as several files a county may hand over together: the
 * CVR_Export zip, the CSV export, the unzipped CvrExport.json, and later exports that repeat
 * the earlier batches. Counting each would double every total and report every ballot as a
 * duplicate. Before a Dominion source is committed we compare its ballots (tabulator, batch,
 * record) with the other active Dominion sources of the same folder.
 */
export const dominionFormats = ['dominion-cvr', 'dominion-cvr-zip', 'dominion-cvr-csv'] as const;

export type Overlap =
  | { readonly kind: 'copy-of'; readonly name: string }
  | { readonly kind: 'contains'; readonly ids: readonly number[]; readonly names: readonly string[] }
  | { readonly kind: 'none' };

export function dominionOverlap(db: Db, sourceId: number, scope: string, name: string, records: number): Overlap {
  if (records === 0) return { kind: 'none' };
  const rows = dominionSharedBallots(db, sourceId, scope, name, dominionFormats);
  const copyOf = rows.find((r) => r.shared === records);
  if (copyOf !== undefined) return { kind: 'copy-of', name: copyOf.name };
  const contained = rows.filter((r) => r.records > 0 && r.shared === r.records);
  return contained.length > 0 ? { kind: 'contains', ids: contained.map((r) => r.id), names: contained.map((r) => r.name) } : { kind: 'none' };
}
