/**
 * Blobs of a band of the page found coarse-then-fine: a pass over every step-th row and column
 * (1/step² of the pixels) shows where ink lies; each coarse blob big enough to be part of a mark is
 * searched again at full resolution in a window around it. The window grows until the blob under
 * the coarse one no longer touches its edge, so every blob returned is exactly the blob a full
 * search of the band gives (same box, same ink count), in the same order. Only blobs too small to
 * matter, or so thin that no sampled pixel falls on them, are left out.
 */
import { type Blob, blobHeight, blobWidth, findBlobs } from './components.ts';
import type { GrayImage } from './image.ts';

export interface Band {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/**
 * Full-resolution blobs of the band under every coarse blob for which `mayHold` is true. The
 * coarse box given to `mayHold` is the extent of the sampled ink: the blob it belongs to may be up
 * to step − 1 pixels larger on each side. A blob already larger than `largest` in part (a rule
 * line, a streak, a column of text) is not followed further: no mark is that large, whatever its
 * whole extent. step 1 is a plain full search (every blob).
 */
export function findBlobsCoarseToFine(
  img: GrayImage,
  threshold: number,
  band: Band,
  step: number,
  mayHold: (coarse: Blob) => boolean,
  largest: { readonly width: number; readonly height: number },
  ignoreX?: Uint8Array,
): Blob[] {
  const x0 = Math.max(0, band.x0 | 0);
  const y0 = Math.max(0, band.y0 | 0);
  const x1 = Math.min(img.width, band.x1 | 0);
  const y1 = Math.min(img.height, band.y1 | 0);
  if (step <= 1) return findBlobs(img, threshold, x0, y0, x1, y1, 1, ignoreX);
  const found = new Map<string, Blob>();
  for (const coarse of findBlobs(img, threshold, x0, y0, x1, y1, step, ignoreX)) {
    if (!mayHold(coarse)) continue;
    // Each side of the window moves out on its own, as far as a cut blob needs.
    const margin = { left: step, top: step, right: step, bottom: step };
    for (;;) {
      const w = {
        x0: Math.max(x0, coarse.minX - margin.left),
        y0: Math.max(y0, coarse.minY - margin.top),
        x1: Math.min(x1, coarse.maxX + 1 + margin.right),
        y1: Math.min(y1, coarse.maxY + 1 + margin.bottom),
      };
      const blobs = findBlobs(img, threshold, w.x0, w.y0, w.x1, w.y1, 1, ignoreX);
      // A blob cut by the window's edge (not the band's) is not whole: look wider on that side if
      // it is the one under the coarse blob and could still be a mark.
      let growLeft = false;
      let growTop = false;
      let growRight = false;
      let growBottom = false;
      for (const b of blobs) {
        const left = b.minX === w.x0 && w.x0 > x0;
        const top = b.minY === w.y0 && w.y0 > y0;
        const right = b.maxX === w.x1 - 1 && w.x1 < x1;
        const bottom = b.maxY === w.y1 - 1 && w.y1 < y1;
        if (!(left || top || right || bottom)) found.set(`${b.minX},${b.minY},${b.maxX},${b.maxY},${b.area}`, b);
        else if (overlaps(b, coarse) && blobWidth(b) <= largest.width && blobHeight(b) <= largest.height) {
          growLeft ||= left;
          growTop ||= top;
          growRight ||= right;
          growBottom ||= bottom;
        }
      }
      if (!(growLeft || growTop || growRight || growBottom)) break;
      if (growLeft) margin.left *= 2;
      if (growTop) margin.top *= 2;
      if (growRight) margin.right *= 2;
      if (growBottom) margin.bottom *= 2;
    }
  }
  // The full search's order (by each blob's first run in raster order): the edge fits sample pairs in list order.
  const firstRunX = (b: Blob) => {
    const row = b.minY * img.width;
    for (let x = b.minX; x <= b.maxX; x++) if (img.data[row + x]! <= threshold && (ignoreX === undefined || ignoreX[x] !== 1)) return x;
    return b.minX;
  };
  return [...found.values()].map((b) => ({ b, fx: firstRunX(b) })).sort((p, q) => p.b.minY - q.b.minY || p.fx - q.fx).map((e) => e.b);
}

function overlaps(a: Blob, b: Blob): boolean {
  return a.minX <= b.maxX && b.minX <= a.maxX && a.minY <= b.maxY && b.minY <= a.maxY;
}
