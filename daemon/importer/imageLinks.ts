import { CatalogStore } from '../capture/catalogStore.ts';
import type { Db } from '../core/db/database.ts';
import { cvrsOfImageKey, imageVersionsOfCvr, insertImageKeys, newestKeyedImageVersion, type CvrOfImage } from './activeRows.ts';
import { imageKeyFromFileName } from './imageKeys.ts';

/** Computes the join key of every captured image version not keyed yet; returns how many were added. */
export function syncImageKeys(db: Db): number {
  // Catalog ids only grow and every sync keys all new images at once: the images after the newest keyed one are the unkeyed ones.
  const rows = new CatalogStore(db).ballotImagesAfter(newestKeyedImageVersion(db));
  insertImageKeys(db, rows.map((r) => ({ fileVersionId: r.id, imageKey: imageKeyFromFileName(r.relPath) })));
  return rows.length;
}

export interface LinkedImage {
  readonly fileVersionId: number;
  readonly rootLabel: string;
  readonly relPath: string;
  readonly sha256: string;
}

/** SQLite's order of TEXT (its bytes in UTF-8), which the catalog's own listings use. */
const byPathBytes = (a: LinkedImage, b: LinkedImage): number => Buffer.compare(Buffer.from(a.relPath), Buffer.from(b.relPath));

/** The current image files of one CVR record (front, back, ...), for the pre-audit and the UI. */
export function imagesForCvr(db: Db, cvrRecordId: number): LinkedImage[] {
  syncImageKeys(db);
  const catalog = new CatalogStore(db);
  const images: LinkedImage[] = [];
  for (const id of imageVersionsOfCvr(db, cvrRecordId)) {
    const f = catalog.getVersion(id);
    if (f?.status === 'current') images.push({ fileVersionId: f.id, rootLabel: f.rootLabel, relPath: f.relPath, sha256: f.sha256 });
  }
  return images.sort(byPathBytes);
}

export type LinkedCvr = CvrOfImage;

/** The active CVR record(s) of one captured image file (more than one means a duplicate). */
export function cvrsForImage(db: Db, fileVersionId: number): LinkedCvr[] {
  syncImageKeys(db);
  return cvrsOfImageKey(db, fileVersionId);
}
