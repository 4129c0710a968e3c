/**
 * Netpbm bitmaps (PBM), the side images of older ES&S exports (`…F.pbm` front, `…R.pbm` back).
 * sharp's libvips build has no PBM reader, and the format is a short text header and packed bits,
 * so it is read here. Pure: bytes in, grey page out.
 */
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { GrayImage } from './grayImage.ts';

/** True when the bytes start like a PBM (binary P4 or plain P1). */
export function looksLikePbm(bytes: Uint8Array): boolean {
  return bytes[0] === 0x50 && (bytes[1] === 0x34 || bytes[1] === 0x31) && /\s/.test(String.fromCharCode(bytes[2] ?? 0));
}

/** Reads a P4 or P1 bitmap (1 = black) into 8-bit grey; refuses sizes beyond `maxPixels` before allocating. */
export function decodePbm(bytes: Uint8Array, label: string, maxPixels: number): Result<GrayImage> {
  const bad = (why: string) =>
    err(
      operatorError(
        'preaudit-image-corrupt',
        `${label} could not be decoded as an image (${why}).`,
        'The captured copy is kept as evidence. Rescan the ballot or re-export the image from the EMS.',
      ),
    );
  const plain = bytes[1] === 0x31;
  // Header: magic, width, height, separated by whitespace and # comments; one whitespace before P4 data.
  let at = 2;
  const numbers: number[] = [];
  while (numbers.length < 2 && at < bytes.length) {
    const c = bytes[at] ?? 0;
    if (c === 0x23) {
      while (at < bytes.length && bytes[at] !== 0x0a) at++;
    } else if (c >= 0x30 && c <= 0x39) {
      let v = 0;
      while (at < bytes.length && (bytes[at] ?? 0) >= 0x30 && (bytes[at] ?? 0) <= 0x39 && v < 1e9) v = v * 10 + ((bytes[at++] ?? 0) - 0x30);
      numbers.push(v);
      continue;
    } else if (!/\s/.test(String.fromCharCode(c))) {
      return bad('the bitmap header is damaged');
    }
    at++;
  }
  const [width = 0, height = 0] = numbers;
  if (width === 0 || height === 0) return bad('the bitmap header is damaged');
  if (width * height > maxPixels) {
    return err(
      operatorError(
        'preaudit-image-too-large',
        `${label} claims ${width}×${height} pixels, more than the ${maxPixels.toLocaleString('en-US')} allowed for a ballot scan (possible decompression bomb).`,
        'The file was not read. Check where it came from; rescan the ballot if it is genuine.',
      ),
    );
  }
  at++; // the single whitespace after the height
  const data = new Uint8Array(width * height);
  if (!plain) {
    const rowBytes = (width + 7) >> 3;
    if (bytes.length - at < rowBytes * height) return bad('the bitmap is cut short');
    for (let y = 0; y < height; y++) {
      const row = at + y * rowBytes;
      for (let x = 0; x < width; x++) data[y * width + x] = ((bytes[row + (x >> 3)] ?? 0) >> (7 - (x & 7))) & 1 ? 0 : 255;
    }
    return ok({ width, height, data });
  }
  let i = 0;
  for (; at < bytes.length && i < data.length; at++) {
    const c = bytes[at];
    if (c === 0x31) data[i++] = 0;
    else if (c === 0x30) data[i++] = 255;
  }
  if (i < data.length) return bad('the bitmap is cut short');
  return ok({ width, height, data });
}
