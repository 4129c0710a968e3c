import { describe, expect, it } from 'vitest';
import { decodePathText, dirKeyOf, encodePathBytes } from './pathCodec.ts';

describe('path codec', () => {
  it('keeps valid UTF-8 and escapes only invalid bytes and %', () => {
    expect(encodePathBytes(Buffer.from('Tabulator00001/Batch 001/Ñandú ✓.tif'))).toBe('Tabulator00001/Batch 001/Ñandú ✓.tif');
    expect(encodePathBytes(Buffer.from('100%.tif'))).toBe('100%25.tif');
    expect(encodePathBytes(Buffer.from([0x61, 0xff, 0x62]))).toBe('a%FFb');
    // Latin-1 "é" (0xE9) followed by ASCII is an invalid sequence; overlong "/" (C0 AF) too; a lone surrogate (ED A0 80).
    expect(encodePathBytes(Buffer.from([0xe9, 0x2e, 0x74]))).toBe('%E9.t');
    expect(encodePathBytes(Buffer.from([0xc0, 0xaf]))).toBe('%C0%AF');
    expect(encodePathBytes(Buffer.from([0xed, 0xa0, 0x80]))).toBe('%ED%A0%80');
  });

  it('round-trips arbitrary bytes exactly', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed);
    for (let n = 0; n < 2000; n++) {
      const bytes = Buffer.from(Array.from({ length: rnd() % 24 }, () => {
        const b = rnd() % 256;
        return b === 0 ? 1 : b;
      }));
      expect(decodePathText(encodePathBytes(bytes)).equals(bytes)).toBe(true);
    }
  });

  it('gives the directory key the catalog index uses', () => {
    expect(dirKeyOf('a/b/c.tif')).toBe('a/b/');
    expect(dirKeyOf('c.tif')).toBe('');
  });
});
