/**
 * A contest's area of a stored ballot page as a PNG, for the evidence folder. sharp reads TIFF,
 * JPEG and PNG one page at a time; the ES&S scans it cannot read (inside an `<id>i.pdf`, a PBM
 * side, a member of a captured export zip) are decoded as the reader decoded them, so the region
 * found by the reader is cut from the same pixels.
 */
import sharp from 'sharp';
import { essContainerPages } from './essContainer.ts';
import { DEFAULT_MAX_PIXELS } from './image.ts';

export interface Region {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** Writes page `page` of `source` (a vault path, or a zip member's `<zip>\0<member>`) cut to `region`; false when it cannot be read. */
export async function writeContestCrop(source: string, page: number, region: Region, file: string): Promise<boolean> {
  const pages = await essContainerPages(source, DEFAULT_MAX_PIXELS);
  if (pages === undefined) {
    await sharp(source, { page, limitInputPixels: 80_000_000 }).extract(region).png().toFile(file);
    return true;
  }
  const scan = pages === 'unreadable' ? undefined : pages[page];
  if (scan === undefined) return false;
  await sharp(Buffer.from(scan.data.buffer, scan.data.byteOffset, scan.data.byteLength), { raw: { width: scan.width, height: scan.height, channels: 1 } })
    .extract(region)
    .png()
    .toFile(file);
  return true;
}
