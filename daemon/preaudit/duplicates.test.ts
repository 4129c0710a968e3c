/**
 * The rescan finder (findLikelyDuplicates): the same paper scanned twice is found even where a
 * thin stroke on a small black-and-white oval reads differently on each scan; two voters who made
 * the same choices are not taken for one sheet.
 */
import { describe, expect, it } from 'vitest';
import { findLikelyDuplicates as findPairs, type SheetFingerprint } from '../importer/likelyDuplicates.ts';

/** Pairs, each in name order. */
const findLikelyDuplicates = (sheets: SheetFingerprint[]) => findPairs(sheets).map((p) => [...p].sort());

// Fills read on one generated Dominion-design sheet and on its rescan (200 dpi, 1-bit): full
// fills, an X, a check, a small check, a started fill, a hesitation dot, blanks.
const first = [1, 1, 1, 0, 0, 1, 0.412, 0, 0.216, 0.206, 0.074, 0.044, 0, 0, 1, 0];
const rescan = [1, 1, 1, 0, 0, 1, 0.406, 0, 0.277, 0.138, 0.049, 0.045, 0, 0, 1, 0];
const sheet = (ballotKey: string, fills: number[], styleId = 'style-1'): SheetFingerprint => ({ ballotKey, styleId, fills });

describe('findLikelyDuplicates', () => {
  it('finds a rescan whose thin strokes read a few pixels differently', () => {
    expect(findLikelyDuplicates([sheet('a', first), sheet('b', rescan), sheet('c', first.map(() => 0))])).toEqual([['a', 'b']]);
  });

  it('does not take two voters with the same choices for one sheet', () => {
    // the check of the first voter is a full fill for the second
    const filled = rescan.map((f, k) => (k === 8 ? 1 : f));
    expect(findLikelyDuplicates([sheet('a', first), sheet('b', filled)])).toEqual([]);
    // a hesitation dot on one, nothing on the other
    const dot = rescan.map((f, k) => (k === 12 ? 0.045 : f));
    expect(findLikelyDuplicates([sheet('a', first), sheet('b', dot)])).toEqual([]);
    // fills of the same choices, one voter's a little lighter
    const lighter = rescan.map((f) => (f === 1 ? 0.9 : f));
    expect(findLikelyDuplicates([sheet('a', first), sheet('b', lighter)])).toEqual([]);
    // the same strokes drawn by another hand: a check twice as heavy
    const heavier = rescan.map((f, k) => (k === 8 ? 0.45 : f));
    expect(findLikelyDuplicates([sheet('a', first), sheet('b', heavier)])).toEqual([]);
  });

  it('compares only sheets of the same style', () => {
    expect(findLikelyDuplicates([sheet('a', first), sheet('b', rescan, 'style-2')])).toEqual([]);
  });
});
