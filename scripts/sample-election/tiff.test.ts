import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { joinTiffPages } from './tiff.ts';

async function page(width: number, height: number, seed: number, g4: boolean): Promise<{ raw: Buffer; tiff: Buffer }> {
  const raw = Buffer.alloc(width * height, 255);
  for (let i = 0; i < raw.length; i++) if ((i * seed) % 7 === 0) raw[i] = 0;
  const s = sharp(raw, { raw: { width, height, channels: 1 } });
  const tiff = g4
    ? await s.toColourspace('b-w').threshold(128).tiff({ compression: 'ccittfax4', bitdepth: 1, rowsPerStrip: 16 } as sharp.TiffOptions).toBuffer()
    : await s.tiff({ compression: 'lzw' }).toBuffer();
  return { raw, tiff };
}

describe('joinTiffPages', () => {
  it('chains pages of different sizes and compressions that libvips reads back pixel for pixel', async () => {
    const a = await page(200, 300, 3, true);
    const b = await page(200, 300, 5, true);
    const c = await page(120, 40, 11, false);
    const joined = joinTiffPages([a.tiff, b.tiff, c.tiff]);
    const meta = await sharp(joined).metadata();
    expect(meta.pages).toBe(3);
    for (const [i, p, w, h] of [
      [0, a, 200, 300],
      [1, b, 200, 300],
      [2, c, 120, 40],
    ] as const) {
      const { data, info } = await sharp(joined, { page: i }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      expect([info.width, info.height]).toEqual([w, h]);
      const bits = (x: Buffer): string => Array.from(x, (v) => (v < 128 ? '1' : '0')).join('');
      expect(bits(data)).toBe(bits(p.raw));
    }
  });

  it('refuses input that is not a little-endian TIFF', () => {
    expect(() => joinTiffPages([Buffer.from('not a tiff at all')])).toThrow(/TIFF/);
  });
});
