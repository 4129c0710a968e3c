import { describe, expect, it } from 'vitest';
import { formatBytes } from '../core/format.ts';
import { parseByteSize } from './exportZips.ts';

describe('parseByteSize: a size typed by a person', () => {
  it('reads G and GB in the decimal units every size is shown in, GiB in binary', () => {
    expect(parseByteSize('5G')).toBe(5_000_000_000);
    expect(parseByteSize('5 GB')).toBe(5_000_000_000);
    expect(parseByteSize('4GiB')).toBe(4 * 1024 ** 3);
    expect(parseByteSize('700m')).toBe(700_000_000);
    expect(parseByteSize('1.5K')).toBe(1500);
    expect(parseByteSize('123')).toBe(123);
    expect(formatBytes(parseByteSize('5G') ?? 0)).toBe('5.0 GB');
  });

  it('refuses what is not a size', () => {
    expect(parseByteSize('five')).toBeUndefined();
    expect(parseByteSize('0')).toBeUndefined();
    expect(parseByteSize('5X')).toBeUndefined();
  });
});
