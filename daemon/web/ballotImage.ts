import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { DEFAULT_MAX_PIXELS } from '../preaudit/image.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import type { CatalogObject } from './deps.ts';

/**
 * A stored ballot image as the browser can show it: JPEG and PNG as stored, TIFF and other
 * scanner formats converted page by page to JPEG (same pixel size, so overlays still fit).
 * The header is read first and an image claiming more pixels than the pre-audit accepts is
 * refused before anything is decoded: a 281 KB TIFF of 16000×16000 would cost 1.5 GB per request.
 */
export interface BrowserImage {
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly contentType: 'image/jpeg' | 'image/png';
}

/** Why an image is not shown; the web answers 404, 422 or 500 by code. */
export type BrowserImageErrorCode = 'image-unreadable' | 'image-too-large' | 'image-page-unknown';

export async function ballotImageForBrowser(object: CatalogObject, page: number, maxPixels = DEFAULT_MAX_PIXELS): Promise<Result<BrowserImage, OperatorError<BrowserImageErrorCode>>> {
  const sharp = (await import('sharp')).default;
  const name = `${object.rootLabel}:${object.relPath}`;
  const unreadable = operatorError('image-unreadable', `The stored file ${name} cannot be shown as a picture.`, 'Look at the original on the EMS. The file is kept as it was captured.');
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
