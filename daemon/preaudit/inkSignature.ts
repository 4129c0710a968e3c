// Pure (image in, patch out): the ink of a marked target, kept with the sheet's reading so phase 1 can
// tell a rescan of the same paper from another voter's identical choice (importer/sameInk.ts).
import { encodeInkPatch } from '../importer/inkPatch.ts';
import type { GrayImage } from './grayImage.ts';
import type { Levels } from './components.ts';
import type { Point } from './timingMarks.ts';

/**
 * The ink in a box twice the printed target's size (tw × th pixels) around its centre, as
 * ink/paper at the scan's resolution (half-way between the page's paper and ink levels), encoded
 * (importer/inkPatch.ts), turned upright when the page was scanned upside down. Pixels off the page are paper.
 */
export function inkSignature(img: GrayImage, center: Point, tw: number, th: number, levels: Levels, upsideDown = false): string {
  const width = Math.max(1, Math.round(2 * tw));
  const height = Math.max(1, Math.round(2 * th));
  const x0 = Math.round(center.x - (width - 1) / 2);
  const y0 = Math.round(center.y - (height - 1) / 2);
  const cut = (levels.paper + levels.ink) / 2;
  const ink = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const iy = y0 + y;
    if (iy < 0 || iy >= img.height) continue;
    for (let x = 0; x < width; x++) {
      const ix = x0 + x;
      if (ix >= 0 && ix < img.width && img.data[iy * img.width + ix]! < cut) ink[y * width + x] = 1;
    }
  }
  // A sheet fed upside down: its patch turned back upright, as the same paper fed the right way up.
  if (upsideDown) ink.reverse();
  return encodeInkPatch({ width, height, ink });
}
