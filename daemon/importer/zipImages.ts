/**
 * The ballot images inside captured ballot-image zips (ES&S Electionware exports one zip of
 * `<id>i.pdf` sheets), for phase 1: each image member counts as an image file, keyed to its CVR
 * like a captured image, named `<root>:<zip path> > <member>`. A zip version is listed once, from
 * its central directory (nothing inflated), when the importer meets it; the report takes the
 * listings of the catalog's current zips, so a re-exported zip replaces the old one's images.
 */
import { CatalogStore } from '../capture/catalogStore.ts';
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { readEssZipDirectory } from './essZipDirectory.ts';
import { essMemberRole } from './essZipMembers.ts';
import { imageKeyFromFileName } from './imageKeys.ts';
import { recordZipListing, zipImagesOf, zipListed, zipListings } from './sourceRows.ts';

/** Lists a captured zip version's image members into the importer's tables (once per version). */
export async function listImageZip(db: Db, fileVersionId: number, path: string, name: string, logger?: Logger): Promise<void> {
  if (zipListed(db, fileVersionId)) return;
  const dir = await readEssZipDirectory(path, name);
  if (!dir.ok) {
    // The pre-audit refuses the same zip with an alert; phase 1 says why its images are not counted.
    recordZipListing(db, fileVersionId, dir.error.message, []);
    if (logger !== undefined) logEvent(logger, LogEvent.ImportImageZipUnlisted, { file: name, code: dir.error.code, error: dir.error.message }, 'warn');
    return;
  }
  dir.value.zip.close();
  const { sheets, others, cvrPrintouts } = dir.value.listing;
  const entries = new Map(dir.value.entries.map((e) => [e.fileName, e]));
  const row = (member: string, imageKey: string | null) => ({ member, imageKey, crc32: entries.get(member)?.crc32 ?? null, size: entries.get(member)?.uncompressedSize ?? null });
  const images = [
    ...sheets.flatMap((s) => s.members.map((member) => row(member, s.imageKey))),
    // An image member whose name stands for no ballot: counted, and reported as an image without a CVR.
    ...others.filter((m) => essMemberRole(m) !== 'other').map((member) => row(member, imageKeyFromFileName(member))),
  ];
  recordZipListing(db, fileVersionId, null, images);
  if (logger !== undefined) logEvent(logger, LogEvent.ImportImageZipListed, { file: name, images: images.length, cvrPrintouts });
}

export interface ZipImage {
  /** `<root>:<zip path> > <member>` */
  readonly file: string;
  readonly key: string | null;
  /** `<CRC-32 hex>, <size> bytes` as the zip lists it (the same twice: the same image twice); null if not kept. */
  readonly bytes: string | null;
}

export interface CurrentZipImages {
  readonly images: readonly ZipImage[];
  /** The listed zips (their images stand for them: a zip captured as a ballot image is not one image). */
  readonly zipIds: ReadonlySet<number>;
  /** Zips whose images could not be listed, and why. */
  readonly unlisted: readonly { readonly file: string; readonly problem: string }[];
}

/** Between a zip's name and a member's path inside it: ASCII (a spreadsheet opens it cleanly) and never in a Windows file name. */
export const ZIP_MEMBER_SEPARATOR = ' > ';

/** `<root>:<zip path> > <member>`: where a zip member is, for people. */
export function zipMemberName(rootLabel: string, zipRelPath: string, member: string): string {
  return `${rootLabel}:${zipRelPath}${ZIP_MEMBER_SEPARATOR}${member}`;
}

/** The images inside the catalog's current zips, as listed. */
export function currentZipImages(db: Db): CurrentZipImages {
  const zips = new CatalogStore(db).currentZips();
  const byId = new Map(zips.map((z) => [z.id, z]));
  const images: ZipImage[] = [];
  const zipIds = new Set<number>();
  const unlisted: { file: string; problem: string }[] = [];
  for (const l of zipListings(db, zips.map((z) => z.id))) {
    const z = byId.get(l.fileVersionId);
    if (z === undefined) continue;
    zipIds.add(z.id);
    if (l.problem !== null) unlisted.push({ file: `${z.rootLabel}:${z.relPath}`, problem: l.problem });
    for (const i of zipImagesOf(db, z.id)) {
      const bytes = i.crc32 === null || i.size === null ? null : `CRC-32 ${(i.crc32 >>> 0).toString(16).padStart(8, '0')}, ${i.size} bytes`;
      images.push({ file: zipMemberName(z.rootLabel, z.relPath, i.member), key: i.imageKey, bytes });
    }
  }
  return { images, zipIds, unlisted };
}
