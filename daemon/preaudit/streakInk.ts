/**
 * Pen ink read through scanner streaks. A streak (an image column inked down the whole page) is read
 * as paper, which cuts every pen stroke crossing it in two: a clear check through an oval would
 * measure as two short strokes. A streak pixel is read as ink when the pen ink runs up to the streak
 * on both sides of it (the nearest clean columns left and right, on the same row): the stroke goes
 * on under the streak. Pure: pixels in, a pixel test out.
 */
import type { GrayImage } from './image.ts';

/** Streaks wider than this are not bridged (the generator's and real streaks are 1–3 pixels). */
const MAX_BRIDGE = 4;

/** Is (x, y) pen ink, streak columns (`paperColumns[x] === 1`) bridged as above? */
export function inkThroughStreaks(img: GrayImage, isInk: (v: number) => boolean, paperColumns?: Uint8Array): (x: number, y: number) => boolean {
  const at = (x: number, y: number) => isInk(img.data[y * img.width + x]!);
  if (paperColumns === undefined) return (x, y) => x >= 0 && y >= 0 && x < img.width && y < img.height && at(x, y);
  const clean = (x: number) => x >= 0 && x < img.width && paperColumns[x] !== 1;
  return (x, y) => {
    if (x < 0 || y < 0 || x >= img.width || y >= img.height) return false;
    if (paperColumns[x] !== 1) return at(x, y);
    let l = x - 1;
    while (l >= x - MAX_BRIDGE && l >= 0 && !clean(l)) l--;
    let r = x + 1;
    while (r <= x + MAX_BRIDGE && r < img.width && !clean(r)) r++;
    return clean(l) && clean(r) && r - l - 1 <= MAX_BRIDGE && at(l, y) && at(r, y);
  };
}
