/**
 * A minimal PDF writer for the ES&S-style export: each page one bitonal scan as an image XObject
 * with /CCITTFaxDecode (K -1, i.e. Group 4), as Electionware's `<id>i.pdf` reportedly holds, and
 * text-only pages for the `<id>c.pdf` CVR printouts. No npm package writes raw CCITT streams into a
 * PDF (pdf-lib re-encodes images), and the format needed is a few objects, so it is written here.
 * Output is deterministic: no dates, no ids.
 */
import sharp from 'sharp';
import type { Gray } from './raster.ts';

export interface PdfScanPage {
  readonly widthPx: number;
  readonly heightPx: number;
  /** The page's G4 data, standard polarity (coded white runs are white paper). */
  readonly g4: Buffer;
  readonly widthIn: number;
  readonly heightIn: number;
  /** Optional text drawn over the image (ES&S's optional "watermark"). */
  readonly watermark?: string;
}

/**
 * The G4 data of one page as a single strip: sharp writes its 1-bit TIFF "black is zero", so the
 * page is inverted first and libtiff's white runs are then the paper (the usual fax polarity,
 * what a PDF's /CCITTFaxDecode reads by default).
 */
export async function g4Strip(img: Gray): Promise<Buffer> {
  const inverted = Buffer.alloc(img.width * img.height);
  for (let i = 0; i < inverted.length; i++) inverted[i] = (img.data[i] ?? 255) < 128 ? 255 : 0;
  const tiff = await sharp(inverted, { raw: { width: img.width, height: img.height, channels: 1 } })
    .toColourspace('b-w')
    .tiff({ compression: 'ccittfax4', bitdepth: 1, tileHeight: img.height })
    .toBuffer();
  const ifd = tiff.readUInt32LE(4);
  const n = tiff.readUInt16LE(ifd);
  let offset = -1;
  let count = -1;
  for (let i = 0; i < n; i++) {
    const at = ifd + 2 + i * 12;
    const tag = tiff.readUInt16LE(at);
    const entries = tiff.readUInt32LE(at + 4);
    if ((tag === 273 || tag === 279) && entries !== 1) throw new Error('G4 page written in more than one strip');
    if (tag === 273) offset = tiff.readUInt32LE(at + 8);
    if (tag === 279) count = tiff.readUInt32LE(at + 8);
  }
  if (offset < 0 || count < 0) throw new Error('G4 strip not found');
  return Buffer.from(tiff.subarray(offset, offset + count));
}

function pdfString(text: string): string {
  return `(${text.replace(/[\\()]/g, (c) => `\\${c}`).replace(/[^\x20-\x7e]/g, '?')})`;
}

class PdfBuilder {
  private readonly parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  private length = this.parts[0]?.length ?? 0;
  private readonly offsets: number[] = [];

  /** Reserves the next object number. */
  next(): number {
    this.offsets.push(-1);
    return this.offsets.length;
  }

  object(num: number, dict: string, stream?: Buffer): void {
    this.offsets[num - 1] = this.length;
    const body =
      stream === undefined
        ? Buffer.from(`${num} 0 obj\n${dict}\nendobj\n`, 'latin1')
        : Buffer.concat([Buffer.from(`${num} 0 obj\n${dict}\nstream\n`, 'latin1'), stream, Buffer.from('\nendstream\nendobj\n', 'latin1')]);
    this.parts.push(body);
    this.length += body.length;
  }

  finish(root: number): Buffer {
    const xrefAt = this.length;
    const rows = this.offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
    const tail = `xref\n0 ${this.offsets.length + 1}\n0000000000 65535 f \n${rows}trailer\n<< /Size ${this.offsets.length + 1} /Root ${root} 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`;
    return Buffer.concat([...this.parts, Buffer.from(tail, 'latin1')]);
  }
}

/** One PDF of scanned pages (front, back), each an image XObject filling its page. */
export function scanPdf(pages: readonly PdfScanPage[]): Buffer {
  const pdf = new PdfBuilder();
  const catalog = pdf.next();
  const tree = pdf.next();
  const font = pdf.next();
  const kids: number[] = [];
  for (const p of pages) {
    const page = pdf.next();
    const image = pdf.next();
    const content = pdf.next();
    kids.push(page);
    const w = Math.round(p.widthIn * 72);
    const h = Math.round(p.heightIn * 72);
    const fonts = p.watermark === undefined ? '' : ` /Font << /F1 ${font} 0 R >>`;
    pdf.object(page, `<< /Type /Page /Parent ${tree} 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /XObject << /Im0 ${image} 0 R >>${fonts} >> /Contents ${content} 0 R >>`);
    pdf.object(
      image,
      `<< /Type /XObject /Subtype /Image /Width ${p.widthPx} /Height ${p.heightPx} /ColorSpace /DeviceGray /BitsPerComponent 1 /Filter /CCITTFaxDecode /DecodeParms << /K -1 /Columns ${p.widthPx} /Rows ${p.heightPx} >> /Length ${p.g4.length} >>`,
      p.g4,
    );
    const draw = `q ${w} 0 0 ${h} 0 0 cm /Im0 Do Q` + (p.watermark === undefined ? '' : `\nBT /F1 9 Tf 0.5 g 36 ${h - 20} Td ${pdfString(p.watermark)} Tj ET`);
    pdf.object(content, `<< /Length ${Buffer.byteLength(draw, 'latin1')} >>`, Buffer.from(draw, 'latin1'));
  }
  pdf.object(font, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  pdf.object(tree, `<< /Type /Pages /Kids [${kids.map((k) => `${k} 0 R`).join(' ')}] /Count ${kids.length} >>`);
  pdf.object(catalog, `<< /Type /Catalog /Pages ${tree} 0 R >>`);
  return pdf.finish(catalog);
}

/** A text-only PDF (vector text, no image): ES&S's `<id>c.pdf` printout of one ballot's CVR. */
export function textPdf(lines: readonly string[], widthIn = 8.5, heightIn = 11): Buffer {
  const pdf = new PdfBuilder();
  const catalog = pdf.next();
  const tree = pdf.next();
  const font = pdf.next();
  const page = pdf.next();
  const content = pdf.next();
  const w = Math.round(widthIn * 72);
  const h = Math.round(heightIn * 72);
  const text = lines.map((l, i) => `BT /F1 10 Tf 54 ${h - 54 - i * 13} Td ${pdfString(l)} Tj ET`).join('\n');
  pdf.object(page, `<< /Type /Page /Parent ${tree} 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /Font << /F1 ${font} 0 R >> >> /Contents ${content} 0 R >>`);
  pdf.object(content, `<< /Length ${Buffer.byteLength(text, 'latin1')} >>`, Buffer.from(text, 'latin1'));
  pdf.object(font, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>');
  pdf.object(tree, `<< /Type /Pages /Kids [${page} 0 R] /Count 1 >>`);
  pdf.object(catalog, `<< /Type /Catalog /Pages ${tree} 0 R >>`);
  return pdf.finish(catalog);
}
