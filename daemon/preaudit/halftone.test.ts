import { describe, expect, it } from 'vitest';
import type { GrayImage } from './grayImage.ts';
import { strokeSquareAt, withoutHalftone } from './halftone.ts';

/** A 25 % screen at 200 dpi (2-pixel dots every 4 pixels) with two 5-pixel bars 2 pixels apart over it. */
function shadedBars(): GrayImage {
  const width = 60;
  const height = 40;
  const data = new Uint8Array(width * height).fill(255);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (x % 4 < 2 && y % 4 < 2) data[y * width + x] = 0;
  // The bars: columns 20–24 and 27–31, rows 10–29; the white gap between them is columns 25–26 (a "9"'s open tail).
  for (let y = 10; y < 30; y++) for (let x = 20; x < 32; x++) data[y * width + x] = x === 25 || x === 26 ? 255 : 0;
  return { width, height, data };
}

const inkAt = (img: GrayImage, x: number, y: number) => img.data[y * img.width + x]! === 0;

describe('halftone removal', () => {
  it('takes every dot of the screen away and keeps each stroke whole', () => {
    const img = shadedBars();
    const out = withoutHalftone(img, 0, 0, img.width, img.height, 128, strokeSquareAt(200));
    for (let y = 0; y < img.height; y++) {
      for (let x = 0; x < img.width; x++) {
        const bar = y >= 10 && y < 30 && ((x >= 20 && x <= 24) || (x >= 27 && x <= 31));
        expect(inkAt(out, x, y), `(${x}, ${y})`).toBe(bar);
      }
    }
  });

  it('keeps the white gap between two strokes open: a blur over the screen filled it, reading "9" as "8"', () => {
    const img = shadedBars();
    const out = withoutHalftone(img, 0, 0, img.width, img.height, 128, strokeSquareAt(200));
    for (let y = 10; y < 30; y++) expect(inkAt(out, 25, y) || inkAt(out, 26, y)).toBe(false);
  });

  it('judges a stroke cut by the crop\'s edge whole, and returns the crop asked for', () => {
    const img = shadedBars();
    const out = withoutHalftone(img, 22, 12, 10, 5, 128, strokeSquareAt(200));
    expect([out.width, out.height]).toEqual([10, 5]);
    // Columns 22–24 of the first bar (3 pixels inside the crop) are kept.
    for (let y = 0; y < 5; y++) expect([0, 1, 2].map((x) => inkAt(out, x, y))).toEqual([true, true, true]);
  });

  it('keeps a wider square at higher resolutions, never under 3 pixels', () => {
    expect(strokeSquareAt(150)).toBe(3);
    expect(strokeSquareAt(200)).toBe(3);
    expect(strokeSquareAt(300)).toBe(5);
  });
});
