/** A learned style's name as the Pre-audit page, the alerts and the CLI show it: one wording per design. */
import { describe, expect, it } from 'vitest';
import { describeLayout } from './styleLearner.ts';

const base = { targets: [], contests: [], targetShape: { width: 1, height: 1 } };
const ovals = (n: number) => Array.from({ length: n }, (_, i) => ({ side: 'front' as const, column: 4, row: 4 * i, contestId: 'c', optionId: String(i), isWriteIn: false }));

describe('a learned style named for people', () => {
  it('an ES&S style mapped by OCR reads like one waiting for a person ("ES&S ballot, 70 ovals")', () => {
    expect(describeLayout({ ...base, styleId: 'ess-0123456789', targets: ovals(70) })).toBe('ES&S ballot, 70 ovals');
    expect(describeLayout({ ...base, styleId: 'style-3/card-1', printedCode: { styleNumber: 3, card: 1 } })).toBe('style 3 card 1');
    expect(describeLayout({ ...base, styleId: 'accuvote-0110-1001', sideCodes: { front: '0110', back: '1001' } })).toBe('bottom-row codes 0110 / 1001');
  });
});
