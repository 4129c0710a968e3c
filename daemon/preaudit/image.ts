import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import sharp from 'sharp';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { DecodedPage, GrayImage } from './grayImage.ts';
import { decodePbm, looksLikePbm } from './pbm.ts';
import { extractPdfScans, looksLikePdf } from './pdfPages.ts';
import { isZipMemberPath, readZipMember } from './zipMembers.ts';

export type { DecodedPage, GrayImage } from './grayImage.ts';

export interface ImageIntakeOptions {
  /**
   * Largest page accepted, in pixels (width × height). A 300 dpi legal sheet is ~12.6 M pixels;
   * anything far beyond that is a decompression bomb or not a ballot scan.
   */
  readonly maxPixels?: number;
  /** Most pages read from one file (front, back, annotation page and a little slack). */
  readonly maxPages?: number;
  /**
   * Where to decode a grey JPEG's pixels instead of a fresh buffer (a reader reading sheet after
   * sheet). The page returned then lives in these bytes, valid until they are lent out again.
   */
  readonly reusePixels?: ReusedPixels;
  /** How the image is named in messages when `input` is a buffer. */
  readonly label?: string;
  /**
   * Leave out the pages that cannot be ballot sides: in a file of three or more pages, a page much
   * shorter than the tallest is the vendor's annotation page (Dominion's AuditMark text), kept in
   * the file as evidence and not decoded for reading marks.
   */
  readonly ballotSidesOnly?: boolean;
  /** Told which pages `ballotSidesOnly` left out (0-based), when it left any: the reader stores them as evidence. */
  readonly onPagesSetAside?: (pages: readonly number[]) => void;
}

/** Pages shorter than this share of the file's tallest page are not ballot sides (see interpret.ts). */
export const SIDE_HEIGHT_SHARE = 0.9;

/**
 * One pixel buffer lent to the decoder again and again: a fresh 4 MB buffer per page costs its page
 * faults, zeroing and freeing (~1 ms a sheet) and evicts the cache the reading then needs.
 */
export class ReusedPixels {
  private buffer: Buffer = Buffer.alloc(0);

  /** `size` bytes of the buffer, grown when too small; earlier contents are overwritten. */
  take(size: number): Buffer {
    if (this.buffer.length < size) this.buffer = Buffer.allocUnsafeSlow(size);
    return this.buffer.subarray(0, size);
  }
}

export const DEFAULT_MAX_PIXELS = 40_000_000;
/** Largest ballot image file read into memory. */
const MAX_FILE_BYTES = 256 * 1024 * 1024;
const DEFAULT_MAX_PAGES = 8;

/**
 * Decodes every page of a ballot image (JPEG, PNG, TIFF including bitonal CCITT G4 and multipage,
 * the scans inside an ES&S PDF, PBM)
 * to 8-bit grayscale. Corrupt files and decompression bombs come back as errors, never as a crash.
 */
export async function decodeBallotImage(
  input: string | Buffer,
  options: ImageIntakeOptions = {},
): Promise<Result<DecodedPage[]>> {
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  if (typeof input === 'string' && isZipMemberPath(input)) {
    // A sheet of a captured ES&S export zip: its member, read with a cap, then decoded as any file.
    const member = await readZipMember(input);
    if (!member.ok) return member;
    return decodeBallotImage(member.value.bytes, { ...options, label: member.value.label });
  }
  const label = typeof input === 'string' ? input : (options.label ?? 'image buffer');
  let pageCount = 1;
  let density: number | undefined;
  let format: string | undefined;
  let channels: number | undefined;
  let width: number | undefined;
  let height: number | undefined;
  // Read once: the header checked below is then the image decoded, whatever happens to the file.
  let bytes: Buffer;
  try {
    if (typeof input === 'string') {
      // A ballot image file is a few MB (8 uncompressed 300 dpi pages are ~70 MB); far more is not one.
      const size = (await stat(input)).size;
      if (size > MAX_FILE_BYTES) {
        return err(
          operatorError(
            'preaudit-image-too-large',
            `${label} is ${Math.round(size / 1e6).toLocaleString('en-US')} MB, far more than a ballot image.`,
            'The file was not read. Check where it came from; rescan the ballot if it is genuine.',
          ),
        );
      }
    }
    bytes = typeof input === 'string' ? await readFile(input) : input;
  } catch (e) {
    return err(classifyDecodeError(label, e, maxPixels));
  }
  // ES&S: a PDF per sheet (embedded scans, never rendered), or older PBM sides; sharp reads neither.
  if (looksLikePdf(bytes)) return extractPdfScans(bytes, label, { maxPixels, maxPages });
  if (looksLikePbm(bytes)) {
    const pbm = decodePbm(bytes, label, maxPixels);
    return pbm.ok ? ok([{ ...pbm.value, page: 0, density: undefined, container: 'pbm' }]) : pbm;
  }
  try {
    const meta = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' }).metadata();
    // Checked before decoding: the header alone tells us a bomb without allocating its pixels.
    if (meta.width !== undefined && meta.height !== undefined && meta.width * meta.height > maxPixels) {
      return err(tooLarge(label, meta.width, meta.height, maxPixels));
    }
    pageCount = Math.max(1, meta.pages ?? 1);
    density = meta.density;
    ({ format, channels, width, height } = meta);
  } catch (e) {
    return err(classifyDecodeError(label, e, maxPixels));
  }
  if (pageCount > maxPages) {
    return err(
      operatorError(
        'preaudit-image-too-many-pages',
        `${label} has ${pageCount} pages; a ballot image has at most ${maxPages} (front, back, annotation).`,
        'Check that this file is a ballot image from the scanner; it was not read.',
      ),
    );
  }
  if (pageCount === 1 && format === 'jpeg' && channels === 1) {
    const grey = await decodeGreyJpeg(bytes, width, height, options.reusePixels);
    if (grey !== undefined) return ok([{ ...grey, page: 0, density }]);
  }
  const pages: DecodedPage[] = [];
  const annotation = options.ballotSidesOnly === true && pageCount >= 3 ? await annotationPages(bytes, pageCount, maxPixels) : new Set<number>();
  if (annotation.size > 0) options.onPagesSetAside?.([...annotation].sort((a, b) => a - b));
  for (let page = 0; page < pageCount; page++) {
    if (annotation.has(page)) continue;
    const decoded = await decodePage(bytes, page, pageCount, maxPixels, label);
    if (!decoded.ok) return decoded;
    pages.push({ ...decoded.value, page, density });
  }
  return ok(pages);
}

/**
 * Pages much shorter than the tallest (0-based), from the page headers alone; none when a header
 * cannot be read. Also used by the report to name a sheet's AuditMark page as evidence.
 */
export async function annotationPages(bytes: Buffer | string, pageCount: number, maxPixels: number = DEFAULT_MAX_PIXELS): Promise<Set<number>> {
  try {
    const heights: number[] = [];
    for (let page = 0; page < pageCount; page++) heights.push((await sharp(bytes, { page, limitInputPixels: maxPixels }).metadata()).height ?? 0);
    const tallest = Math.max(...heights);
    return new Set(heights.flatMap((h, page) => (h < SIDE_HEIGHT_SHARE * tallest ? [page] : [])));
  } catch {
    return new Set();
  }
}

type JpegTurbo = typeof import('@julusian/jpeg-turbo');
let jpegTurbo: JpegTurbo | null | undefined;

/** libjpeg-turbo's own binding, loaded once; null where its prebuilt binary does not load (sharp decodes then). */
function loadJpegTurbo(): JpegTurbo | null {
  if (jpegTurbo === undefined) {
    try {
      jpegTurbo = createRequire(import.meta.url)('@julusian/jpeg-turbo') as JpegTurbo;
    } catch {
      jpegTurbo = null;
    }
  }
  return jpegTurbo;
}

/** Which decoder reads grey JPEG scans in this process: for the logs and the benchmark. */
export function greyJpegDecoder(): 'libjpeg-turbo' | 'sharp' {
  return loadJpegTurbo() === null ? 'sharp' : 'libjpeg-turbo';
}

/**
 * A one-component (grey) JPEG, the usual scanner export, decoded by libjpeg-turbo directly: less
 * than half the CPU of the same decode through sharp, whose libvips pipeline hands every 16-row
 * strip between two threads and faults in a fresh output buffer per page. Its integer IDCT leaves
 * grey levels within a few steps of sharp's. It refuses anything libjpeg warns about (truncated,
 * damaged): undefined then, and sharp decodes the file and classifies the error as before.
 */
async function decodeGreyJpeg(
  bytes: Buffer,
  width: number | undefined,
  height: number | undefined,
  reuse: ReusedPixels | undefined,
): Promise<GrayImage | undefined> {
  const turbo = loadJpegTurbo();
  if (turbo === null || width === undefined || height === undefined) return undefined;
  try {
    const format = { format: turbo.FORMAT_GRAY };
    const into = reuse?.take(width * height) ?? Buffer.allocUnsafe(width * height);
    // In a reader worker the thread is the reader's own: decoding on it saves a hand-off to libuv's
    // pool (~1.5 ms a page). On the main thread the event loop must not wait, so the pool it is.
    const out = isMainThread ? await turbo.decompress(bytes, into, format) : turbo.decompressSync(bytes, into, format);
    // The header sharp checked against the pixel limit must be the image decoded.
    if (out.width !== width || out.height !== height || out.size !== out.width * out.height) return undefined;
    return { width: out.width, height: out.height, data: new Uint8Array(out.data.buffer, out.data.byteOffset, out.size) };
  } catch {
    return undefined;
  }
}

/** Decodes one page to grayscale through sharp (every format; the pre-audit's path for all but grey JPEG). */
export async function decodePage(
  input: string | Buffer,
  page: number,
  pageCount: number,
  maxPixels: number = DEFAULT_MAX_PIXELS,
  label: string = typeof input === 'string' ? input : 'image buffer',
): Promise<Result<GrayImage>> {
  try {
    const pipeline = sharp(input, {
      limitInputPixels: maxPixels,
      failOn: 'error',
      ...(pageCount > 1 ? { page } : {}),
    });
    // toColourspace('b-w') as well: greyscale() alone still converts the grey page to sRGB for
    // output and back (sharp's default output space), which cost more than the decode itself.
    const { data, info } = await pipeline.greyscale().toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    if (info.channels !== 1) {
      // greyscale() keeps an alpha channel when the source has one; drop it here.
      const out = new Uint8Array(info.width * info.height);
      for (let i = 0, j = 0; i < out.length; i++, j += info.channels) out[i] = data[j] ?? 255;
      return ok({ width: info.width, height: info.height, data: out });
    }
    return ok({
      width: info.width,
      height: info.height,
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    });
  } catch (e) {
    return err(classifyDecodeError(label, e, maxPixels));
  }
}

function tooLarge(label: string, width: number, height: number, maxPixels: number) {
  return operatorError(
    'preaudit-image-too-large',
    `${label} claims ${width}×${height} pixels, more than the ${maxPixels.toLocaleString('en-US')} allowed for a ballot scan (possible decompression bomb).`,
    'The file was not read. Check where it came from; rescan the ballot if it is genuine.',
  );
}

function classifyDecodeError(label: string, e: unknown, maxPixels: number) {
  const message = e instanceof Error ? e.message : String(e);
  if (/pixel limit/i.test(message)) {
    return operatorError(
      'preaudit-image-too-large',
      `${label} is larger than the ${maxPixels.toLocaleString('en-US')} pixels allowed for a ballot scan (possible decompression bomb).`,
      'The file was not read. Check where it came from; rescan the ballot if it is genuine.',
    );
  }
  if (/input file is missing|no such file/i.test(message)) {
    return operatorError(
      'preaudit-image-missing',
      `${label} is not there any more.`,
      'Check the capture catalog: the file may have been moved or deleted after capture.',
    );
  }
  return operatorError(
    'preaudit-image-corrupt',
    `${label} could not be decoded as an image (${message.split('\n')[0] ?? 'unknown error'}).`,
    'The captured copy is kept as evidence. Rescan the ballot or re-export the image from the EMS.',
  );
}
