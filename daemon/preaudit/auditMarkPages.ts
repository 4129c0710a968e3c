/**
 * Where each read sheet's AuditMark page is: the short text page a Dominion ImageCast TIFF carries
 * after front and back (the tabulator's own record of the sheet). The reader sets it aside
 * (image.ts `ballotSidesOnly`); the report names it as evidence, e.g. "00005_00001_000004.tif page 3",
 * so an auditor can open it beside the reading. The reader stores the pages it set aside with the
 * sheet; only a sheet read before they were kept has its vault copy's page headers read again.
 */
import path from 'node:path';
import sharp from 'sharp';
import { CatalogStore, type FileVersion } from '../capture/catalogStore.ts';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import type { Db } from '../core/db/database.ts';
import { annotationPages } from './image.ts';
import { storedSheetFiles } from './store.ts';
import { storedAuditMarkPages } from './storedJson.ts';
import { storedAuditMarkJson } from './viewStore.ts';

/** "<file> page N" (pages counted from 1), `;`-separated when a sheet has several; keyed by sheet key. */
export type AuditMarkPages = ReadonlyMap<string, string>;

/** The AuditMark pages of every sheet with catalogued files; sheets without one are left out. */
export async function auditMarkPages(db: Db, vaultDir: string): Promise<AuditMarkPages> {
  const catalog = new CatalogStore(db);
  // A file is looked at once even when several sheet keys name it.
  const pagesOfFile = new Map<number, string[]>();
  const out = new Map<string, string>();
  const stored = storedAuditMarkJson(db);
  for (const s of storedSheetFiles(db)) {
    const kept = keptPages(stored.get(s.sheetKey));
    if (kept !== undefined) {
      const named = kept.flatMap(({ file, page }) => {
        const id = s.fileVersionIds[file];
        const version = id === undefined ? undefined : catalog.getVersion(id);
        return version === undefined ? [] : [`${path.posix.basename(version.relPath)} page ${page + 1}`];
      });
      if (named.length > 0) out.set(s.sheetKey, named.join(';'));
      continue;
    }
    const named: string[] = [];
    for (const id of s.fileVersionIds) {
      let pages = pagesOfFile.get(id);
      if (pages === undefined) {
        pages = await auditMarkPagesOfFile(catalog.getVersion(id), vaultDir);
        pagesOfFile.set(id, pages);
      }
      named.push(...pages);
    }
    if (named.length > 0) out.set(s.sheetKey, named.join(';'));
  }
  return out;
}

/** The pages the reader stored; undefined when it stored none (read before they were kept) or they do not parse. */
function keptPages(json: string | null | undefined): readonly { file: number; page: number }[] | undefined {
  if (json == null) return undefined;
  const parsed = storedAuditMarkPages.safeParse(JSON.parse(json));
  return parsed.success ? [...parsed.data].sort((a, b) => a.file - b.file || a.page - b.page) : undefined;
}

async function auditMarkPagesOfFile(file: FileVersion | undefined, vaultDir: string): Promise<string[]> {
  if (file === undefined || !/^[0-9a-f]{64}$/.test(file.sha256)) return [];
  const name = path.posix.basename(file.relPath);
  // Only multipage TIFFs carry one; a JPEG or PDF side is not looked into.
  if (!/\.tiff?$/i.test(name)) return [];
  const source = vaultObjectPath(vaultDir, file.sha256);
  const count = await pageCount(source);
  if (count < 3) return [];
  const short = await annotationPages(source, count);
  return [...short].sort((a, b) => a - b).map((p) => `${name} page ${p + 1}`);
}

/** Pages in the file from its header; 0 when it cannot be read (missing from the vault, damaged). */
async function pageCount(source: string): Promise<number> {
  try {
    return (await sharp(source).metadata()).pages ?? 1;
  } catch {
    return 0;
  }
}
