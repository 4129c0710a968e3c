import { vaultObjectPath } from '../capture/vaultLayout.ts';
import { CatalogStore } from '../capture/catalogStore.ts';
import type { Db } from '../core/db/database.ts';
import { syncImageKeys } from '../importer/imageLinks.ts';
import { imageKeysByFileVersion } from '../importer/store.ts';
import { essMemberRole } from './essZip.ts';
import type { SheetJob } from './pool.ts';
import { frontFirst, pageNameOf } from './sheetPages.ts';
import { isZipMemberPath } from './zipMembers.ts';

/** One sheet of the catalog's ballot images (catalogSheets lists them; zipSheets.ts expands an ES&S zip into them). */
export interface CatalogSheet {
  readonly job: SheetJob;
  readonly imageKey: string | null;
  readonly fileVersionIds: readonly number[];
  /** From an ES&S export (`<id>i.pdf`, `<id>F/R.pbm`, a zip's member): not learned from, set apart by the reader. */
  readonly essExport?: true;
}

/**
 * The catalog file (file_versions.id) of a sheet's `file`-th image: its own, or for a sheet inside
 * an ES&S export zip (one id, the zip's, for all its members: a PBM pair is two) the zip's.
 */
export function fileVersionIdOf(ids: readonly number[], files: readonly string[], file: number): number | undefined {
  const path = files[file];
  return ids[file] ?? (path !== undefined && isZipMemberPath(path) && ids.length === 1 ? ids[0] : undefined);
}

/** Current ballot images of the catalog, paired into sheets by the rule in `sheetPages.ts`, front first. */
export function catalogSheets(db: Db, vaultDir: string): CatalogSheet[] {
  syncImageKeys(db);
  const keys = imageKeysByFileVersion(db);
  const rows = new CatalogStore(db).currentBallotImages().map((f) => ({ ...f, imageKey: keys.get(f.id) ?? null }));
  const groups = new Map<string, typeof rows>();
  for (const r of rows) {
    const page = r.imageKey === null ? pageNameOf(r.relPath) : null;
    const g = r.imageKey ?? (page !== null ? `p:${r.rootLabel}:${page.sheetStem}` : `f:${r.id}`);
    groups.set(g, [...(groups.get(g) ?? []), r]);
  }
  return [...groups.entries()].map(([group, unordered]) => {
    const rs = frontFirst(unordered, (r) => r.relPath);
    const ids = rs.map((r) => r.id);
    // The versions are part of the key: a re-exported image is read again.
    return {
      job: { key: `${group}#${ids.join('+')}`, files: rs.map((r) => vaultObjectPath(vaultDir, r.sha256)) },
      imageKey: rs[0]?.imageKey ?? null,
      fileVersionIds: ids,
      ...(rs.some((r) => essMemberRole(r.relPath) !== 'other') ? { essExport: true as const } : {}),
    };
  });
}
