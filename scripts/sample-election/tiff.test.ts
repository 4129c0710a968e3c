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

  it('takes the pages of an input that already has several (front and back stacked by libvips)', async () => {
    const a = await page(64, 32, 3, false);
    const b = await page(64, 32, 5, false);
    const stacked = await sharp(Buffer.concat([a.raw, b.raw]), { raw: { width: 64, height: 64, channels: 1, pageHeight: 32 } })
      .toColourspace('b-w')
      .tiff({ compression: 'ccittfax4', bitdepth: 1 })
      .toBuffer();
    const c = await page(40, 10, 11, false);
    const joined = joinTiffPages([stacked, c.tiff]);
    expect((await sharp(joined).metadata()).pages).toBe(3);
    const bits = (x: Buffer): string => Array.from(x, (v) => (v < 128 ? '1' : '0')).join('');
    const p1 = await sharp(joined, { page: 1 }).extractChannel(0).raw().toBuffer();
    expect(bits(p1)).toBe(bits(b.raw));
  });

  it('refuses input that is not a little-endian TIFF', () => {
    expect(() => joinTiffPages([Buffer.from('not a tiff at all')])).toThrow(/TIFF/);
  });
});
