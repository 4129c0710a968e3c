/**
 * ES&S ballot PDFs: ms per two-page sheet to take the scans out (decodeBallotImage: the raw-file
 * checks, pdfjs-dist parsing the PDF and decoding each page's CCITT G4 image XObject, 1-bit → 8-bit
 * grey), against a plain extraction + decode of the same pages measured in the same run: the G4
 * stream bytes cut out of the PDF by a regex, wrapped in a 1-strip TIFF header, decoded by sharp
 * (libtiff's C decoder) to grey. One core (sharp.concurrency(1)), one sheet after another, on this
 * thread; pdfjs's one-time load is timed apart.
 *
 *   npx tsx bench/essPdf.ts [--sheets 60]
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { decodeBallotImage } from '../daemon/preaudit/image.ts';
import { g4Strip, scanPdf } from '../scripts/sample-election/pdf.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../shared/corpus/nh-amherst-scans');
const arg = process.argv.indexOf('--sheets');
const sheets = arg > 0 ? Number(process.argv[arg + 1]) : 60;
sharp.concurrency(1);
sharp.cache(false);

/** The real 200 dpi scans of the corpus, thresholded to bitonal as ES&S scanners deliver. */
async function bitonalPages(): Promise<{ width: number; height: number; g4: Buffer }[]> {
  const out: { width: number; height: number; g4: Buffer }[] = [];
  for (const f of readdirSync(corpus).filter((x) => x.endsWith('.jpeg')).sort()) {
    const { data, info } = await sharp(path.join(corpus, f)).greyscale().threshold(160).raw().toBuffer({ resolveWithObject: true });
    if (info.width !== 1700) continue; // the 200 dpi ones
    out.push({ width: info.width, height: info.height, g4: await g4Strip({ width: info.width, height: info.height, dpi: 200, data }) });
  }
  return out;
}

/** A one-strip G4 TIFF around raw CCITT data (WhiteIsZero: fax polarity, as in the PDF). */
function g4Tiff(width: number, height: number, g4: Buffer): Buffer {
  const tags: [number, number, number][] = [
    [256, 4, width],
    [257, 4, height],
    [258, 3, 1],
    [259, 3, 4],
    [262, 3, 0],
    [273, 4, 0],
    [277, 3, 1],
    [278, 4, height],
    [279, 4, g4.length],
    [293, 4, 0],
  ];
  const ifdSize = 2 + tags.length * 12 + 4;
  const head = Buffer.alloc(8 + ifdSize);
  head.write('II', 0, 'latin1');
  head.writeUInt16LE(42, 2);
  head.writeUInt32LE(8, 4);
  head.writeUInt16LE(tags.length, 8);
  tags.forEach(([tag, type, value], i) => {
    const at = 10 + i * 12;
    head.writeUInt16LE(tag, at);
    head.writeUInt16LE(type, at + 2);
    head.writeUInt32LE(1, at + 4);
    const v = tag === 273 ? head.length : value;
    if (type === 3) head.writeUInt16LE(v, at + 8);
    else head.writeUInt32LE(v, at + 8);
  });
  return Buffer.concat([head, g4]);
}

/** The plain way: every CCITT image stream cut out by a regex (trusting /Length), decoded by sharp. */
async function plainExtractDecode(pdf: Buffer): Promise<number> {
  const text = pdf.toString('latin1');
  let pixels = 0;
  for (const m of text.matchAll(/\/Width (\d+) \/Height (\d+)[^>]*\/CCITTFaxDecode[^]*?\/Length (\d+) >>\nstream\n/g)) {
    const start = (m.index ?? 0) + m[0].length;
    const g4 = pdf.subarray(start, start + Number(m[3]));
    const { info } = await sharp(g4Tiff(Number(m[1]), Number(m[2]), g4)).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    pixels += info.width * info.height;
  }
  return pixels;
}

const pages = await bitonalPages();
const pdfs: Buffer[] = [];
for (let i = 0; i < sheets; i++) {
  const f = pages[i % pages.length]!;
  const b = pages[(i + 1) % pages.length]!;
  pdfs.push(scanPdf([f, b].map((p) => ({ widthPx: p.width, heightPx: p.height, g4: p.g4, widthIn: 8.5, heightIn: 11 }))));
}
const bytes = pdfs.reduce((s, p) => s + p.length, 0) / pdfs.length;

let t = performance.now();
const first = await decodeBallotImage(pdfs[0]!);
const loadMs = performance.now() - t;
if (!first.ok) throw new Error(first.error.message);

t = performance.now();
for (const p of pdfs) {
  const r = await decodeBallotImage(p);
  if (!r.ok || r.value.length !== 2) throw new Error('extraction failed');
}
const ours = (performance.now() - t) / pdfs.length;

await plainExtractDecode(pdfs[0]!);
t = performance.now();
for (const p of pdfs) if ((await plainExtractDecode(p)) !== 2 * 1700 * 2200) throw new Error('plain decode failed');
const plain = (performance.now() - t) / pdfs.length;

console.log(`ES&S PDF sheets: ${pdfs.length}, two 1700×2200 G4 pages each, ${Math.round(bytes / 1024)} KB a file on average`);
console.log(`first PDF (loads pdfjs-dist): ${loadMs.toFixed(0)} ms`);
console.log(`decodeBallotImage (pdfjs-dist, no rendering): ${ours.toFixed(1)} ms per sheet`);
console.log(`plain extraction + sharp G4 decode:          ${plain.toFixed(1)} ms per sheet`);
console.log(`ratio: ${(ours / plain).toFixed(2)}`);
