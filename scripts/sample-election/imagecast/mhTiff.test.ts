import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { Rng } from '../prng.ts';
import type { Gray } from '../raster.ts';
import { encodeModifiedHuffman, MH_CODES, writeMhTiff } from './mhTiff.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mh-tiff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Rows of random runs: short ones, every length 0..63, make-up lengths and runs longer than 2560. */
function randomPage(width: number, height: number, seed: number): Gray {
  const rng = new Rng(seed);
  const data = Buffer.alloc(width * height, 255);
  for (let y = 0; y < height; y++) {
    let x = 0;
    let black = rng.chance(0.3);
    while (x < width) {
      const pick = rng.int(0, 9);
      const run = pick < 5 ? rng.int(1, 63) : pick < 8 ? rng.int(64, 1800) : rng.int(1800, 6000);
      if (black) data.fill(0, y * width + x, y * width + Math.min(width, x + run));
      x += run;
      black = !black;
    }
  }
  return { width, height, dpi: 200, data };
}

async function decoded(tiff: Buffer, page: number): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(tiff, { page }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

describe('modified Huffman (TIFF compression 2) writer', () => {
  it('has prefix-free code tables per colour', () => {
    for (const table of MH_CODES) {
      const words = [...table.term, ...table.makeup.slice(1)].map((c) => c.bits.toString(2).padStart(c.length, '0'));
      for (const a of words) for (const b of words) if (a !== b) expect(b.startsWith(a), `${a} prefixes ${b}`).toBe(false);
      expect(new Set(words).size).toBe(words.length);
    }
  });

  it('writes pages of different sizes that libtiff (through sharp) decodes pixel for pixel', async () => {
    const pages = [randomPage(1700, 120, 1), randomPage(6100, 40, 2), randomPage(850, 60, 3)];
    // a blank row and a row that starts black
    pages[2]?.data.fill(255, 0, 850);
    pages[2]?.data.fill(0, 850, 900);
    const tiff = writeMhTiff(pages);
    expect((await sharp(tiff).metadata()).pages).toBe(3);
    for (const [i, p] of pages.entries()) {
      const d = await decoded(tiff, i);
      expect([d.width, d.height]).toEqual([p.width, p.height]);
      let diff = 0;
      for (let k = 0; k < p.data.length; k++) if (((d.data[k] as number) < 128) !== ((p.data[k] as number) < 128)) diff++;
      expect(diff, `page ${i}`).toBe(0);
    }
  });

  it('is tagged as ImageCast writes it: CCITT RLE, min-is-white, 1 bit, 200 dpi, one strip', () => {
    const file = path.join(dir, 'x.tif');
    writeFileSync(file, writeMhTiff([randomPage(400, 30, 4), randomPage(400, 30, 5)]));
    const info = execFileSync('tiffinfo', [file], { encoding: 'utf8' });
    expect(info.match(/Compression Scheme: CCITT RLE$/gm)?.length).toBe(2);
    expect(info).toMatch(/Photometric Interpretation: min-is-white/);
    expect(info).toMatch(/Bits\/Sample: 1/);
    expect(info).toMatch(/Resolution: 200, 200 pixels\/inch/);
    expect(info).toMatch(/Rows\/Strip: 30/);
    // tiffinfo -D decodes every strip and complains on a bad code
    const check = execFileSync('tiffinfo', ['-D', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(check).not.toMatch(/error|bad code/i);
  });

  it('byte-aligns every row', () => {
    // an all-white row of 8 pixels is white run 8 (10011) + padding: one byte per row
    const page: Gray = { width: 8, height: 3, dpi: 200, data: Buffer.alloc(24, 255) };
    expect([...encodeModifiedHuffman(page)]).toEqual([0b10011000, 0b10011000, 0b10011000]);
  });
});
