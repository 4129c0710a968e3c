import type { Db } from '../core/db/database.ts';
import { cvrsOfImageKey, type CvrOfImage } from './activeRows.ts';
import { imageKeyFromFileName } from './imageKeys.ts';

/** Computes the join key of every captured image version not keyed yet; returns how many were added. */
export function syncImageKeys(db: Db): number {
  const rows = db
    .prepare<[], { id: number; rel_path: string }>(
      `SELECT f.id, f.rel_path FROM file_versions f LEFT JOIN image_keys k ON k.file_version_id = f.id
       WHERE f.kind = 'ballot-image' AND k.file_version_id IS NULL`,
    )
    .all();
  const insert = db.prepare(`INSERT INTO image_keys (file_version_id, image_key) VALUES (?, ?)`);
  db.transaction(() => {
    for (const r of rows) insert.run(r.id, imageKeyFromFileName(r.rel_path));
  })();
  return rows.length;
}

export interface LinkedImage {
  readonly fileVersionId: number;
  readonly rootLabel: string;
  readonly relPath: string;
  readonly sha256: string;
}

/** The current image files of one CVR record (front, back, ...), for the pre-audit and the UI. */
export function imagesForCvr(db: Db, cvrRecordId: number): LinkedImage[] {
  syncImageKeys(db);
  return db
    .prepare<[number], LinkedImage>(
      `SELECT f.id AS fileVersionId, f.root_label AS rootLabel, f.rel_path AS relPath, f.sha256 AS sha256
       FROM cvr_records r JOIN image_keys k ON k.image_key = r.image_key
       JOIN file_versions f ON f.id = k.file_version_id AND f.status = 'current'
       WHERE r.id = ? ORDER BY f.rel_path`,
    )
    .all(cvrRecordId);
}

export type LinkedCvr = CvrOfImage;

/** The active CVR record(s) of one captured image file (more than one means a duplicate). */
export function cvrsForImage(db: Db, fileVersionId: number): LinkedCvr[] {
  syncImageKeys(db);
  return cvrsOfImageKey(db, fileVersionId);
}
