/**
 * Registration of real Dominion ImageCast scans (../shared/corpus/dominion-imagecast-demo): bars
 * top and bottom, squares down the sides, corner blocks, the type code inside the bottom bars.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeBallotImage, type DecodedPage, type GrayImage } from './image.ts';
import { findTimingMarkGrid } from './findGrid.ts';
import type { TimingMarkGrid } from './timingMarks.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const results = path.resolve(here, '../../../shared/corpus/dominion-imagecast-demo/Results/Tabulator00005');
const sheets = ['Batch001', 'Batch002'].flatMap((b) =>
  readdirSync(path.join(results, b, 'Images'))
    .filter((f) => f.endsWith('.tif'))
    .sort()
    .map((f) => path.join(results, b, 'Images', f)),
);

async function pagesOf(file: string): Promise<DecodedPage[]> {
  const decoded = await decodeBallotImage(file);
  if (!decoded.ok) throw new Error(decoded.error.message);
  return decoded.value;
}

function gridOf(img: GrayImage): TimingMarkGrid {
  const grid = findTimingMarkGrid(img);
  if (!grid.ok) throw new Error(grid.error.message);
  return grid.value;
}

/** Paints a box white (a mark torn off or smudged away). */
function erase(img: GrayImage, x0: number, y0: number, x1: number, y1: number): GrayImage {
  const data = Uint8Array.from(img.data);
  for (let y = y0; y <= y1; y++) data.fill(255, y * img.width + x0, y * img.width + x1 + 1);
  return { ...img, data };
}

function rotate180(img: GrayImage): GrayImage {
  return { ...img, data: Uint8Array.from(img.data).reverse() };
}

/** Where the filled oval of a known sheet sits (centre of its ink), measured from the image. */
const FILLED_OVAL = { file: '00005_00001_000002.tif', page: 0, x: 586, y: 982, column: 7, row: 15 };

describe('Dominion ImageCast scans: registration', () => {
  it('has the 12 sheets of batches 1 and 2', () => {
    expect(sheets.length).toBe(12);
  });

  it('registers front and back of every sheet with the same grid and code, and sets the AuditMark page aside', async () => {
    const fronts = new Set<string>();
    const backs = new Set<string>();
    for (const file of sheets) {
      const pages = await pagesOf(file);
      expect(pages.length, file).toBe(3);
      const [front, back] = [gridOf(pages[0]!), gridOf(pages[1]!)];
      for (const g of [front, back]) {
        expect(g.design, file).toBe('bars-and-squares');
        expect(g.orientation, file).toBe('upright');
        expect([g.columns, g.rows], file).toEqual([25, 59]);
        expect(g.interpolatedRows, file).toEqual([]);
      }
      fronts.add(front.codeText ?? '');
      backs.add(back.codeText ?? '');
      // The AuditMark page (text only) has no marks to register.
      expect(findTimingMarkGrid(pages[2]!).ok, file).toBe(false);
    }
    // One style: one code per side, and front and back codes differ.
    expect(fronts.size).toBe(1);
    expect(backs.size).toBe(1);
    expect([...fronts][0]).not.toEqual([...backs][0]);
    expect([...fronts][0]).toMatch(/[1-3]/);
  });

  it('puts a grid point on a filled oval', async () => {
    const pages = await pagesOf(sheets.find((f) => f.endsWith(FILLED_OVAL.file))!);
    const g = gridOf(pages[FILLED_OVAL.page]!);
    const p = g.pointFor(FILLED_OVAL.column, FILLED_OVAL.row);
    expect(Math.hypot(p.x - FILLED_OVAL.x, p.y - FILLED_OVAL.y)).toBeLessThan(g.columnPitch * 0.2);
  });

  it('reads an upside-down scan: same grid points, turned', async () => {
    const pages = await pagesOf(sheets[0]!);
    const upright = gridOf(pages[0]!);
    const turned = gridOf(rotate180(pages[0]!));
    expect(turned.orientation).toBe('rotated180');
    expect([turned.columns, turned.rows, turned.codeText]).toEqual([upright.columns, upright.rows, upright.codeText]);
    for (const [c, r] of [[0, 0], [7, 15], [24, 58]] as const) {
      const a = upright.pointFor(c, r);
      const b = turned.pointFor(c, r);
      expect(Math.hypot(a.x - (pages[0]!.width - 1 - b.x), a.y - (pages[0]!.height - 1 - b.y))).toBeLessThan(1.5);
    }
  });

  it('tolerates missing side squares, a missing bar and a skewed scan', async () => {
    const pages = await pagesOf(sheets[0]!);
    const img = pages[0]!;
    const upright = gridOf(img);
    const row10 = upright.pointFor(0, 10);
    // Erase the left square of row 10, the right square of row 0 and a top bar.
    let damaged = erase(img, 0, Math.round(row10.y - 20), 120, Math.round(row10.y + 20));
    const r0 = upright.pointFor(24, 0);
    damaged = erase(damaged, 1580, Math.round(r0.y - 20), img.width - 1, Math.round(r0.y + 20));
    damaged = erase(damaged, 560, 100, 600, 190);
    const g = gridOf(damaged);
    expect([g.columns, g.rows]).toEqual([upright.columns, upright.rows]);
    expect(g.interpolatedRows).toEqual([0, 10]);
    const a = upright.pointFor(7, 15);
    const b = g.pointFor(7, 15);
    expect(Math.hypot(a.x - b.x, a.y - b.y)).toBeLessThan(upright.columnPitch * 0.1);

    // 2° of skew either way, as a sheet fed crooked: the code row too is read at its own columns.
    for (const degrees of [2, -2]) {
      const { data, info } = await sharp(Buffer.from(img.data), { raw: { width: img.width, height: img.height, channels: 1 } })
        .rotate(degrees, { background: '#ffffff' })
        .toColourspace('b-w')
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect(info.channels).toBe(1);
      const skewed = { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, info.width * info.height) };
      const s = gridOf(skewed);
      expect([s.columns, s.rows, s.codeText]).toEqual([upright.columns, upright.rows, upright.codeText]);
    }
  });
});
