import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeBallotImage, greyJpegDecoder, ReusedPixels } from './image.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const scan = path.resolve(here, '../../../shared/corpus/nh-amherst-scans/scan-marked-front.jpeg');
const dir = mkdtempSync(path.join(tmpdir(), 'preaudit-image-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A tiny PNG whose header claims width × height grey pixels: a decompression bomb's shape. */
function bombPng(width: number, height: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.alloc(1024))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('decodeBallotImage', () => {
  it('decodes a real 200 dpi JPEG scan to one 8-bit grey page', async () => {
    const r = await decodeBallotImage(scan);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toHaveLength(1);
    const page = r.value[0]!;
    expect([page.width, page.height, page.data.length]).toEqual([1700, 2200, 1700 * 2200]);
    expect(page.density).toBe(200);
  });

  it('decodes a grey JPEG scan with libjpeg-turbo, within a few grey levels of sharp', async () => {
    // The prebuilt binary ships in the npm package for this platform; sharp is only the fallback.
    expect(greyJpegDecoder()).toBe('libjpeg-turbo');
    const r = await decodeBallotImage(scan);
    if (!r.ok) throw new Error(r.error.message);
    const page = r.value[0]!;
    const want = await sharp(scan).toColourspace('b-w').raw().toBuffer();
    expect(page.data.length).toBe(want.length);
    let maxDiff = 0;
    let differing = 0;
    for (let i = 0; i < want.length; i++) {
      const d = Math.abs(page.data[i]! - want[i]!);
      if (d > 0) differing++;
      if (d > maxDiff) maxDiff = d;
    }
    // The fast integer IDCT rounds differently from libvips' decoder: a grey level or two, never a mark.
    expect(maxDiff).toBeLessThanOrEqual(4);
    expect(differing / want.length).toBeLessThan(0.25);
  });

  it('decodes grey JPEGs into a reused pixel buffer, page after page, with the same pixels', async () => {
    const backScan = scan.replace('front', 'back');
    const fresh = await Promise.all([decodeBallotImage(scan), decodeBallotImage(backScan)]);
    const pixels = new ReusedPixels();
    const first = await decodeBallotImage(scan, { reusePixels: pixels });
    if (!first.ok || !fresh[0].ok || !fresh[1].ok) throw new Error('decode failed');
    expect(Buffer.from(first.value[0]!.data).equals(Buffer.from(fresh[0].value[0]!.data))).toBe(true);
    const second = await decodeBallotImage(backScan, { reusePixels: pixels });
    if (!second.ok) throw new Error(second.error.message);
    expect(Buffer.from(second.value[0]!.data).equals(Buffer.from(fresh[1].value[0]!.data))).toBe(true);
    // The same bytes lent out again: the first page's pixels are now the second's.
    expect(second.value[0]!.data.buffer).toBe(first.value[0]!.data.buffer);
  });

  it('decodes PNG with alpha to grey', async () => {
    const png = await sharp({ create: { width: 40, height: 30, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 1 } } })
      .png()
      .toBuffer();
    const r = await decodeBallotImage(png);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.value[0]!.data.length).toBe(40 * 30);
    expect(r.value[0]!.data[0]).toBe(0);
  });

  it('gives the grey values of sharp greyscale() for colour, 16-bit and bitonal inputs, as one channel', async () => {
    // decodePage skips sharp's default sRGB output (a costly round trip for grey scans); the values must not change.
    const small = await sharp(scan).resize(300).toBuffer();
    const inputs = [
      await sharp(small).toColourspace('srgb').tint({ r: 255, g: 200, b: 170 }).jpeg().toBuffer(),
      await sharp(small).toColourspace('grey16').png().toBuffer(),
      await sharp(small).toColourspace('b-w').tiff({ compression: 'ccittfax4', bitdepth: 1 }).toBuffer(),
    ];
    for (const input of inputs) {
      const r = await decodeBallotImage(input);
      if (!r.ok) throw new Error(r.error.message);
      const page = r.value[0]!;
      const want = await sharp(input).greyscale().raw().toBuffer({ resolveWithObject: true });
      expect(want.info.channels).toBe(1);
      expect(page.data.length).toBe(page.width * page.height);
      expect(Buffer.from(page.data).equals(want.data)).toBe(true);
    }
  });

  it('rejects a decompression bomb from its header, without decoding it', async () => {
    const file = path.join(dir, 'bomb.png');
    writeFileSync(file, bombPng(100_000, 100_000));
    const r = await decodeBallotImage(file);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('preaudit-image-too-large');
    expect(r.error.action).toMatch(/The file was not read\..*rescan the ballot/);
  });

  it('refuses a file far larger than any ballot image without reading it', async () => {
    const file = path.join(dir, 'huge.tif');
    writeFileSync(file, Buffer.alloc(0));
    truncateSync(file, 300 * 1024 * 1024); // sparse: no disk used
    const r = await decodeBallotImage(file);
    expect(r.ok ? 'ok' : r.error.code).toBe('preaudit-image-too-large');
    if (!r.ok) expect(r.error.message).toMatch(/is 315 MB, far more than a ballot image/);
  });

  it('honours a lower pixel limit (limitInputPixels) for a real scan', async () => {
    const r = await decodeBallotImage(scan, { maxPixels: 1_000_000 });
    expect(r.ok ? 'ok' : r.error.code).toBe('preaudit-image-too-large');
  });

  it('returns an error, not a crash, for corrupt and truncated files', async () => {
    const garbage = path.join(dir, 'garbage.jpeg');
    writeFileSync(garbage, Buffer.from('this is not an image at all'));
    const r1 = await decodeBallotImage(garbage);
    expect(r1.ok ? 'ok' : r1.error.code).toBe('preaudit-image-corrupt');

    const { readFileSync } = await import('node:fs');
    const whole = readFileSync(scan);
    const truncated = path.join(dir, 'truncated.jpeg');
    writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 3)));
    const r2 = await decodeBallotImage(truncated);
    expect(r2.ok ? 'ok' : r2.error.code).toBe('preaudit-image-corrupt');

    const r3 = await decodeBallotImage(path.join(dir, 'missing.tif'));
    expect(r3.ok ? 'ok' : r3.error.code).toBe('preaudit-image-missing');
  });
});
