import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatBytes } from './format.ts';

describe('formatBytes: the one size shown to people', () => {
  it('counts in decimal units, like the label on the drive', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(1)).toBe('1 byte');
    expect(formatBytes(999)).toBe('999 bytes');
    expect(formatBytes(1000)).toBe('1.0 KB');
    expect(formatBytes(1024)).toBe('1.0 KB');
    expect(formatBytes(1_500_000)).toBe('1.5 MB');
    expect(formatBytes(64_000_000_000)).toBe('64.0 GB');
    expect(formatBytes(123_456_789)).toBe('123 MB');
    expect(formatBytes(2_000_000_000_000_000)).toBe('2000 TB');
  });

  it('never shows 1000 of a unit or 100.0', () => {
    expect(formatBytes(999_700)).toBe('1.0 MB');
    expect(formatBytes(99_960)).toBe('100 KB');
    expect(formatBytes(99_940)).toBe('99.9 KB');
  });

  it('shows a dash for a size it does not know', () => {
    expect(formatBytes(Number.NaN)).toBe('–');
    expect(formatBytes(-1)).toBe('–');
  });

  it("the browser's copy in web-ui/app.js gives the same text", () => {
    const src = readFileSync(new URL('../../web-ui/app.js', import.meta.url), 'utf8');
    const m = /function formatBytes\(b\) \{[\s\S]*?\n {2}\}/.exec(src);
    expect(m).not.toBeNull();
    const browser = new Function(`${m?.[0] ?? ''}; return formatBytes;`)() as (b: number) => string;
    for (const n of [0, 1, 7, 999, 1000, 1024, 99_940, 99_960, 999_700, 1_500_000, 123_456_789, 64e9, 2e15, -1, Number.NaN]) {
      expect(browser(n), String(n)).toBe(formatBytes(n));
    }
  });
});
