/**
 * Text printed over a shaded band, as a bitonal scan shows it: the shading is a fine screen of
 * dots (a halftone) that OCR reads as noise. Averaged over about one dot pitch the screen is an
 * even light grey, while a letter's stroke stays dark; thresholding that average keeps the
 * letters and drops the dots. Pure: image in, a cleaned crop out.
 */
import type { GrayImage } from './grayImage.ts';

/** Share of ink in the window above which a pixel is kept as a letter's stroke (a 25 % screen averages well below). */
const STROKE_SHARE = 0.5;

/**
 * The crop (x, y, width, height) of `img` with halftone dots removed: each pixel is ink when at
 * least half of the `window`×`window` square around it is ink (pixels ≤ `threshold`).
 */
export function withoutHalftone(img: GrayImage, x: number, y: number, width: number, height: number, threshold: number, window: number): GrayImage {
  const x0 = Math.max(0, Math.round(x));
  const y0 = Math.max(0, Math.round(y));
  const w = Math.max(0, Math.min(img.width - x0, Math.round(width)));
  const h = Math.max(0, Math.min(img.height - y0, Math.round(height)));
  const k = Math.max(1, Math.round(window));
  // Summed-area table of ink over the crop with a border of k pixels (clamped to the page).
  const bx0 = Math.max(0, x0 - k);
  const by0 = Math.max(0, y0 - k);
  const bx1 = Math.min(img.width, x0 + w + k);
  const by1 = Math.min(img.height, y0 + h + k);
  const sw = bx1 - bx0 + 1;
  const sum = new Int32Array(sw * (by1 - by0 + 1));
  for (let yy = by0; yy < by1; yy++) {
    let row = 0;
    const r = (yy - by0 + 1) * sw;
    for (let xx = bx0; xx < bx1; xx++) {
      if (img.data[yy * img.width + xx]! <= threshold) row++;
      sum[r + (xx - bx0 + 1)] = sum[r - sw + (xx - bx0 + 1)]! + row;
    }
  }
  const before = Math.floor((k - 1) / 2);
  const after = k - before;
  const out = new Uint8Array(w * h).fill(255);
  for (let yy = 0; yy < h; yy++) {
    const ya = Math.max(by0, y0 + yy - before) - by0;
    const yb = Math.min(by1, y0 + yy + after) - by0;
    for (let xx = 0; xx < w; xx++) {
      const xa = Math.max(bx0, x0 + xx - before) - bx0;
      const xb = Math.min(bx1, x0 + xx + after) - bx0;
      const ink = sum[yb * sw + xb]! - sum[ya * sw + xb]! - sum[yb * sw + xa]! + sum[ya * sw + xa]!;
      if (ink >= STROKE_SHARE * (yb - ya) * (xb - xa)) out[yy * w + xx] = 0;
    }
  }
  return { width: w, height: h, data: out };
}
