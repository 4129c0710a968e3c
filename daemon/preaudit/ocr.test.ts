import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBallotImage } from './image.ts';
import { layoutsFromVxElection } from './layout.ts';
import { createOcrEngine, mapTargetsByText, nameSimilarity, type OcrEngine } from './ocr.ts';
import { findTimingMarkGrid } from './findGrid.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../../shared/corpus/nh-amherst-scans');

describe('tolerant name matcher', () => {
  it('forgives OCR slips and extra words, not a different name', () => {
    expect(nameSimilarity('Josiah Bartlett (', 'Josiah Bartlett')).toBe(1);
    expect(nameSimilarity('Charles H. Hersey', 'Charles H Hersey')).toBe(1);
    expect(nameSimilarity('Libertarian\nJohn Spencer', 'John Spencer')).toBe(1);
    expect(nameSimilarity('Jos1ah Bart1ett', 'Josiah Bartlett')).toBeGreaterThan(0.8);
    expect(nameSimilarity('John Smith', 'John Mann')).toBeLessThan(0.75);
  });
});

describe('OCR of the real NH scan maps every target without the layout', () => {
  let ocr: OcrEngine;
  beforeAll(async () => {
    ocr = await createOcrEngine();
  }, 120_000);
  afterAll(async () => {
    await ocr.close();
  });

  it('places every option and write-in target of both sides, leaving none unresolved', async () => {
    const layouts = layoutsFromVxElection(JSON.parse(readFileSync(path.join(corpus, 'election.json'), 'utf8')));
    if (!layouts.ok) throw new Error(layouts.error.message);
    const layout = layouts.value[0]!;
    for (const side of ['front', 'back'] as const) {
      const decoded = await decodeBallotImage(path.join(corpus, `scan-unmarked-${side}.jpeg`));
      if (!decoded.ok) throw new Error(decoded.error.message);
      const img = decoded.value[0]!;
      const grid = findTimingMarkGrid(img);
      if (!grid.ok) throw new Error(grid.error.message);
      const truth = layout.targets.filter((t) => t.side === side);
      const mapping = await mapTargetsByText(ocr, img, grid.value, side, truth.map((t) => ({ column: t.column, row: t.row })), layout.contests);
      expect(mapping.unresolved, side).toEqual([]);
      expect(mapping.targets).toHaveLength(truth.length);
      for (const t of mapping.targets) {
        const want = truth.find((x) => x.column === t.column && x.row === t.row)!;
        expect(t.contestId, `${side} ${t.column},${t.row}`).toBe(want.contestId);
        expect(t.isWriteIn).toBe(want.isWriteIn);
        // write-in slots are numbered by the EMS's convention (AccuVote counts bottom-up); options exactly
        if (!t.isWriteIn) expect(t.optionId).toBe(want.optionId);
      }
    }
  }, 120_000);
});

describe('a write-in line named by its contest', () => {
  it('stays a write-in when OCR makes up a "no" across the empty rule beside the oval', async () => {
    const layouts = layoutsFromVxElection(JSON.parse(readFileSync(path.join(corpus, 'election.json'), 'utf8')));
    if (!layouts.ok) throw new Error(layouts.error.message);
    const layout = layouts.value[0]!;
    const decoded = await decodeBallotImage(path.join(corpus, 'scan-unmarked-front.jpeg'));
    if (!decoded.ok) throw new Error(decoded.error.message);
    const img = decoded.value[0]!;
    const grid = findTimingMarkGrid(img);
    if (!grid.ok) throw new Error(grid.error.message);
    // What tesseract read beside State Senator's write-in oval (front 32,20) in one run: the wide
    // crop names the contest, the narrow crop over the blank rule reads "No BNE".
    const scripted: OcrEngine = {
      read: async (_img, _x, _y, width) => (width > grid.value.columnPitch * 3 ? '| State Senator\n' : 'No BNE\n'),
      close: async () => {},
    };
    const mapping = await mapTargetsByText(scripted, img, grid.value, 'front', [{ column: 32, row: 20 }], layout.contests);
    expect(mapping.unresolved).toEqual([]);
    expect(mapping.targets).toEqual([
      { side: 'front', column: 32, row: 20, contestId: 'State-Senator-391381f8', optionId: 'write-in-0', isWriteIn: true },
    ]);
    // A "Yes"/"No" read in the wide crop is still a question's answer.
    const answer: OcrEngine = { read: async () => 'No\n', close: async () => {} };
    const asked = await mapTargetsByText(answer, img, grid.value, 'front', [{ column: 32, row: 20 }], layout.contests);
    expect(asked.targets.map((t) => t.contestId)).toEqual(['Shall-there-be-a-convention-to-amend-or-revise-the-constitution--15e8b5bc']);
  });
});
