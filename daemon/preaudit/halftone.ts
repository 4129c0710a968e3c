/**
 * Text printed over a shaded band, as a bitonal scan shows it: the shading is a fine screen of
 * dots (a halftone) that OCR reads as noise. A bold title's strokes are wider than a dot, so ink is
 * kept only where a square a little larger than a dot fits wholly in ink, and grown back to the
 * stroke's edge (a morphological opening). The dots go, dots touching a letter go with them, and
 * the letters keep their shape: averaging the screen away instead blurred "9" into "8". Pure:
 * image in, a cleaned crop out.
 */
import type { GrayImage } from './grayImage.ts';

/** A halftone dot is at most this wide (half a 0.02 in screen's pitch, and a pixel of scanner blur). */
const DOT_IN = 0.015;

/** The side of the square a stroke must hold to be kept at `dpi`: never under 3 pixels. */
export function strokeSquareAt(dpi: number): number {
  return Math.max(3, Math.round(DOT_IN * dpi));
}

/**
 * The crop (x, y, width, height) of `img` with halftone dots removed: a pixel is ink when it lies
 * in a `side`×`side` square of ink (pixels ≤ `threshold`).
 */
export function withoutHalftone(img: GrayImage, x: number, y: number, width: number, height: number, threshold: number, side: number): GrayImage {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const w = Math.max(0, Math.min(img.width - x0, Math.round(width)));
  const h = Math.max(0, Math.min(img.height - y0, Math.round(height)));
  const k = Math.max(1, Math.round(side));
  // Worked over the crop with a border of k pixels (clamped to the page), so strokes crossing
  // the crop's edge are judged whole.
  const bx0 = Math.max(0, x0 - k);
  const by0 = Math.max(0, y0 - k);
  const bw = Math.min(img.width, x0 + w + k) - bx0;
  const bh = Math.min(img.height, y0 + h + k) - by0;
  const ink = new Uint8Array(bw * bh);
  for (let yy = 0; yy < bh; yy++) {
    const row = (by0 + yy) * img.width + bx0;
    for (let xx = 0; xx < bw; xx++) ink[yy * bw + xx] = img.data[row + xx]! <= threshold ? 1 : 0;
  }
  // The square at (x, y) covers [x − before, x + after) on each axis.
  const before = Math.floor((k - 1) / 2);
  const after = k - before;
  const inside = squareCounts(ink, bw, bh);
  const core = new Uint8Array(bw * bh);
  for (let yy = before; yy + after <= bh; yy++) {
    for (let xx = before; xx + after <= bw; xx++) if (inside(xx - before, yy - before, xx + after, yy + after) === k * k) core[yy * bw + xx] = 1;
  }
  // Grown back: a pixel is kept when some full square covers it.
  const cores = squareCounts(core, bw, bh);
  const out = new Uint8Array(w * h).fill(255);
  for (let yy = 0; yy < h; yy++) {
    const cy = y0 - by0 + yy;
    for (let xx = 0; xx < w; xx++) {
      const cx = x0 - bx0 + xx;
      const covered = cores(Math.max(0, cx - after + 1), Math.max(0, cy - after + 1), Math.min(bw, cx + before + 1), Math.min(bh, cy + before + 1));
      if (covered > 0) out[yy * w + xx] = 0;
    }
  }
  return { width: w, height: h, data: out };
}

/** A summed-area table of a 0/1 map: the count over [x0, x1) × [y0, y1). */
function squareCounts(map: Uint8Array, w: number, h: number): (x0: number, y0: number, x1: number, y1: number) => number {
  const sw = w + 1;
  const sum = new Int32Array(sw * (h + 1));
  for (let y = 0; y < h; y++) {
    let row = 0;
    for (let x = 0; x < w; x++) {
      row += map[y * w + x]!;
      sum[(y + 1) * sw + x + 1] = sum[y * sw + x + 1]! + row;
    }
  }
  return (x0, y0, x1, y1) => sum[y1 * sw + x1]! - sum[y0 * sw + x1]! - sum[y1 * sw + x0]! + sum[y0 * sw + x0]!;
}
