/**
 * learnLayouts with the styles learned before (issue #19, the learner's second round): a real
 * Dominion demo sheet with its code row blotted, alone among the sheets whose style was not
 * recognised, is not learned as a style of its own when its CVR's type is printed as a style
 * learned before from several sheets. Fast: one TIFF decoded, OCR is a stub (no style reaches it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blottedTiff } from '../../test/preaudit/blottedTiff.ts';
import type { CodeGroup } from './damagedCodes.ts';
import { decodeBallotImage } from './image.ts';
import { registerPages } from './interpret.ts';
import { learnLayouts } from './learnLayouts.ts';
import type { OcrEngine } from './ocr.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const tiff = path.resolve(here, '../../../shared/corpus/dominion-imagecast-demo/Results/Tabulator00005/Batch002/Images/00005_00002_000001.tif');
const root = mkdtempSync(path.join(os.tmpdir(), 'damaged-codes-learn-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let ocrReads = 0;
const ocr: OcrEngine = {
  read: () => {
    ocrReads++;
    return Promise.resolve('');
  },
  close: () => Promise.resolve(),
};
const blotted = path.join(root, 'blotted.tif');
let realCodes: string[] = [];

beforeAll(async () => {
  await blottedTiff(tiff, blotted, root);
  const d = await decodeBallotImage(tiff);
  if (!d.ok) throw new Error(d.error.message);
  const r = registerPages(d.value);
  if (!r.ok) throw new Error(r.error.message);
  realCodes = r.value.pages.map((p) => p.code.bottomRow);
}, 60_000);

const known = (styleId: string, codes: readonly string[], sheets: number): CodeGroup => ({
  styleId,
  codes,
  sheets: Array.from({ length: sheets }, (_, i) => ({ sheetKey: `${styleId}:${i}`, ballotType: '1' })),
});

describe('a blotted code among the sheets of no known style', () => {
  it('is not learned when its CVR type is printed as a style learned before from several sheets', async () => {
    ocrReads = 0;
    const r = await learnLayouts([{ key: 'blotted', files: [blotted] }], [], ocr, {
      ballotTypeOf: () => '1',
      // A known one-sheet style far from all is compared with, never reported as not learned.
      knownCodes: [known('dominion-real', realCodes, 3), known('dominion-lone', realCodes.map((c) => c.replace(/0/g, '1')), 1)],
    });
    expect(r.notLearned.map((d) => [d.sheetKey, d.typeStyle])).toEqual([['blotted', 'dominion-real']]);
    expect(r.notLearned[0]!.nearestMarks).toBeGreaterThan(2);
    expect(r.layouts).toEqual([]);
    expect(r.needsMapping).toEqual([]);
    expect(ocrReads).toBe(0);
  });

  it('is learned (here: left for a person, the stub OCR reads nothing) when the known style of its type has one sheet', async () => {
    const r = await learnLayouts([{ key: 'blotted', files: [blotted] }], [], ocr, { ballotTypeOf: () => '1', knownCodes: [known('dominion-real', realCodes, 1)] });
    expect(r.notLearned).toEqual([]);
    expect(r.needsMapping.length).toBe(1);
  });
});
