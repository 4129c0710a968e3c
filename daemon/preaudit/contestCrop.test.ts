/**
 * The evidence crop of a contest (contestCrop.ts) from every stored shape of ballot page: a TIFF or
 * PNG sharp reads, the scans inside an ES&S `<id>i.pdf`, a PBM side, and a sheet inside a captured
 * ES&S export zip (`\` in its names). The crop is cut from the page the reader read, in its pixels.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { essExportZip } from '../../scripts/sample-election/essExport.ts';
import { g4Strip, scanPdf } from '../../scripts/sample-election/pdf.ts';
import { writeContestCrop } from './contestCrop.ts';
import { zipMemberPath } from './zipMembers.ts';

const dir = mkdtempSync(join(tmpdir(), 'contest-crop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const W = 850;
const H = 1100;
/** White, with a black 100 px square at the top left (front) or the bottom right (back). */
function pixels(back: boolean): Buffer {
  const data = Buffer.alloc(W * H, 255);
  for (let y = 0; y < 100; y++) for (let x = 0; x < 100; x++) data[(back ? H - 1 - y : y) * W + (back ? W - 1 - x : x)] = 0;
  return data;
}
const BACK_SQUARE = { left: W - 100, top: H - 100, width: 100, height: 100 };

async function meanOf(file: string): Promise<{ mean: number; width: number }> {
  const { data, info } = await sharp(file).greyscale().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let i = 0; i < data.length; i += info.channels) sum += data[i] ?? 0;
  return { mean: sum / (data.length / info.channels), width: info.width };
}

async function pdf(): Promise<Buffer> {
  const page = async (back: boolean) => ({ widthPx: W, heightPx: H, g4: await g4Strip({ width: W, height: H, dpi: 100, data: pixels(back) }), widthIn: 8.5, heightIn: 11 });
  return scanPdf([await page(false), await page(true)]);
}

describe('the evidence crop of a contest', () => {
  it('cuts the back page of an ES&S i.pdf where the reader found the contest', async () => {
    const source = join(dir, '000123i.pdf');
    writeFileSync(source, await pdf());
    const out = join(dir, 'pdf.png');
    expect(await writeContestCrop(source, 1, BACK_SQUARE, out)).toBe(true);
    expect(await meanOf(out)).toEqual({ mean: 0, width: 100 });
    expect(await writeContestCrop(source, 2, BACK_SQUARE, join(dir, 'none.png'))).toBe(false); // a page it lacks
  });

  it('cuts a sheet inside a captured ES&S export zip, read from its member', async () => {
    const zip = join(dir, 'export.zip');
    writeFileSync(zip, await essExportZip([{ path: 'T Albion/Nonpartisan/000123i.pdf', bytes: await pdf() }], new Date(2025, 10, 3)));
    const out = join(dir, 'zip.png');
    expect(await writeContestCrop(zipMemberPath(zip, 'T Albion/Nonpartisan/000123i.pdf'), 1, BACK_SQUARE, out)).toBe(true);
    expect(await meanOf(out)).toEqual({ mean: 0, width: 100 });
    expect(await writeContestCrop(zipMemberPath(zip, 'T Albion/Nonpartisan/000999i.pdf'), 1, BACK_SQUARE, join(dir, 'lacking.png'))).toBe(false);
  });

  it('cuts a PBM side, and a PNG as sharp reads it', async () => {
    const bits = Buffer.alloc((W / 8 + (W % 8 === 0 ? 0 : 1)) * H, 0); // PBM: 1 = black; all white here…
    const row = Math.ceil(W / 8);
    for (let y = H - 100; y < H; y++) for (let x = W - 100; x < W; x++) bits[y * row + (x >> 3)]! |= 0x80 >> (x & 7); // …but the back's square
    const pbm = join(dir, '000125R.pbm');
    writeFileSync(pbm, Buffer.concat([Buffer.from(`P4\n${W} ${H}\n`), bits]));
    expect(await writeContestCrop(pbm, 0, BACK_SQUARE, join(dir, 'pbm.png'))).toBe(true);
    expect(await meanOf(join(dir, 'pbm.png'))).toEqual({ mean: 0, width: 100 });
    const png = join(dir, 'scan.png');
    await sharp(pixels(true), { raw: { width: W, height: H, channels: 1 } }).png().toFile(png);
    expect(await writeContestCrop(png, 0, BACK_SQUARE, join(dir, 'png.png'))).toBe(true);
    expect(await meanOf(join(dir, 'png.png'))).toEqual({ mean: 0, width: 100 });
  });
});
