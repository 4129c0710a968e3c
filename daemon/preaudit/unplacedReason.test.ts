/**
 * Why a target was left unplaced, as the person mapping the style reads it (issue 21): with nothing
 * legible beside the oval the reason says so, and names a "best match" only when something was read.
 * Real pages: the generator's ES&S design rasterized at 200 dpi, and the NH AccuVote scan.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeElection } from '../../scripts/sample-election/election.ts';
import { essSideSvg, essStyleLayout } from '../../scripts/sample-election/essDesign.ts';
import { layoutStyle } from '../../scripts/sample-election/layout.ts';
import { binarize, rasterizeSvg } from '../../scripts/sample-election/raster.ts';
import { findEssDashedGrid } from './essGrid.ts';
import { mapEssTargetsByText } from './essMapping.ts';
import { findTimingMarkGrid } from './findGrid.ts';
import type { GrayImage } from './image.ts';
import { decodeBallotImage } from './image.ts';
import { type ContestDefinition, layoutsFromVxElection } from './layout.ts';
import { checkMapping } from './learnedStyle.ts';
import { mapTargetsByText, type OcrEngine } from './ocr.ts';
import type { TimingMarkGrid } from './timingMarks.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const amherst = path.resolve(here, '../../../shared/corpus/nh-amherst-scans');
const reads = (text: string): OcrEngine => ({ read: async () => text, close: async () => {} });

describe('the reason a target was not placed', () => {
  let essPage: { image: GrayImage; grid: TimingMarkGrid; ovals: { column: number; row: number }[]; contests: ContestDefinition[] };
  beforeAll(async () => {
    const election = makeElection({ seed: 21, precincts: 1 });
    const style = election.styles[0]!;
    const front = essStyleLayout(election, style, layoutStyle(election, style)).cards[0]!.front;
    const image = binarize(await rasterizeSvg(essSideSvg(front, 200), 200), 160);
    const grid = findEssDashedGrid(image);
    if (!grid.ok) throw new Error(grid.error.message);
    // The dashed border prints a dash every half grid pitch: a learned place is twice the generator's.
    const ovals = front.targets.slice(0, 4).map((t) => ({ column: 2 * t.column, row: 2 * t.row }));
    const contests = election.contests.map((c) => ({ id: c.id, title: c.title, seats: c.voteFor, options: c.options.map((o) => ({ id: o.id, name: o.name })), allowWriteIns: c.writeIns > 0 }));
    essPage = { image, grid: grid.value, ovals, contests };
  }, 30_000);

  it('on an ES&S page: nothing legible beside the oval is said plainly, with no "best match … 0%"', async () => {
    const { image, grid, ovals, contests } = essPage;
    const blank = await mapEssTargetsByText(reads(''), image, grid, 'front', ovals, contests);
    expect(blank.unresolved.length).toBeGreaterThan(0);
    for (const u of blank.unresolved) expect(u.reason).toBe('nothing legible was read beside the oval');
    // Specks read as punctuation are not legible either.
    const specks = await mapEssTargetsByText(reads(' ~ .\n|'), image, grid, 'front', ovals, contests);
    expect(specks.unresolved.map((u) => u.reason)).toEqual(blank.unresolved.map((u) => u.reason));
    // Something read that fits no name: the closest name and how far it is, as before.
    const garbled = await mapEssTargetsByText(reads('Qxzv Wrrk\n'), image, grid, 'front', ovals, contests);
    expect(garbled.unresolved.length).toBeGreaterThan(0);
    for (const u of garbled.unresolved) expect(u.reason).toMatch(/^best match ".+" only \d+%$/);
    // Read well, but two names fit it alike: that is why, not a weak "best match".
    const alike = [{ id: 'gov', title: 'Governor', seats: 1, allowWriteIns: false, options: [{ id: 'roe', name: 'Jane Roe' }, { id: 'rowe', name: 'Jane Rowe' }] }];
    const twoNames = await mapEssTargetsByText(reads('Jane Roqe\n'), image, grid, 'front', ovals.slice(0, 1), alike);
    expect(twoNames.unresolved.map((u) => u.reason)).toEqual(['"Jane Rowe" and "Jane Roe" match it almost equally (89% and 89%)']);
  });

  it('on an AccuVote scan: the same, beside the target', async () => {
    const layouts = layoutsFromVxElection(JSON.parse(readFileSync(path.join(amherst, 'election.json'), 'utf8')));
    if (!layouts.ok) throw new Error(layouts.error.message);
    const layout = layouts.value[0]!;
    const decoded = await decodeBallotImage(path.join(amherst, 'scan-unmarked-front.jpeg'));
    if (!decoded.ok) throw new Error(decoded.error.message);
    const grid = findTimingMarkGrid(decoded.value[0]!);
    if (!grid.ok) throw new Error(grid.error.message);
    const governor = layout.targets.find((t) => t.side === 'front' && t.optionId === 'Josiah-Bartlett-1bb99985')!;
    const at = [{ column: governor.column, row: governor.row }];
    const blank = await mapTargetsByText(reads('~~ ~\n'), decoded.value[0]!, grid.value, 'front', at, layout.contests);
    expect(blank.unresolved.map((u) => u.reason)).toEqual(['nothing legible was read beside the target']);
    const garbled = await mapTargetsByText(reads('Qxzv Wrrk\n'), decoded.value[0]!, grid.value, 'front', at, layout.contests);
    expect(garbled.unresolved.map((u) => u.reason)).toEqual([expect.stringMatching(/^best match ".+" only \d+%$/)]);
  });

  it("in the style's reason: no empty quotes for what was read", () => {
    const at = { side: 'front' as const, column: 4, row: 10 };
    expect(checkMapping([], [{ ...at, text: ' \n', reason: 'nothing legible was read beside the oval' }], [])).toBe(
      '1 target could not be matched to a contest option (first: front column 4 row 10: nothing legible was read beside the oval)',
    );
    expect(checkMapping([], [{ ...at, text: 'Hannah  Dustin\n', reason: 'best match "John Spencer" only 31%' }], [])).toBe(
      '1 target could not be matched to a contest option (first: front column 4 row 10, read "Hannah Dustin": best match "John Spencer" only 31%)',
    );
  });
});
