/**
 * Phase 1's "same ballot scanned twice under another id": a rescan has new image bytes (so the
 * image-hash check misses it) and a new CVR record id, but the same paper carries the same marks,
 * and no two voters fill every oval alike. The pre-audit's stored readings (the fill of every
 * target) are compared with findLikelyDuplicates; sheets not read yet cannot be compared, and the
 * report says how many were.
 */
import { z } from 'zod';
import { CatalogStore } from '../capture/catalogStore.ts';
import type { Db } from '../core/db/database.ts';
import { findLikelyDuplicates, type SheetFingerprint } from './likelyDuplicates.ts';

export interface RescannedSheet {
  /** The image files of each of the two sheets. */
  readonly first: readonly string[];
  readonly second: readonly string[];
  /** Their catalog file versions, in the same order (to show the pictures). */
  readonly firstIds: readonly number[];
  readonly secondIds: readonly number[];
}

export interface RescanCheck {
  /** Sheets whose marks were read by the pre-audit, hence compared. */
  readonly sheetsCompared: number;
  readonly pairs: readonly RescannedSheet[];
}

/** The catalog's names and ids of a sheet's files: its key ends in `#<file version ids>` (catalogSheets). */
function catalogFiles(catalog: CatalogStore, sheetKey: string): { names: string[]; ids: number[] } | undefined {
  const m = /#(\d+(?:\+\d+)*)$/.exec(sheetKey);
  if (m === null) return undefined;
  const names: string[] = [];
  const ids: number[] = [];
  for (const id of (m[1] ?? '').split('+')) {
    const f = catalog.getVersion(Number(id));
    // A reading of files since replaced is not a sheet of the catalog any more.
    if (f === undefined || f.status !== 'current') return undefined;
    names.push(`${f.rootLabel}:${f.relPath}`);
    ids.push(f.id);
  }
  return { names, ids };
}

const pagesSchema = z.array(z.object({ targets: z.array(z.object({ fill: z.number() })) }));

export function findRescannedSheets(db: Db): RescanCheck {
  const hasTable = db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'preaudit_sheets'`).get();
  if ((hasTable?.n ?? 0) === 0) return { sheetsCompared: 0, pairs: [] };
  const rows = db
    .prepare<[], { sheet_key: string; style_id: string | null; pages_json: string | null }>(
      `SELECT sheet_key, style_id, pages_json FROM preaudit_sheets WHERE status = 'read' AND pages_json IS NOT NULL ORDER BY sheet_key`,
    )
    .all();
  const catalog = new CatalogStore(db);
  const files = new Map<string, { names: string[]; ids: number[] }>();
  const fingerprints: SheetFingerprint[] = [];
  for (const r of rows) {
    const pages = pagesSchema.safeParse(JSON.parse(r.pages_json ?? '[]'));
    if (!pages.success || r.style_id === null) continue;
    const found = catalogFiles(catalog, r.sheet_key);
    if (found === undefined) continue;
    files.set(r.sheet_key, found);
    fingerprints.push({ ballotKey: r.sheet_key, styleId: r.style_id, fills: pages.data.flatMap((p) => p.targets.map((t) => t.fill)) });
  }
  const pairs = findLikelyDuplicates(fingerprints).map(([a, b]) => ({
    first: files.get(a)?.names ?? [a],
    second: files.get(b)?.names ?? [b],
    firstIds: files.get(a)?.ids ?? [],
    secondIds: files.get(b)?.ids ?? [],
  }));
  return { sheetsCompared: fingerprints.length, pairs };
}
