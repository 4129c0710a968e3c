/** The mapping confidence OCR learning stores per style: the weakest name match that placed a target. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findTimingMarkGrid } from './findGrid.ts';
import { decodeBallotImage } from './image.ts';
import { layoutsFromVxElection } from './layout.ts';
import { mapTargetsByText, type OcrEngine } from './ocr.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../../shared/corpus/nh-amherst-scans');

describe('mapping confidence', () => {
  it('is 1 for names read whole (party label and all), lower for OCR slips, 0 while a target is unplaced', async () => {
    const layouts = layoutsFromVxElection(JSON.parse(readFileSync(path.join(corpus, 'election.json'), 'utf8')));
    if (!layouts.ok) throw new Error(layouts.error.message);
    const layout = layouts.value[0]!;
    const decoded = await decodeBallotImage(path.join(corpus, 'scan-unmarked-front.jpeg'));
    if (!decoded.ok) throw new Error(decoded.error.message);
    const grid = findTimingMarkGrid(decoded.value[0]!);
    if (!grid.ok) throw new Error(grid.error.message);
    const governor = layout.targets.find((t) => t.side === 'front' && t.optionId === 'Josiah-Bartlett-1bb99985')!;
    const map = (text: string) => {
      const scripted: OcrEngine = { read: async () => text, close: async () => {} };
      return mapTargetsByText(scripted, decoded.value[0]!, grid.value, 'front', [{ column: governor.column, row: governor.row }], layout.contests);
    };
    const whole = await map('Josiah Bartlett\n(DEM)\n');
    expect(whole.targets.map((t) => t.optionId)).toEqual([governor.optionId]);
    expect(whole.confidence).toBe(1);
    const slipped = await map('Jos1ah Bart1ett\n');
    expect(slipped.targets.map((t) => t.optionId)).toEqual([governor.optionId]);
    expect(slipped.confidence).toBeGreaterThan(0.75);
    expect(slipped.confidence).toBeLessThan(1);
    const unread = await map('~~ ~\n');
    expect(unread.unresolved).toHaveLength(1);
    expect(unread.confidence).toBe(0);
  });
});
