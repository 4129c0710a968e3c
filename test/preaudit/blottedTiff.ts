/** Test helper (issue #19): a Dominion sheet's TIFF as the EMS would export it, with its code row blotted. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import sharp from 'sharp';
import { blotCodeRow } from './blotCodeRow.ts';

/**
 * Writes `out`: the 3-page TIFF `tiff` with its two ballot pages' type code rows painted white
 * (blotCodeRow), 1-bit at 200 dpi, and its AuditMark page (page 3) kept as scanned.
 */
export async function blottedTiff(tiff: string, out: string, workDir: string): Promise<void> {
  const pages = await blotCodeRow(tiff, workDir);
  const tiffs: string[] = [];
  for (const png of pages) {
    const t = path.join(workDir, `${path.basename(png, '.png')}.tif`);
    await sharp(png).greyscale().threshold(128).tiff({ compression: 'lzw', bitdepth: 1, xres: 200 / 25.4, yres: 200 / 25.4 }).toFile(t);
    tiffs.push(t);
  }
  execFileSync('tiffcp', [...tiffs, `${tiff},2`, out], { stdio: 'ignore' });
}
