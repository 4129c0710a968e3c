/** The learner's rule for a one-sheet code that is damage, not a style (issue #19): pure, fast. */
import { describe, expect, it } from 'vitest';
import { codeMarks, damagedCodeGroups, type CodeGroup } from './damagedCodes.ts';

const A = ['3010101000130000', '3010101000330000'];
const group = (styleId: string, codes: readonly string[], ...types: (string | undefined)[]): CodeGroup => ({
  styleId,
  codes,
  sheets: types.map((ballotType, i) => ({ sheetKey: `${styleId}:${i}`, ballotType })),
});

describe('damaged style codes', () => {
  it('counts the marks that differ side by side, and cannot compare codes of other lengths', () => {
    expect(codeMarks(A, A)).toBe(0);
    expect(codeMarks(A, ['3000000000000000', '3000000000000000'])).toBe(10);
    expect(codeMarks(A, ['301', '301'])).toBeUndefined();
    expect(codeMarks(A, [A[0]!])).toBeUndefined();
  });

  it('takes a one-sheet code far from all, on a type printed as a style of several sheets, for damage', () => {
    const blotted = ['3000000000000000', '3000000000000000'];
    expect(damagedCodeGroups([group('a', A, '1', '1', '1'), group('x', blotted, '1')])).toEqual([
      { styleId: 'x', sheetKey: 'x:0', ballotType: '1', typeStyle: 'a', nearestMarks: 10 },
    ]);
  });

  it('learns the sheet when anything says it may be a style of its own', () => {
    const far = ['3000000000000000', '3000000000000000'];
    // No CVR type for it.
    expect(damagedCodeGroups([group('a', A, '1', '1'), group('x', far, undefined)])).toEqual([]);
    // Its type is printed by no style learned from several sheets (a rare type).
    expect(damagedCodeGroups([group('a', A, '1', '1'), group('x', far, '2')])).toEqual([]);
    expect(damagedCodeGroups([group('a', A, '1'), group('x', far, '1')])).toEqual([]);
    // Within two marks of another code: maybe another card of the same type.
    const card2 = ['3010101000130000', '3010101000330011'];
    expect(damagedCodeGroups([group('a', A, '1', '1'), group('c2', card2, '1')])).toEqual([]);
    // Its type is printed as two styles of several sheets (two cards): no one style to give it.
    const other = ['1111111111111111', '1111111111111111'];
    expect(damagedCodeGroups([group('a', A, '1', '1'), group('b', other, '1', '1'), group('x', far, '1')])).toEqual([]);
    // Several sheets print it: a style.
    expect(damagedCodeGroups([group('a', A, '1', '1'), group('x', far, '1', '1')])).toEqual([]);
  });

  it('uses the type most sheets of a style name, not one sheet that names another', () => {
    const far = ['3000000000000000', '3000000000000000'];
    expect(damagedCodeGroups([group('a', A, '1', '1', '2'), group('x', far, '2')])).toEqual([]);
    expect(damagedCodeGroups([group('a', A, '1', '1', '2'), group('x', far, '1')]).map((d) => d.styleId)).toEqual(['x']);
  });
});
