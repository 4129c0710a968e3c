import { z } from 'zod';
import { CatalogStore } from '../capture/catalogStore.ts';
import type { Db } from '../core/db/database.ts';
import type { ManifestEntry } from './manifest.ts';
import type { StickInventory } from './stickInventory.ts';

const rowSchema = z.object({ relPathRaw: z.instanceof(Buffer), size: z.number().int(), sha256: z.string().regex(/^[0-9a-f]{64}$/) });

export interface CatalogComparison {
  /** Files on the stick with a catalog row of the same path and size under the intake's root. */
  readonly captured: number;
  readonly capturedBytes: number;
  /** Files on the stick without such a row. */
  readonly missing: number;
  /** Manifest entries of the captured files (hashes as computed while copying into the vault). */
  readonly entries: ManifestEntry[];
}

/** What the catalog holds for an intake's root, against what the stick held before the capture. */
export function compareWithCatalog(db: Db, rootLabel: string, inventory: StickInventory): CatalogComparison {
  const rows = new Map<string, z.infer<typeof rowSchema>>();
  for (const r of new CatalogStore(db).currentRawOfRoot(rootLabel)) {
    const row = rowSchema.parse(r);
    rows.set(row.relPathRaw.toString('hex'), row);
  }
  let captured = 0;
  let capturedBytes = 0;
  let missing = 0;
  const entries: ManifestEntry[] = [];
  for (const f of inventory.files) {
    const row = rows.get(f.relPathRaw.toString('hex'));
    if (row === undefined || row.size !== f.size) {
      missing++;
      continue;
    }
    captured++;
    capturedBytes += row.size;
    entries.push({ relPathRaw: f.relPathRaw, sha256: row.sha256 });
  }
  return { captured, capturedBytes, missing, entries };
}

const files = (n: number) => `${n} ${n === 1 ? 'file' : 'files'}`;
const links = (n: number) => `${n} ${n === 1 ? 'link' : 'links'}`;
const items = (n: number) => `${n} ${n === 1 ? 'item' : 'items'}`;

/** The record's sentence for a clerk: what happened, in plain words. */
export function describeOutcome(o: { complete: boolean; gone: boolean; inventory: StickInventory; captured: number; failedToStart: string | undefined }): string {
  const extras: string[] = [];
  if (o.inventory.links > 0) extras.push(`${links(o.inventory.links)} on the stick ${o.inventory.links === 1 ? 'was' : 'were'} not followed`);
  if (o.inventory.specials > 0) extras.push(`${items(o.inventory.specials)} that ${o.inventory.specials === 1 ? 'is' : 'are'} not a file (a pipe or device) ${o.inventory.specials === 1 ? 'was' : 'were'} listed, not read`);
  const tail = extras.length === 0 ? '' : ` ${extras.join('; ')}.`;
  const total = o.inventory.files.length;
  if (o.complete) return `All ${files(total)} on the stick captured.${tail}`;
  if (o.failedToStart !== undefined) return `Capture could not run: ${o.failedToStart} ${o.captured} of ${files(total)} captured.${tail}`;
  if (o.gone) return `The stick was removed (or stopped answering) while it was read: only ${o.captured} of ${files(total)} captured.${tail}`;
  return `${total - o.captured} of ${files(total)} on the stick could not be read; ${o.captured} captured.${tail}`;
}
