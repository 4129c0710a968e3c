import { describe, expect, it } from 'vitest';
import type { GrayImage } from './grayImage.ts';
import { boldLinesOnly, withoutHalftone } from './halftone.ts';

/**
 * A 25 % screen (dots of `dot` pixels every 2 × `dot`) with two 5-pixel-wide bars 2 pixels apart over
 * it, as a bold letter's strokes at 200 dpi.
 */
function shadedBars(dot = 2, stroke = 5): GrayImage {
  const width = 80;
  const height = 50;
  const data = new Uint8Array(width * height).fill(255);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (x % (2 * dot) < dot && y % (2 * dot) < dot) data[y * width + x] = 0;
  // The bars: columns 20 to 20+stroke and on from 2 past it, rows 10–29; the white gap between them is a "9"'s open tail.
  for (let y = 10; y < 30; y++) for (let x = 20; x < 22 + 2 * stroke; x++) data[y * width + x] = x === 20 + stroke || x === 21 + stroke ? 255 : 0;
  return { width, height, data };
}

const inkAt = (img: GrayImage, x: number, y: number) => img.data[y * img.width + x]! === 0;
const isBar = (x: number, y: number, stroke = 5) => y >= 10 && y < 30 && ((x >= 20 && x < 20 + stroke) || (x >= 22 + stroke && x < 22 + 2 * stroke));

describe('halftone removal', () => {
  it('takes every dot of the screen away and keeps each stroke whole', () => {
    const img = shadedBars();
    const out = withoutHalftone(img, 0, 0, img.width, img.height, 128, 200);
    for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) expect(inkAt(out, x, y), `(${x}, ${y})`).toBe(isBar(x, y));
  });

  it('keeps the white gap between two strokes open: averaging over the screen filled it, reading "9" as "8"', () => {
    const img = shadedBars();
    const out = withoutHalftone(img, 0, 0, img.width, img.height, 128, 200);
    for (let y = 10; y < 30; y++) expect(inkAt(out, 25, y) || inkAt(out, 26, y)).toBe(false);
  });

  it("judges a stroke cut by the crop's edge whole, and returns the crop asked for", () => {
    const img = shadedBars();
    const out = withoutHalftone(img, 22, 12, 10, 14, 128, 200);
    expect([out.width, out.height]).toEqual([10, 14]);
    // Columns 22–24 of the first bar (3 pixels inside the crop, fewer than the square) are kept.
    for (let y = 0; y < 14; y++) expect([0, 1, 2].map((x) => inkAt(out, x, y))).toEqual([true, true, true]);
  });

  it('at 300 dpi takes away the coarser dots (3 pixels) and keeps strokes 7 pixels wide', () => {
    const img = shadedBars(3, 7);
    const out = withoutHalftone(img, 0, 0, img.width, img.height, 128, 300);
    for (let y = 0; y < img.height; y++) for (let x = 0; x < img.width; x++) expect(inkAt(out, x, y), `(${x}, ${y})`).toBe(isBar(x, y, 7));
  });

  it('keeps only the lines of bold print: the specks of thin print and a box side between them go', () => {
    // At 200 dpi: a title line 14 rows tall with 40 pixels of ink a row, specks (3×3, a few a row)
    // and a box side 3 pixels wide running down the whole crop.
    const width = 100;
    const height = 60;
    const data = new Uint8Array(width * height).fill(255);
    for (let y = 0; y < height; y++) for (let x = 2; x < 5; x++) data[y * width + x] = 0;
    for (let y = 5; y < 19; y++) for (let x = 10; x < 90; x += 2) data[y * width + x] = 0;
    for (const [sx, sy] of [[20, 30], [50, 31], [70, 45], [30, 50]] as const) for (let y = sy; y < sy + 3; y++) for (let x = sx; x < sx + 3; x++) data[y * width + x] = 0;
    const out = boldLinesOnly({ width, height, data }, 200);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) expect(inkAt(out, x, y), `(${x}, ${y})`).toBe(y >= 5 && y < 19 && data[y * width + x] === 0);
    }
  });
});
