import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { g4Strip, scanPdf, textPdf } from '../../scripts/sample-election/pdf.ts';
import { decodeBallotImage } from './image.ts';
import { decodePbm } from './pbm.ts';

/** A white page with a black box at (x0, y0)–(x1, y1), as the generator's raster. */
function page(width: number, height: number, box: [number, number, number, number]) {
  const data = Buffer.alloc(width * height, 255);
  for (let y = box[1]; y < box[3]; y++) for (let x = box[0]; x < box[2]; x++) data[y * width + x] = 0;
  return { width, height, dpi: 200, data };
}

/** A PDF from raw object bodies (object n = index + 1), with a correct xref table. */
function assemble(objects: (string | Buffer)[], trailerExtra = ''): Buffer {
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n', 'latin1')];
  let at = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    const b = Buffer.concat([Buffer.from(`${i + 1} 0 obj\n`, 'latin1'), typeof o === 'string' ? Buffer.from(o, 'latin1') : o, Buffer.from('\nendobj\n', 'latin1')]);
    offsets.push(at);
    parts.push(b);
    at += b.length;
  });
  const xref = `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R${trailerExtra} >>\nstartxref\n${at}\n%%EOF\n`, 'latin1'));
  return Buffer.concat(parts);
}

function streamObj(dict: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`<< ${dict} /Length ${data.length} >>\nstream\n`, 'latin1'), data, Buffer.from('\nendstream', 'latin1')]);
}

const onePage = (contents: Buffer, resources = '<< >>') => [
  '<< /Type /Catalog /Pages 2 0 R >>',
  '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
  `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources ${resources} /Contents 4 0 R >>`,
  contents,
];

async function letterSheet(): Promise<Buffer> {
  const front = page(1700, 2200, [100, 150, 400, 250]);
  const back = page(1700, 2200, [1200, 2000, 1300, 2100]);
  return scanPdf([
    { widthPx: 1700, heightPx: 2200, g4: await g4Strip(front), widthIn: 8.5, heightIn: 11 },
    { widthPx: 1700, heightPx: 2200, g4: await g4Strip(back), widthIn: 8.5, heightIn: 11, watermark: 'ELECTION COPY' },
  ]);
}

describe('ES&S ballot PDFs: the embedded scans, not a rendering', () => {
  it('takes out front and back of a sheet pixel for pixel, the dpi from the page size, a watermark over the scan ignored', async () => {
    const r = await decodeBallotImage(await letterSheet());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.map((p) => [p.page, p.width, p.height, p.density])).toEqual([
      [0, 1700, 2200, 200],
      [1, 1700, 2200, 200],
    ]);
    const [front, back] = r.value;
    const at = (p: typeof front, x: number, y: number) => p?.data[y * 1700 + x];
    expect([at(front, 150, 200), at(front, 399, 249), at(front, 400, 249), at(front, 50, 50)]).toEqual([0, 0, 255, 255]);
    expect([at(back, 1250, 2050), at(back, 150, 200)]).toEqual([0, 255]);
    // every pixel is either paper or ink, and the ink is exactly the boxes drawn
    expect(front?.data.filter((v) => v === 0).length).toBe(300 * 100);
  });

  it('reads a legal (8.5 × 14 in) page at 200 dpi and a letter page at 300 dpi by their page size', async () => {
    const legal = scanPdf([{ widthPx: 1700, heightPx: 2800, g4: await g4Strip(page(1700, 2800, [0, 0, 8, 8])), widthIn: 8.5, heightIn: 14 }]);
    const fine = scanPdf([{ widthPx: 2550, heightPx: 3300, g4: await g4Strip(page(2550, 3300, [0, 0, 8, 8])), widthIn: 8.5, heightIn: 11 }]);
    const a = await decodeBallotImage(legal);
    const b = await decodeBallotImage(fine);
    expect(a.ok && a.value[0]?.density).toBe(200);
    expect(b.ok && b.value[0]?.density).toBe(300);
  });

  it('refuses a typed page (a CVR printout, no scan on it) naming the file', async () => {
    const r = await decodeBallotImage(textPdf(['Cast Vote Record 12', 'Governor: Lena Sargent']), {});
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('preaudit-pdf-not-a-scan');
      expect(r.error.message).toContain('image buffer is a PDF that is not a ballot scan');
    }
  });

  it('refuses a page of vector drawing (ovals drawn, nothing scanned)', async () => {
    const draw = Buffer.from('0 0 0 RG 2 w 100 100 m 200 100 l 200 150 l h S 300 300 50 30 re f', 'latin1');
    const r = await decodeBallotImage(assemble(onePage(streamObj('', draw))));
    expect(!r.ok && r.error.code).toBe('preaudit-pdf-not-a-scan');
  });

  it('refuses an encrypted PDF', async () => {
    const objs = [...onePage(streamObj('', Buffer.from('q Q'))), '<< /Filter /Standard /V 1 /R 2 /O (x) /U (y) /P -4 >>'];
    const r = await decodeBallotImage(assemble(objs, ' /Encrypt 5 0 R /ID [(a) (a)]'));
    expect(!r.ok && r.error.code).toBe('preaudit-pdf-encrypted');
  });

  it('refuses a decompression bomb (a content stream of 80 MB zeros in 80 KB) quickly, without inflating it', async () => {
    const bomb = deflateSync(Buffer.alloc(80 * 1024 * 1024), { level: 1 });
    const t0 = performance.now();
    const r = await decodeBallotImage(assemble(onePage(streamObj('/Filter /FlateDecode', bomb))));
    expect(!r.ok && r.error.code).toBe('preaudit-pdf-bomb');
    expect(performance.now() - t0).toBeLessThan(5000);
  });

  it('refuses an image that claims 40,000 × 40,000 pixels (its data never decoded)', async () => {
    const img = streamObj('/Type /XObject /Subtype /Image /Width 40000 /Height 40000 /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns 40000 /Rows 40000 >>', Buffer.alloc(64));
    const objs = [...onePage(streamObj('', Buffer.from('q 612 0 0 792 0 0 cm /Im0 Do Q')), '<< /XObject << /Im0 5 0 R >> >>'), img];
    const r = await decodeBallotImage(assemble(objs));
    expect(!r.ok && r.error.code).toBe('preaudit-pdf-not-a-scan');
    expect(!r.ok && r.error.message).toContain('too large');
  });

  it('refuses a picture far smaller than its page (not a scan at a scanner resolution)', async () => {
    const small = scanPdf([{ widthPx: 200, heightPx: 259, g4: await g4Strip(page(200, 259, [0, 0, 8, 8])), widthIn: 8.5, heightIn: 11 }]);
    const r = await decodeBallotImage(small);
    expect(!r.ok && r.error.message).toContain('does not fill the page');
  });

  it('refuses filters scanned ballots do not use, and broken or cut-short files, never crashing', async () => {
    const lzw = await decodeBallotImage(assemble(onePage(streamObj('/Filter /LZWDecode', Buffer.alloc(16)))));
    expect(!lzw.ok && lzw.error.code).toBe('preaudit-pdf-unusual');
    const garbage = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.from(Array.from({ length: 4000 }, (_, i) => (i * 7919) % 251))]);
    const g = await decodeBallotImage(garbage);
    expect(g.ok).toBe(false);
    const sheet = await letterSheet();
    const cut = await decodeBallotImage(sheet.subarray(0, Math.floor(sheet.length / 3)));
    expect(cut.ok).toBe(false);
    expect(!cut.ok && cut.error.code).toMatch(/^preaudit-pdf-/);
  });
});

describe('PBM sides (older ES&S exports)', () => {
  it('reads a binary P4 bitmap (1 = black) and a plain P1 one', async () => {
    const p4 = Buffer.concat([Buffer.from('P4\n# ES&S\n10 2\n'), Buffer.from([0b10000000, 0b01000000, 0b00000000, 0b00000000])]);
    const r = await decodeBallotImage(p4);
    expect(r.ok && [r.value[0]?.width, r.value[0]?.height, Array.from(r.value[0]?.data ?? []).slice(0, 10)]).toEqual([10, 2, [0, 255, 255, 255, 255, 255, 255, 255, 255, 0]]);
    const p1 = decodePbm(Buffer.from('P1\n3 1\n1 0 1\n'), 'x.pbm', 100);
    expect(p1.ok && Array.from(p1.value.data)).toEqual([0, 255, 0]);
  });

  it('refuses a cut-short bitmap and one claiming a bomb-sized page, before allocating it', () => {
    expect(decodePbm(Buffer.from('P4\n100 100\n\x00\x00'), 'x.pbm', 1e6).ok).toBe(false);
    const bomb = decodePbm(Buffer.from('P4\n900000 900000\n'), 'x.pbm', 40_000_000);
    expect(!bomb.ok && bomb.error.code).toBe('preaudit-image-too-large');
  });
});
