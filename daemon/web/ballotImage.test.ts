/**
 * The ballot picture the browser is sent (ballotImage.ts) for the ES&S containers sharp cannot
 * read: the scans inside an Electionware `<id>i.pdf` (front and back) and a PBM side, page by page
 * at their own pixel size, so the hand-mapping form and the evidence view can draw over them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { essExportZip } from '../../scripts/sample-election/essExport.ts';
import { g4Strip, scanPdf } from '../../scripts/sample-election/pdf.ts';
import { ballotImageForBrowser } from './ballotImage.ts';
import type { CatalogObject } from './deps.ts';

const dir = mkdtempSync(join(tmpdir(), 'ballot-image-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stored file as the catalog names it. */
function stored(name: string, bytes: Buffer): CatalogObject {
  const vaultPath = join(dir, name.replace(/\W/g, '_'));
  writeFileSync(vaultPath, bytes);
  return { id: 1, rootLabel: 'ess-export', relPath: `Images/P1/${name}`, kind: 'ballot-image', size: bytes.length, vaultPath };
}

/** A bitonal page: white with a black square at the top left (front) or bottom right (back). */
async function page(width: number, height: number, back: boolean): Promise<Buffer> {
  const data = Buffer.alloc(width * height, 255);
  for (let y = 0; y < 100; y++) for (let x = 0; x < 100; x++) data[(back ? height - 1 - y : y) * width + (back ? width - 1 - x : x)] = 0;
  return g4Strip({ width, height, dpi: 100, data });
}

/** The mean grey of a 100 px square of the picture. */
async function meanOf(bytes: Uint8Array, left: number, top: number): Promise<number> {
  const { data, info } = await sharp(Buffer.from(bytes)).extract({ left, top, width: 100, height: 100 }).greyscale().raw().toBuffer({ resolveWithObject: true });
  let sum = 0;
  for (let i = 0; i < data.length; i += info.channels) sum += data[i] ?? 0;
  return sum / (data.length / info.channels);
}

describe('an ES&S ballot picture for the browser', () => {
  it('shows each scan inside an Electionware PDF as a PNG of its own size, and refuses a page it lacks', async () => {
    const pdf = scanPdf([
      { widthPx: 850, heightPx: 1100, g4: await page(850, 1100, false), widthIn: 8.5, heightIn: 11 },
      { widthPx: 850, heightPx: 1100, g4: await page(850, 1100, true), widthIn: 8.5, heightIn: 11 },
    ]);
    const object = stored('000001i.pdf', pdf);
    const front = await ballotImageForBrowser(object, 0);
    const back = await ballotImageForBrowser(object, 1);
    if (!front.ok || !back.ok) throw new Error('not shown');
    expect(front.value.contentType).toBe('image/png');
    const meta = await sharp(Buffer.from(front.value.bytes)).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['png', 850, 1100, 1]);
    expect(await meanOf(front.value.bytes, 0, 0)).toBeLessThan(5); // the front's square
    expect(await meanOf(back.value.bytes, 0, 0)).toBeGreaterThan(250);
    expect(await meanOf(back.value.bytes, 750, 1000)).toBeLessThan(5); // the back's
    const third = await ballotImageForBrowser(object, 2);
    expect(third.ok ? 'shown' : third.error.code).toBe('image-page-unknown');
  });

  it('shows a PBM side; says what to do with a PDF that is not a scan', async () => {
    const pbm = Buffer.concat([Buffer.from('P4\n16 2\n'), Buffer.from([0xff, 0x00, 0x00, 0xff])]);
    const side = await ballotImageForBrowser(stored('000002.pbm', pbm), 0);
    if (!side.ok) throw new Error(side.error.message);
    expect((await sharp(Buffer.from(side.value.bytes)).metadata()).width).toBe(16);
    const broken = await ballotImageForBrowser(stored('000003i.pdf', Buffer.from('%PDF-1.4\nnot really a pdf\n%%EOF\n')), 0);
    expect(broken.ok ? 'shown' : broken.error).toMatchObject({ code: 'image-unreadable', action: expect.stringContaining('EMS') });
  });

  it('shows a sheet inside an ES&S export zip (`\\` in its names) by its member; a member the zip lacks is not shown', async () => {
    const pdf = scanPdf([
      { widthPx: 850, heightPx: 1100, g4: await page(850, 1100, false), widthIn: 8.5, heightIn: 11 },
      { widthPx: 850, heightPx: 1100, g4: await page(850, 1100, true), widthIn: 8.5, heightIn: 11 },
    ]);
    const zip = await essExportZip([{ path: 'T Albion/Nonpartisan/000123i.pdf', bytes: pdf }, { path: 'T Albion/Nonpartisan/000123c.pdf', bytes: Buffer.from('%PDF-1.4\n%%EOF\n') }], new Date(2025, 10, 3));
    const object = { ...stored('Ballot Images.zip', zip), relPath: 'Ballot Images.zip', kind: 'other' as const };
    const back = await ballotImageForBrowser(object, 1, undefined, 'T Albion/Nonpartisan/000123i.pdf');
    if (!back.ok) throw new Error(back.error.message);
    expect((await sharp(Buffer.from(back.value.bytes)).metadata()).width).toBe(850);
    expect(await meanOf(back.value.bytes, 750, 1000)).toBeLessThan(5); // the back's square
    const lacking = await ballotImageForBrowser(object, 0, undefined, 'T Albion/Nonpartisan/000999i.pdf');
    expect(lacking.ok ? 'shown' : lacking.error).toMatchObject({ code: 'image-unreadable', message: expect.stringContaining('000999i.pdf inside it') });
  });
});
