/**
 * Sheets of the ES&S export zips in the catalog (a zip captured whole, as Electionware writes it):
 * each `<id>i.pdf` (or F/R PBM pair) a sheet job reading the member inside the vault's copy of the
 * zip, keyed to its CVR like a captured image file. A zip's listing is kept by its SHA-256, so each
 * captured version is listed once.
 */
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import type { Db } from '../core/db/database.ts';
import type { OperatorError } from '../core/result.ts';
import { zipSheetKey } from '../importer/essZipMembers.ts';
import { openEssZip, type EssZipListing } from './essZip.ts';
import type { CatalogSheet } from './catalogSheet.ts';
import { zipMemberPath } from './zipMembers.ts';
import { CatalogStore } from '../capture/catalogStore.ts';

const listings = new Map<string, { readonly listing: EssZipListing } | { readonly refused: OperatorError }>();

export interface ZipExportSheets {
  readonly sheets: CatalogSheet[];
  /** Zips refused (bomb, damaged) when first listed by this process, by their catalog name: alerted once. */
  readonly refused: readonly { readonly file: string; readonly error: OperatorError }[];
  readonly cvrPrintouts: number;
}

export async function zipExportSheets(db: Db, vaultDir: string): Promise<ZipExportSheets> {
  const zips = new CatalogStore(db).currentZips().map((f) => ({ id: f.id, name: `${f.rootLabel}:${f.relPath}`, sha256: f.sha256 }));
  const sheets: CatalogSheet[] = [];
  const refused: { file: string; error: OperatorError }[] = [];
  let cvrPrintouts = 0;
  for (const z of zips) {
    const path = vaultObjectPath(vaultDir, z.sha256);
    let known = listings.get(z.sha256);
    if (known === undefined) {
      const opened = await openEssZip(path, z.name);
      if (opened.ok) opened.value.close();
      known = opened.ok ? { listing: opened.value.listing } : { refused: opened.error };
      listings.set(z.sha256, known);
      if ('refused' in known) refused.push({ file: z.name, error: known.refused });
    }
    if ('refused' in known) continue;
    cvrPrintouts += known.listing.cvrPrintouts;
    for (const s of known.listing.sheets) {
      sheets.push({
        // The zip's version and the members are the key: a re-exported zip is read again.
        job: { key: zipSheetKey(z.id, s.members), files: s.members.map((m) => zipMemberPath(path, m)) },
        imageKey: s.imageKey,
        fileVersionIds: [z.id],
        essExport: true,
      });
    }
  }
  return { sheets, refused, cvrPrintouts };
}
