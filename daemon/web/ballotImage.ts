import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { decodeBallotImage, DEFAULT_MAX_PIXELS } from '../preaudit/image.ts';
import { essContainerPages } from '../preaudit/essContainer.ts';
import { zipMemberPath } from '../preaudit/zipMembers.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import type { GrayImage } from '../preaudit/grayImage.ts';
import type { CatalogObject } from './deps.ts';

/**
 * A stored ballot image as the browser can show it: JPEG and PNG as stored, TIFF and other
 * scanner formats converted page by page to JPEG (same pixel size, so overlays still fit).
 * The header is read first and an image claiming more pixels than the pre-audit accepts is
 * refused before anything is decoded: a 281 KB TIFF of 16000×16000 would cost 1.5 GB per request.
 * ES&S containers sharp cannot read (the scans inside an `<id>i.pdf`, PBM sides) are taken out as
 * the pre-audit takes them, with its limits, and sent as PNG (bitonal pages stay small and sharp).
 */
export interface BrowserImage {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly contentType: 'image/jpeg' | 'image/png';
}

/** Why an image is not shown; the web answers 404, 422 or 500 by code. */
export type BrowserImageErrorCode = 'image-unreadable' | 'image-too-large' | 'image-page-unknown';

export async function ballotImageForBrowser(object: CatalogObject, page: number, maxPixels = DEFAULT_MAX_PIXELS, member?: string): Promise<Result<BrowserImage, OperatorError<BrowserImageErrorCode>>> {
  const sharp = (await import('sharp')).default;
  const name = `${object.rootLabel}:${object.relPath}${member === undefined ? '' : ` (${member} inside it)`}`;
  const unreadable = operatorError('image-unreadable', `The stored file ${name} cannot be shown as a picture.`, 'Look at the original on the EMS. The file is kept as it was captured.');
  // A sheet inside a captured ES&S export zip: its member is read from the zip as the pre-audit reads it.
  const container = await essContainerPages(member === undefined ? object.vaultPath : zipMemberPath(object.vaultPath, member), maxPixels);
  if (container !== undefined) {
    if (container === 'unreadable') return err(unreadable);
    const scan = container[page];
    if (scan === undefined) return err(operatorError('image-page-unknown', `This image has ${container.length} page${container.length === 1 ? '' : 's'}.`, 'Open the ballot from the Pre-audit page.'));
    const png = await sharp(Buffer.from(scan.data.buffer, scan.data.byteOffset, scan.data.byteLength), { raw: { width: scan.width, height: scan.height, channels: 1 } }).toColourspace('b-w').png({ compressionLevel: 6 }).toBuffer();
    return ok({ bytes: new Uint8Array(png), contentType: 'image/png' });
  }
  let pages: number;
  try {
    // metadata() reads the header only; with a pixel limit it would throw, and the clerk would be told "unreadable".
    const meta = await sharp(object.vaultPath, { limitInputPixels: false }).metadata();
    if ((meta.width ?? 0) * (meta.height ?? 0) > maxPixels) {
      return err(
        operatorError(
          'image-too-large',
          `The stored file ${name} says it is ${meta.width ?? 0}×${meta.height ?? 0} pixels, far larger than any ballot scan, so it is not shown.`,
          'Look at the original on the EMS, and tell the supervisor: the file may have been made to slow the appliance down. It is kept as it was captured.',
        ),
      );
    }
    pages = meta.pages ?? 1;
  } catch {
    return err(unreadable);
  }
  if (page >= pages) return err(operatorError('image-page-unknown', `This image has ${pages} page${pages === 1 ? '' : 's'}.`, 'Open the ballot from the Pre-audit page.'));
  const ext = extname(object.relPath).toLowerCase();
  if ((ext === '.jpg' || ext === '.jpeg' || ext === '.png') && page === 0) {
    return ok({ bytes: new Uint8Array(await readFile(object.vaultPath)), contentType: ext === '.png' ? 'image/png' : 'image/jpeg' });
  }
  try {
    const jpeg = await sharp(object.vaultPath, { page, limitInputPixels: maxPixels }).jpeg({ quality: 85 }).toBuffer();
    return ok({ bytes: new Uint8Array(jpeg), contentType: 'image/jpeg' });
  } catch {
    return err(unreadable);
  }
}
