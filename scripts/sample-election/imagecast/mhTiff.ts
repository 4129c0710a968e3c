/**
 * Bitonal multipage TIFF with CCITT modified Huffman (TIFF compression 2, "CCITT RLE"), as
 * Dominion ImageCast writes its ballot images: one strip per page, WhiteIsZero, MSB-first,
 * every row starting on a byte boundary. libvips/sharp read compression 2 but cannot write it, so
 * this is the encoder (ITU-T T.4 one-dimensional codes) and the container writer.
 */
import type { Gray } from '../raster.ts';
import { MultipageTiffLayout } from '../tiff.ts';

// T.4 code words as bit strings: terminating codes for runs 0..63, then make-up codes for 64..1728
// per colour, and the extended make-up codes 1792..2560 both colours share.
const WHITE_TERM =
  '00110101 000111 0111 1000 1011 1100 1110 1111 10011 10100 00111 01000 001000 000011 110100 110101 101010 101011 0100111 0001100 0001000 0010111 0000011 0000100 0101000 0101011 0010011 0100100 0011000 00000010 00000011 00011010 00011011 00010010 00010011 00010100 00010101 00010110 00010111 00101000 00101001 00101010 00101011 00101100 00101101 00000100 00000101 00001010 00001011 01010010 01010011 01010100 01010101 00100100 00100101 01011000 01011001 01011010 01011011 01001010 01001011 00110010 00110011 00110100';
const WHITE_MAKEUP =
  '11011 10010 010111 0110111 00110110 00110111 01100100 01100101 01101000 01100111 011001100 011001101 011010010 011010011 011010100 011010101 011010110 011010111 011011000 011011001 011011010 011011011 010011000 010011001 010011010 011000 010011011';
const BLACK_TERM =
  '0000110111 010 11 10 011 0011 0010 00011 000101 000100 0000100 0000101 0000111 00000100 00000111 000011000 0000010111 0000011000 0000001000 00001100111 00001101000 00001101100 00000110111 00000101000 00000010111 00000011000 000011001010 000011001011 000011001100 000011001101 000001101000 000001101001 000001101010 000001101011 000011010010 000011010011 000011010100 000011010101 000011010110 000011010111 000001101100 000001101101 000011011010 000011011011 000001010100 000001010101 000001010110 000001010111 000001100100 000001100101 000001010010 000001010011 000000100100 000000110111 000000111000 000000100111 000000101000 000001011000 000001011001 000000101011 000000101100 000001011010 000001100110 000001100111';
const BLACK_MAKEUP =
  '0000001111 000011001000 000011001001 000001011011 000000110011 000000110100 000000110101 0000001101100 0000001101101 0000001001010 0000001001011 0000001001100 0000001001101 0000001110010 0000001110011 0000001110100 0000001110101 0000001110110 0000001110111 0000001010010 0000001010011 0000001010100 0000001010101 0000001011010 0000001011011 0000001100100 0000001100101';
const EXTENDED_MAKEUP = '00000001000 00000001100 00000001101 000000010010 000000010011 000000010100 000000010101 000000010110 000000010111 000000011100 000000011101 000000011110 000000011111';

interface Code {
  readonly bits: number;
  readonly length: number;
}
const codes = (s: string): Code[] => s.split(' ').map((b) => ({ bits: parseInt(b, 2), length: b.length }));

/** Per colour (0 white, 1 black): terminating codes by run, make-up codes by run/64 (1..40). */
export const MH_CODES = [
  { term: codes(WHITE_TERM), makeup: [{ bits: 0, length: 0 }, ...codes(WHITE_MAKEUP), ...codes(EXTENDED_MAKEUP)] },
  { term: codes(BLACK_TERM), makeup: [{ bits: 0, length: 0 }, ...codes(BLACK_MAKEUP), ...codes(EXTENDED_MAKEUP)] },
] as const;

class BitWriter {
  private buf: Buffer;
  private pos = 0;
  private acc = 0;
  private n = 0;
  constructor(size: number) {
    this.buf = Buffer.alloc(size);
  }
  put(code: Code): void {
    this.acc = (this.acc << code.length) | code.bits;
    this.n += code.length;
    while (this.n >= 8) {
      this.n -= 8;
      if (this.pos >= this.buf.length) this.grow();
      this.buf[this.pos++] = (this.acc >>> this.n) & 0xff;
    }
    this.acc &= (1 << this.n) - 1;
  }
  /** Pads to the next byte: every MH row starts on a byte boundary. */
  align(): void {
    if (this.n === 0) return;
    if (this.pos >= this.buf.length) this.grow();
    this.buf[this.pos++] = (this.acc << (8 - this.n)) & 0xff;
    this.acc = 0;
    this.n = 0;
  }
  private grow(): void {
    const bigger = Buffer.alloc(this.buf.length * 2);
    this.buf.copy(bigger);
    this.buf = bigger;
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function putRun(w: BitWriter, color: 0 | 1, run: number): void {
  const table = MH_CODES[color];
  while (run >= 2560) {
    w.put(table.makeup[40] as Code);
    run -= 2560;
  }
  if (run >= 64) {
    w.put(table.makeup[run >> 6] as Code);
    run &= 63;
  }
  w.put(table.term[run] as Code);
}

/**
 * MH-encodes a bitonal page: a pixel of 0 is black, any other value white (the generator's
 * bitonal pages hold only 0 and 255). Runs are skipped four pixels at a time where the row allows.
 */
export function encodeModifiedHuffman(img: Gray): Buffer {
  const { width: W, height: H, data } = img;
  const w = new BitWriter(Math.max(1024, (W * H) >> 4));
  // four pixels per word: all white is 0xffffffff, all black 0
  const words = data.byteOffset % 4 === 0 ? new Uint32Array(data.buffer, data.byteOffset, data.length >> 2) : null;
  for (let y = 0; y < H; y++) {
    const row = y * W;
    const rowEnd = row + W;
    let x = row;
    let color: 0 | 1 = 0;
    // a row starts with a white run, of length 0 when it starts black
    while (x < rowEnd) {
      let end = x;
      if (color === 0) {
        for (;;) {
          if (words !== null && (end & 3) === 0 && end + 4 <= rowEnd && words[end >> 2] === 0xffffffff) end += 4;
          else if (end < rowEnd && data[end] !== 0) end++;
          else break;
        }
      } else {
        for (;;) {
          if (words !== null && (end & 3) === 0 && end + 4 <= rowEnd && words[end >> 2] === 0) end += 4;
          else if (end < rowEnd && data[end] === 0) end++;
          else break;
        }
      }
      putRun(w, color, end - x);
      x = end;
      color = color === 0 ? 1 : 0;
    }
    if (W === 0) putRun(w, 0, 0);
    w.align();
  }
  return w.bytes();
}

interface Tag {
  readonly tag: number;
  readonly type: 3 | 4 | 5;
  readonly values: readonly number[];
}

/**
 * One multipage TIFF (classic, little-endian) of MH-compressed pages, tagged like ImageCast's:
 * NewSubfileType 2 (page), WhiteIsZero, FillOrder 1, one strip, resolution in dpi, PageNumber.
 */
export function writeMhTiff(pages: readonly Gray[]): Buffer {
  if (pages.length === 0) throw new Error('no pages');
  const file = new MultipageTiffLayout();
  const push = (b: Buffer): number => file.push(b);
  pages.forEach((page, index) => {
    const strip = encodeModifiedHuffman(page);
    const stripAt = push(strip);
    const resolution = Buffer.alloc(8);
    resolution.writeUInt32LE(page.dpi, 0);
    resolution.writeUInt32LE(1, 4);
    const resAt = push(resolution);
    const tags: Tag[] = [
      { tag: 254, type: 4, values: [2] },
      { tag: 256, type: 4, values: [page.width] },
      { tag: 257, type: 4, values: [page.height] },
      { tag: 258, type: 3, values: [1] },
      { tag: 259, type: 3, values: [2] },
      { tag: 262, type: 3, values: [0] },
      { tag: 266, type: 3, values: [1] },
      { tag: 273, type: 4, values: [stripAt] },
      { tag: 277, type: 3, values: [1] },
      { tag: 278, type: 4, values: [page.height] },
      { tag: 279, type: 4, values: [strip.length] },
      { tag: 282, type: 5, values: [resAt] },
      { tag: 283, type: 5, values: [resAt] },
      { tag: 296, type: 3, values: [2] },
      { tag: 297, type: 3, values: [index, pages.length] },
    ];
    const ifd = Buffer.alloc(2 + tags.length * 12 + 4);
    ifd.writeUInt16LE(tags.length, 0);
    tags.forEach((t, i) => {
      const at = 2 + i * 12;
      ifd.writeUInt16LE(t.tag, at);
      ifd.writeUInt16LE(t.type, at + 2);
      // RATIONAL values live out of line: the entry holds their offset (one rational each here)
      ifd.writeUInt32LE(t.type === 5 ? 1 : t.values.length, at + 4);
      if (t.type === 3) t.values.forEach((v, k) => ifd.writeUInt16LE(v, at + 8 + k * 2));
      else ifd.writeUInt32LE(t.values[0] ?? 0, at + 8);
    });
    file.pushIfd(ifd, tags.length);
  });
  return file.bytes();
}
