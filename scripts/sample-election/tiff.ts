/**
 * Joins TIFFs (as sharp writes them: classic little-endian, strips) into one multipage TIFF by
 * chaining their pages' IFDs. sharp/libvips cannot write pages of different sizes and
 * compressions into one file, and no maintained npm package writes CCITT G4 multipage TIFF, so this
 * small writer copies each page's IFD and strips verbatim and only rewrites offsets.
 */

const TYPE_SIZE: Readonly<Record<number, number>> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 };
const TAG_NEW_SUBFILE_TYPE = 254;
const TAG_STRIP_OFFSETS = 273;
const TAG_STRIP_BYTE_COUNTS = 279;
const TAG_PAGE_NUMBER = 297;
const TAG_TILE_OFFSETS = 324;
const TAG_TILE_BYTE_COUNTS = 325;
const UNSUPPORTED = new Set([330, 34665, 34853, 400]); // SubIFDs, Exif, GPS, GlobalParametersIFD

interface Entry {
  readonly tag: number;
  readonly type: number;
  readonly count: number;
  readonly value: Buffer;
}

interface Page {
  readonly entries: Entry[];
  readonly chunks: Buffer[];
  readonly offsetsTag: number;
  readonly countsTag: number;
}

function readValues(e: Entry): number[] {
  const out: number[] = [];
  for (let i = 0; i < e.count; i++) out.push(e.type === 3 ? e.value.readUInt16LE(i * 2) : e.value.readUInt32LE(i * 4));
  return out;
}

function parsePages(buf: Buffer): Page[] {
  if (buf.length < 8 || buf.readUInt16LE(0) !== 0x4949 || buf.readUInt16LE(2) !== 42) throw new Error('not a classic little-endian TIFF');
  const pages: Page[] = [];
  const seen = new Set<number>();
  for (let ifd = buf.readUInt32LE(4); ifd !== 0; ) {
    if (seen.has(ifd) || ifd + 2 > buf.length) throw new Error('TIFF IFD chain is broken');
    seen.add(ifd);
    const { page, next } = parseIfd(buf, ifd);
    pages.push(page);
    ifd = next;
  }
  return pages;
}

function parseIfd(buf: Buffer, ifd: number): { page: Page; next: number } {
  const n = buf.readUInt16LE(ifd);
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const at = ifd + 2 + i * 12;
    const tag = buf.readUInt16LE(at);
    const type = buf.readUInt16LE(at + 2);
    const count = buf.readUInt32LE(at + 4);
    const size = TYPE_SIZE[type];
    if (size === undefined) throw new Error(`TIFF tag ${tag} has unsupported type ${type}`);
    if (UNSUPPORTED.has(tag)) throw new Error(`TIFF tag ${tag} (sub-IFD) is not supported`);
    const len = size * count;
    const value = len <= 4 ? buf.subarray(at + 8, at + 8 + len) : buf.subarray(buf.readUInt32LE(at + 8), buf.readUInt32LE(at + 8) + len);
    entries.push({ tag, type, count, value });
  }
  const find = (tag: number): Entry | undefined => entries.find((e) => e.tag === tag);
  const tiled = find(TAG_TILE_OFFSETS) !== undefined;
  const offsetsTag = tiled ? TAG_TILE_OFFSETS : TAG_STRIP_OFFSETS;
  const countsTag = tiled ? TAG_TILE_BYTE_COUNTS : TAG_STRIP_BYTE_COUNTS;
  const offsets = find(offsetsTag);
  const counts = find(countsTag);
  if (offsets === undefined || counts === undefined) throw new Error('TIFF page has no strip or tile offsets');
  const o = readValues(offsets);
  const c = readValues(counts);
  const chunks = o.map((off, i) => buf.subarray(off, off + (c[i] ?? 0)));
  return { page: { entries, chunks, offsetsTag, countsTag }, next: buf.readUInt32LE(ifd + 2 + n * 12) };
}

function longs(values: readonly number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32LE(v, i * 4));
  return b;
}

/**
 * The byte layout of a classic little-endian TIFF being written: data at even offsets, each page's IFD
 * linked from the header or from the IFD before it. The writers here and in imagecast/mhTiff.ts share it.
 */
export class MultipageTiffLayout {
  private readonly parts: Buffer[] = [];
  private pos = 8;
  private prevNext: { buf: Buffer; at: number };

  constructor() {
    const header = Buffer.alloc(8);
    header.write('II', 0, 'latin1');
    header.writeUInt16LE(42, 2);
    this.parts.push(header);
    this.prevNext = { buf: header, at: 4 };
  }

  /** Appends bytes (padded to an even length) and returns their offset. */
  push(b: Buffer): number {
    const at = this.pos;
    this.parts.push(b);
    this.pos += b.length;
    if (this.pos % 2 === 1) {
      this.parts.push(Buffer.alloc(1));
      this.pos++;
    }
    return at;
  }

  /** Appends a page's IFD of `entries` 12-byte entries and links it from the one before. */
  pushIfd(ifd: Buffer, entries: number): void {
    const at = this.push(ifd);
    this.prevNext.buf.writeUInt32LE(at, this.prevNext.at);
    this.prevNext = { buf: ifd, at: 2 + entries * 12 };
  }

  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** One multipage TIFF from the pages of the given TIFFs, in order; pages get NewSubfileType=page and PageNumber. */
export function joinTiffPages(files: readonly Buffer[]): Buffer {
  const parsed = files.flatMap(parsePages);
  if (parsed.length === 0) throw new Error('no pages');
  const file = new MultipageTiffLayout();
  const push = (b: Buffer): number => file.push(b);
  parsed.forEach((page, index) => {
    const newOffsets = page.chunks.map((chunk) => push(chunk));
    const entries = page.entries
      .filter((e) => e.tag !== TAG_NEW_SUBFILE_TYPE && e.tag !== TAG_PAGE_NUMBER && e.tag !== page.offsetsTag)
      .concat([
        { tag: TAG_NEW_SUBFILE_TYPE, type: 4, count: 1, value: longs([2]) },
        { tag: TAG_PAGE_NUMBER, type: 3, count: 2, value: Buffer.from([index & 0xff, index >> 8, parsed.length & 0xff, parsed.length >> 8]) },
        { tag: page.offsetsTag, type: 4, count: newOffsets.length, value: longs(newOffsets) },
      ])
      .sort((a, b) => a.tag - b.tag);
    // out-of-line values first, then the IFD that points at them
    const valueAt = new Map<number, number>();
    for (const e of entries) if (e.value.length > 4) valueAt.set(e.tag, push(e.value));
    const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
    ifd.writeUInt16LE(entries.length, 0);
    entries.forEach((e, i) => {
      const at = 2 + i * 12;
      ifd.writeUInt16LE(e.tag, at);
      ifd.writeUInt16LE(e.type, at + 2);
      ifd.writeUInt32LE(e.count, at + 4);
      const far = valueAt.get(e.tag);
      if (far !== undefined) ifd.writeUInt32LE(far, at + 8);
      else e.value.copy(ifd, at + 8);
    });
    file.pushIfd(ifd, entries.length);
  });
  return file.bytes();
}
