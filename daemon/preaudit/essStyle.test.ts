import { beforeAll, describe, expect, it } from 'vitest';
import { makeElection } from '../../scripts/sample-election/election.ts';
import { essSideSvg, essStyleLayout } from '../../scripts/sample-election/essDesign.ts';
import { layoutStyle, type StyleLayout as SampleLayout } from '../../scripts/sample-election/layout.ts';
import { binarize, rasterizeSvg } from '../../scripts/sample-election/raster.ts';
import { findEssDashedGrid } from './essGrid.ts';
import { chooseEssLayout } from './essStyle.ts';
import { interpretSheetAnyStyle } from './interpret.ts';
import { DESIGN_NOT_READ_CODE, ESS_STYLES_NOT_LEARNED_CODE } from './setApart.ts';
import type { StyleLayout } from './layout.ts';
import type { GrayImage } from './image.ts';
import type { TimingMarkGrid } from './timingMarks.ts';

const DPI = 200;
let pages: { image: GrayImage; grid: TimingMarkGrid }[];
let samples: SampleLayout[];

/** The reader's layout of a generated style's first card, on the dashed grid (two dashes per generator pitch). */
function readerLayout(styleId: string, s: SampleLayout, optionOf: (optionId: string | null) => string = (o) => o ?? 'write-in'): StyleLayout {
  const card = s.cards[0]!;
  return {
    styleId,
    targets: [...card.front.targets, ...card.back.targets].map((t) => ({ side: t.side, column: 2 * t.column, row: 2 * t.row, contestId: t.contestId, optionId: optionOf(t.optionId), isWriteIn: t.type === 'write-in' })),
    contests: [],
    targetShape: { width: 1.59, height: 1.04 }, // the generator's oval in dash pitches
  };
}

beforeAll(async () => {
  const election = makeElection({ seed: 21, precincts: 3 });
  samples = election.styles.map((st) => essStyleLayout(election, st, layoutStyle(election, st)));
  const card = samples[0]!.cards[0]!;
  pages = [];
  for (const side of [card.front, card.back]) {
    const image = binarize(await rasterizeSvg(essSideSvg(side, DPI), DPI), 160);
    const grid = findEssDashedGrid(image);
    if (!grid.ok) throw new Error(grid.error.message);
    pages.push({ image, grid: grid.value });
  }
});

describe('ES&S style from the printed ovals', () => {
  it('picks the style whose ovals are printed, and tells which page is the back', () => {
    const layouts = samples.map((s, i) => readerLayout(`style-${i + 1}`, s));
    expect(new Set(layouts.map((l) => l.targets.map((t) => `${t.side}${t.column},${t.row}`).join())).size).toBeGreaterThan(1);
    expect(chooseEssLayout(pages, layouts)?.layout.styleId).toBe('style-1');
    const turned = chooseEssLayout([pages[1]!, pages[0]!], layouts);
    expect(turned?.layout.styleId).toBe('style-1');
    expect(turned?.sides).toEqual(['back', 'front']);
  });

  it('leaves a sheet to a person when two styles print the same places for other options, not when they mean the same', () => {
    const mine = readerLayout('style-1', samples[0]!);
    const twin = readerLayout('style-1-copy', samples[0]!);
    expect(chooseEssLayout(pages, [mine, twin])?.layout.styleId).toBe('style-1');
    const other = readerLayout('style-x', samples[0]!, (o) => `other-${o ?? 'write-in'}`);
    expect(chooseEssLayout(pages, [mine, other])).toBeUndefined();
  });

  it('matches no style whose targets are not printed on the sheet', () => {
    const others = samples.slice(1).map((s, i) => readerLayout(`style-${i + 2}`, s));
    const mine = readerLayout('style-1', samples[0]!);
    // a style differing from this sheet's in some places only
    const mineAsStrings = new Set(mine.targets.map((t) => `${t.side}${t.column},${t.row}`));
    const differs = others.filter((o) => o.targets.some((t) => !mineAsStrings.has(`${t.side}${t.column},${t.row}`)));
    expect(differs.length).toBeGreaterThan(0);
    expect(chooseEssLayout(pages, differs)).toBeUndefined();
  });

  it('recognises the sheets of a style waiting for a person by its printed places (counted as waiting, not "could not be read")', () => {
    const mine = readerLayout('style-1', samples[0]!);
    const waiting: StyleLayout = { styleId: 'needs-person:style-1', targets: [], contests: [], targetShape: mine.targetShape, printedPlaces: mine.targets.map((t) => ({ side: t.side, column: t.column, row: t.row })) };
    expect(chooseEssLayout(pages, [waiting])?.layout.styleId).toBe('needs-person:style-1');
    const read = interpretSheetAnyStyle(pages.map((p) => p.image), [waiting], undefined, { essExport: true, essStylesKnown: true });
    expect(read.ok ? read.value.styleId : read.error.code).toBe('needs-person:style-1');
    // another style's placeholder does not take this sheet
    const others = samples.slice(1).map((s2, i) => readerLayout(`style-${i + 2}`, s2)).filter((o) => o.targets.some((t) => !mine.targets.some((m) => m.side === t.side && m.column === t.column && m.row === t.row)));
    const otherWaiting = others.map((o): StyleLayout => ({ styleId: `needs-person:${o.styleId}`, targets: [], contests: [], targetShape: o.targetShape, printedPlaces: o.targets.map((t) => ({ side: t.side, column: t.column, row: t.row })) }));
    expect(chooseEssLayout(pages, otherWaiting)).toBeUndefined();
  });

  it('sets a sheet aside in words while ES&S styles are not learned (its border found), and says "border not found" first when it is not', () => {
    const layouts = [readerLayout('style-1', samples[0]!)];
    const images = pages.map((p) => p.image);
    const codeOf = (r: ReturnType<typeof interpretSheetAnyStyle>) => (r.ok ? 'read' : r.error.code);
    expect(codeOf(interpretSheetAnyStyle(images, layouts, undefined, { essExport: true, essStylesKnown: false }))).toBe(ESS_STYLES_NOT_LEARNED_CODE);
    expect(codeOf(interpretSheetAnyStyle(images, layouts, undefined, { essExport: true }))).not.toBe(ESS_STYLES_NOT_LEARNED_CODE);
    const first = images[0]!;
    const blank: GrayImage = { ...first, data: new Uint8Array(first.data.length).fill(255) };
    expect(codeOf(interpretSheetAnyStyle([blank, blank], layouts, undefined, { essExport: true, essStylesKnown: false }))).toBe(DESIGN_NOT_READ_CODE);
  });
});
