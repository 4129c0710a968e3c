/**
 * The coarse-then-fine blob search (coarseBlobs.ts) against a search of every pixel: on drawn
 * pages where a coarse pass alone goes wrong (marks closer than a step, a mark with a thin tail
 * running past its window, a hairline no sample falls on), and the bars-and-squares finder built
 * on it against the same finder searching every pixel, on the real ImageCast scans.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { findBarAndSquareGrid } from './barGrid.ts';
import { type Blob, blobHeight, blobWidth, findBlobs } from './components.ts';
import { findBlobsCoarseToFine } from './coarseBlobs.ts';
import { decodeBallotImage, type GrayImage } from './image.ts';
import type { TimingMarkGrid } from './timingMarks.ts';

function page(width: number, height: number): GrayImage {
  return { width, height, data: new Uint8Array(width * height).fill(255) };
}
function ink(img: GrayImage, x0: number, y0: number, x1: number, y1: number): void {
  for (let y = y0; y <= y1; y++) img.data.fill(0, y * img.width + x0, y * img.width + x1 + 1);
}
const key = (b: Blob) => `${b.minX},${b.minY},${b.maxX},${b.maxY},${b.area}`;
const markSized = (b: Blob) => blobWidth(b) >= 12 && blobHeight(b) >= 12 && blobWidth(b) <= 60 && blobHeight(b) <= 60;
const band = { x0: 0, y0: 0, x1: 400, y1: 300 };

describe('coarse-then-fine blob search', () => {
  const img = page(400, 300);
  ink(img, 20, 20, 39, 39); // a plain mark
  ink(img, 60, 20, 80, 39); // two marks 2 px apart: one blob at step 4, two at full resolution
  ink(img, 83, 20, 102, 39);
  ink(img, 140, 20, 159, 39); // a mark with a 1 px tail along an unsampled row, 150 px long
  ink(img, 160, 37, 310, 37);
  ink(img, 20, 100, 39, 119); // a mark with a short 1 px tail (whole blob 20 × 50, still mark-sized)
  ink(img, 29, 120, 29, 149);
  ink(img, 200, 101, 360, 101); // a hairline on an unsampled row: no sample falls on it
  ink(img, 100, 200, 300, 240); // a large block (too large for a mark)
  ink(img, 302, 220, 321, 239); // a mark 1 px from it

  it('gives exactly the blobs of a full search that could be marks, in its order', () => {
    const full = findBlobs(img, 128, band.x0, band.y0, band.x1, band.y1, 1).filter(markSized).map(key);
    const fine = findBlobsCoarseToFine(img, 128, band, 4, (b) => blobWidth(b) + 8 >= 12 && blobHeight(b) + 8 >= 12, { width: 60, height: 60 })
      .filter(markSized)
      .map(key);
    expect(full.length).toBe(5);
    // The page does what it is drawn for: the close marks are one blob to the coarse pass alone.
    expect(findBlobs(img, 128, 0, 0, 400, 300, 4).some((b) => b.minX <= 60 && b.maxX >= 102 && b.maxY < 50)).toBe(true);
    expect(fine).toEqual(full);
  });

  it('follows a mark cut by its window until it is whole', () => {
    const fine = findBlobsCoarseToFine(img, 128, band, 4, () => true, { width: 60, height: 60 });
    // The mark with the short tail: its whole box, not the part in the first window.
    expect(fine.map(key)).toContain(key({ minX: 20, minY: 100, maxX: 39, maxY: 149, area: 400 + 30 }));
    // The long-tailed one is larger than any mark: dropped, not reported in part.
    expect(fine.some((b) => b.minX === 140 && b.minY === 20 && b.maxX < 310)).toBe(false);
  });

  it('step 1 is the full search', () => {
    expect(findBlobsCoarseToFine(img, 128, band, 1, () => false, { width: 1, height: 1 }).map(key)).toEqual(findBlobs(img, 128, 0, 0, 400, 300, 1).map(key));
  });
});

const here = path.dirname(fileURLToPath(import.meta.url));
const results = path.resolve(here, '../../../shared/corpus/dominion-imagecast-demo/Results/Tabulator00005');
const sheets = ['Batch001', 'Batch002'].flatMap((b) =>
  readdirSync(path.join(results, b, 'Images'))
    .filter((f) => f.endsWith('.tif'))
    .sort()
    .map((f) => path.join(results, b, 'Images', f)),
);

function sameGrid(a: TimingMarkGrid, b: TimingMarkGrid, label: string): number {
  expect([b.columns, b.rows, b.orientation, b.codeText, b.found, b.interpolatedRows], label).toEqual([a.columns, a.rows, a.orientation, a.codeText, a.found, a.interpolatedRows]);
  let worst = 0;
  for (let r = 0; r < a.rows; r++) {
    for (let c = 0; c < a.columns; c++) {
      const p = a.pointFor(c, r);
      const q = b.pointFor(c, r);
      worst = Math.max(worst, Math.hypot(p.x - q.x, p.y - q.y));
    }
  }
  return worst;
}

describe('bars-and-squares finder, coarse-then-fine against every pixel, on the real ImageCast scans', () => {
  it('finds the same grid on every side of the 12 sheets, upright, turned, skewed and with marks torn off', async () => {
    expect(sheets.length).toBe(12);
    let compared = 0;
    let worst = 0;
    for (const file of sheets) {
      const decoded = await decodeBallotImage(file, { ballotSidesOnly: true });
      if (!decoded.ok) throw new Error(decoded.error.message);
      for (const side of decoded.value) {
        const variants: [string, GrayImage][] = [
          ['upright', side],
          ['turned', { ...side, data: Uint8Array.from(side.data).reverse() }],
        ];
        if (compared === 0) {
          // One side also skewed and with two side squares and a bar torn off.
          const torn = { ...side, data: Uint8Array.from(side.data) };
          for (const [x0, y0, x1, y1] of [[0, 600, 120, 640], [1580, 1200, side.width - 1, 1240], [560, 100, 600, 190]] as const) {
            for (let y = y0; y <= y1; y++) torn.data.fill(255, y * side.width + x0, y * side.width + x1 + 1);
          }
          variants.push(['torn', torn]);
          const { data, info } = await sharp(Buffer.from(side.data), { raw: { width: side.width, height: side.height, channels: 1 } })
            .rotate(1.5, { background: '#ffffff' })
            .toColourspace('b-w')
            .raw()
            .toBuffer({ resolveWithObject: true });
          variants.push(['skewed', { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, info.width * info.height) }]);
        }
        for (const [name, img] of variants) {
          const label = `${path.basename(file)} page ${side.page} ${name}`;
          const every = findBarAndSquareGrid(img, { coarseStep: 1 });
          const coarse = findBarAndSquareGrid(img);
          if (!every.ok) throw new Error(`${label}: ${every.error.message}`);
          if (!coarse.ok) throw new Error(`${label}: ${coarse.error.message}`);
          worst = Math.max(worst, sameGrid(every.value, coarse.value, label));
          compared++;
        }
      }
    }
    expect(compared).toBe(12 * 2 * 2 + 2);
    // The same marks are measured at full resolution either way: the grids agree to a tenth of a pixel.
    expect(worst).toBeLessThan(0.1);
  }, 120_000);

  it('the comparison can fail: a grid one column off is told apart', async () => {
    const decoded = await decodeBallotImage(sheets[0]!, { ballotSidesOnly: true });
    if (!decoded.ok) throw new Error(decoded.error.message);
    const g = findBarAndSquareGrid(decoded.value[0]!);
    if (!g.ok) throw new Error(g.error.message);
    const shifted: TimingMarkGrid = { ...g.value, pointFor: (c, r) => g.value.pointFor(c + 1, r) };
    expect(sameGrid(g.value, shifted, 'shifted')).toBeGreaterThan(g.value.columnPitch * 0.9);
  });
});
