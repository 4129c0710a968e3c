/**
 * The scanned pages inside a ballot PDF (ES&S Electionware's `<id>i.pdf`: front and back of one
 * sheet, each an embedded bitonal image), taken out WITHOUT rendering the PDF: pdfjs-dist parses
 * the file and decodes each page's image XObject (its CCITT/Flate/DCT decoders), and we copy the
 * image's own pixels. No canvas, no fonts, no scripts (`isEvalSupported: false`). The PDF states
 * no resolution; the dpi is the image's pixel width over the page's width in inches.
 *
 * A file that is not a scan — encrypted, drawn or typed pages, several images a page, a stream that
 * inflates far beyond a ballot (a "bomb"), a filter ES&S scans do not use, a broken file — is
 * refused with an operator error naming the file, never read half-way.
 */
import { inflateSync } from 'node:zlib';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import type { DecodedPage } from './grayImage.ts';

/** A scanned-ballot PDF is ~35–140 KB; a few MB is already far more than one. */
export const MAX_PDF_BYTES = 16 * 1024 * 1024;
/** Everything all Flate streams of one file may inflate to: two 17 in pages at 300 dpi, uncompressed, and slack. */
const MAX_INFLATED_BYTES = 64 * 1024 * 1024;
/** Filters a scanner's PDF uses: fax (bitonal), Flate (page content, grey), JPEG (grey/colour). */
const ALLOWED_FILTERS = new Set(['CCITTFaxDecode', 'FlateDecode', 'DCTDecode']);
const MIN_DPI = 100;
const MAX_DPI = 600;

export interface PdfIntakeOptions {
  readonly maxPixels: number;
  readonly maxPages: number;
}

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjs: Promise<PdfJs> | undefined;

/**
 * pdfjs-dist's minified builds, the parser ("worker") run on this thread: the reader is already a
 * worker thread. The minified files are half the size, and tsx's loader (which passes every module
 * through its transform) takes seconds over the 3 MB of the plain builds.
 */
function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= (async () => {
    const parser: unknown = await import(PDFJS_PARSER);
    (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = parser;
    return (await import(PDFJS_API)) as PdfJs;
  })();
  return pdfjs;
}
const PDFJS_PARSER = 'pdfjs-dist/legacy/build/pdf.worker.min.mjs';
const PDFJS_API = 'pdfjs-dist/legacy/build/pdf.min.mjs';

/** True when the bytes are a PDF (its header may follow up to 1 KB of junk, as readers allow). */
export function looksLikePdf(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.byteLength, 1024)).includes('%PDF-', 0, 'latin1');
}

function refused(code: string, label: string, why: string): OperatorError {
  return operatorError(
    code,
    `${label} is a PDF that is not a ballot scan ballotsafe can read: ${why}.`,
    'The file is kept as captured. Export the ballot images from the EMS again; if this file keeps coming back, show it to your election IT staff.',
  );
}

/**
 * Looks at the raw file before pdfjs sees it: encryption, filters, and what every Flate stream
 * inflates to (counted with a cap, so a bomb stops at the cap instead of filling memory).
 */
export function precheckPdf(bytes: Buffer, label: string): Result<void> {
  if (bytes.length > MAX_PDF_BYTES) {
    return err(refused('preaudit-pdf-too-large', label, `it is ${Math.round(bytes.length / 1e6).toLocaleString('en-US')} MB, far more than a scanned ballot`));
  }
  const text = bytes.toString('latin1');
  if (/\/Encrypt\b/.test(text)) return err(refused('preaudit-pdf-encrypted', label, 'it is encrypted'));
  for (const m of text.matchAll(/\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9]+)/g)) {
    for (const f of (m[1] ?? '').match(/[A-Za-z0-9]+/g) ?? []) {
      if (!ALLOWED_FILTERS.has(f)) return err(refused('preaudit-pdf-unusual', label, `it uses the "${f}" encoding, which scanned ballots do not use`));
    }
  }
  let inflated = 0;
  // Each stream's data runs from "stream" (after its dictionary) to the next "endstream".
  for (const m of text.matchAll(/>>\s*stream\r?\n/g)) {
    const start = (m.index ?? 0) + m[0].length;
    const end = text.indexOf('endstream', start);
    if (end < 0) break;
    const dictStart = text.lastIndexOf('<<', m.index ?? 0);
    const dict = text.slice(Math.max(0, dictStart - 200), m.index ?? 0);
    if (!/\/FlateDecode/.test(dict)) continue;
    try {
      inflated += inflateSync(bytes.subarray(start, end), { maxOutputLength: MAX_INFLATED_BYTES - inflated + 1, finishFlush: 2 /* Z_SYNC_FLUSH: tolerate a missing end */ }).length;
    } catch (e) {
      if (e instanceof RangeError || /maxOutputLength|Cannot create a Buffer/i.test(String(e))) {
        return err(refused('preaudit-pdf-bomb', label, 'one of its parts unpacks to far more data than a scanned ballot (possible decompression bomb)'));
      }
      // A damaged stream: pdfjs reports it below if the page needs it.
      continue;
    }
    if (inflated > MAX_INFLATED_BYTES) return err(refused('preaudit-pdf-bomb', label, 'its parts unpack to far more data than a scanned ballot (possible decompression bomb)'));
  }
  return ok(undefined);
}

interface PdfImage {
  readonly width: number;
  readonly height: number;
  /** pdfjs ImageKind: 1 = 1 bit a pixel (rows byte-aligned, 1 = white), 2 = RGB, 3 = RGBA. */
  readonly kind: number;
  readonly data: Uint8Array | Uint8ClampedArray;
}

function isPdfImage(v: unknown): v is PdfImage {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.width === 'number' && typeof o.height === 'number' && typeof o.kind === 'number' && (o.data instanceof Uint8Array || o.data instanceof Uint8ClampedArray);
}

/** The 8 grey pixels of each 1-bit byte (bit set = white), byte × 8 + pixel. */
const BIT_TO_GREY = (() => {
  const t = new Uint8Array(256 * 8);
  for (let b = 0; b < 256; b++) for (let k = 0; k < 8; k++) t[b * 8 + k] = (b >> (7 - k)) & 1 ? 255 : 0;
  return t;
})();

/** 8-bit grey (0 black, 255 white) from a pdfjs image; undefined when its data does not match its size. */
function toGray(img: PdfImage): Uint8Array | undefined {
  const { width, height, data } = img;
  const out = new Uint8Array(width * height);
  if (img.kind === 1) {
    const rowBytes = (width + 7) >> 3;
    if (data.length < rowBytes * height) return undefined;
    const whole = width >> 3;
    for (let y = 0; y < height; y++) {
      const row = y * rowBytes;
      const o = y * width;
      // 8 pixels a byte through a table: a third of the time of a shift per pixel.
      for (let b = 0; b < whole; b++) {
        const t = (data[row + b] ?? 0) << 3;
        const at = o + (b << 3);
        out[at] = BIT_TO_GREY[t] ?? 0;
        out[at + 1] = BIT_TO_GREY[t + 1] ?? 0;
        out[at + 2] = BIT_TO_GREY[t + 2] ?? 0;
        out[at + 3] = BIT_TO_GREY[t + 3] ?? 0;
        out[at + 4] = BIT_TO_GREY[t + 4] ?? 0;
        out[at + 5] = BIT_TO_GREY[t + 5] ?? 0;
        out[at + 6] = BIT_TO_GREY[t + 6] ?? 0;
        out[at + 7] = BIT_TO_GREY[t + 7] ?? 0;
      }
      for (let x = whole << 3; x < width; x++) out[o + x] = ((data[row + (x >> 3)] ?? 0) >> (7 - (x & 7))) & 1 ? 255 : 0;
    }
    return out;
  }
  const channels = img.kind === 2 ? 3 : img.kind === 3 ? 4 : 0;
  if (channels === 0 || data.length < width * height * channels) return undefined;
  for (let i = 0, j = 0; i < out.length; i++, j += channels) {
    out[i] = Math.round(0.299 * (data[j] ?? 0) + 0.587 * (data[j + 1] ?? 0) + 0.114 * (data[j + 2] ?? 0));
  }
  return out;
}

/**
 * Every page of a ballot PDF as a grey image with its dpi (from the page size). Each page must hold
 * exactly one image filling it at a scanner's resolution; text or drawings over it (ES&S's optional
 * watermark) are ignored, a page without an image is refused.
 */
export async function extractPdfScans(bytes: Buffer, label: string, options: PdfIntakeOptions): Promise<Result<DecodedPage[]>> {
  const pre = precheckPdf(bytes, label);
  if (!pre.ok) return pre;
  const lib = await loadPdfJs();
  const task = lib.getDocument({
    // pdfjs takes ownership of (and detaches) the array it is given: a copy, not the caller's bytes.
    data: new Uint8Array(bytes),
    isEvalSupported: false,
    disableFontFace: true,
    useSystemFonts: false,
    stopAtErrors: true,
    maxImageSize: options.maxPixels,
    isOffscreenCanvasSupported: false,
    verbosity: 0,
  });
  try {
    const doc = await task.promise;
    if (doc.numPages > options.maxPages) {
      return err(refused('preaudit-pdf-too-many-pages', label, `it has ${doc.numPages} pages; a ballot sheet has ${options.maxPages} at most`));
    }
    const pages: DecodedPage[] = [];
    for (let n = 1; n <= doc.numPages; n++) {
      const page = await doc.getPage(n);
      const [x0 = 0, y0 = 0, x1 = 0, y1 = 0] = page.view;
      const rotated = page.rotate % 180 !== 0;
      const widthIn = Math.abs((rotated ? y1 - y0 : x1 - x0) / 72);
      const heightIn = Math.abs((rotated ? x1 - x0 : y1 - y0) / 72);
      const ops = await page.getOperatorList({ intent: 'print' });
      const names: string[] = [];
      ops.fnArray.forEach((fn, i) => {
        if (fn === lib.OPS.paintImageXObject) names.push(String((ops.argsArray[i] as unknown[])[0]));
        if (fn === lib.OPS.paintInlineImageXObject || fn === lib.OPS.paintImageMaskXObject) names.push('');
      });
      if (names.length === 0) return err(refused('preaudit-pdf-not-a-scan', label, `page ${n} holds no scanned image (typed or drawn pages, or an image too large to be a ballot)`));
      if (names.length > 1 || names[0] === '') return err(refused('preaudit-pdf-not-a-scan', label, `page ${n} is made of several pictures, not one scan`));
      const name = names[0] ?? '';
      const image: unknown = name.startsWith('g_') ? page.commonObjs.get(name) : page.objs.get(name);
      if (!isPdfImage(image)) return err(refused('preaudit-pdf-not-a-scan', label, `the picture on page ${n} could not be taken out`));
      const dpiX = image.width / widthIn;
      const dpiY = image.height / heightIn;
      if (!(dpiX >= MIN_DPI && dpiX <= MAX_DPI) || Math.abs(dpiX - dpiY) > 0.03 * dpiX) {
        return err(refused('preaudit-pdf-not-a-scan', label, `the picture on page ${n} does not fill the page as a scan does`));
      }
      const gray = toGray(image);
      if (gray === undefined) return err(refused('preaudit-pdf-not-a-scan', label, `the picture on page ${n} is damaged`));
      pages.push({ width: image.width, height: image.height, data: gray, page: n - 1, density: Math.round(dpiX), container: 'pdf' });
      page.cleanup();
    }
    return ok(pages);
  } catch (e) {
    const name = e instanceof Error ? e.name : '';
    if (name === 'PasswordException') return err(refused('preaudit-pdf-encrypted', label, 'it is protected by a password'));
    return err(refused('preaudit-pdf-broken', label, 'the file is damaged or incomplete'));
  } finally {
    await task.destroy();
  }
}
