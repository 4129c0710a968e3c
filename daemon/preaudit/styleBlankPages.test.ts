/** The style's empty-oval level measured on real NH pages (../shared/corpus/nh-amherst-scans). */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findTimingMarkGrid } from './findGrid.ts';
import { decodeBallotImage } from './image.ts';
import { interpretSheet } from './interpret.ts';
import { layoutsFromVxElection } from './layout.ts';
import { blankReferenceFromPages, type StylePage } from './styleBlankPages.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../../shared/corpus/nh-amherst-scans');
const layouts = layoutsFromVxElection(JSON.parse(readFileSync(path.join(corpus, 'election.json'), 'utf8')));
if (!layouts.ok) throw new Error(layouts.error.message);
const layout = layouts.value[0]!;

async function stylePage(file: string): Promise<StylePage> {
  const decoded = await decodeBallotImage(path.join(corpus, file));
  if (!decoded.ok) throw new Error(decoded.error.message);
  const image = decoded.value[0]!;
  const grid = findTimingMarkGrid(image);
  if (!grid.ok) throw new Error(grid.error.message);
  return { image, grid: grid.value, side: file.includes('-back') ? 'back' : 'front' };
}

describe('the style\'s blank level from its pages', () => {
  it('is measured on the template and unmarked pages: near no ink, every page counted', async () => {
    const pages = await Promise.all(['template-front.jpeg', 'template-back.jpeg', 'scan-unmarked-front.jpeg', 'scan-unmarked-back.jpeg'].map(stylePage));
    const ref = blankReferenceFromPages(pages, layout.targets, layout.targetShape);
    expect(ref?.sheets).toBe(4);
    expect(ref!.level.solid).toBeLessThan(0.01);
    expect(ref!.level.fill).toBeLessThan(0.02);
    // the hand-read scan still reads exactly with it
    const marked = await Promise.all(['scan-marked-front.jpeg', 'scan-marked-back.jpeg'].map(stylePage));
    const reading = interpretSheet(marked.map((p) => p.image), { ...layout, blankReference: ref! });
    if (!reading.ok) throw new Error(reading.error.message);
    const expected = JSON.parse(readFileSync(path.join(corpus, 'expected-scan-marked.json'), 'utf8')) as Record<string, Record<string, string[]>>;
    const want: Record<string, string[]> = { ...expected['front'], ...expected['back'] };
    for (const c of reading.value.contests) expect([...c.selected].sort(), c.contestId).toEqual([...(want[c.contestId] ?? [])].sort());
  });

  it('measures nothing from a side with no targets of the layout', async () => {
    const page = await stylePage('template-front.jpeg');
    expect(blankReferenceFromPages([page], layout.targets.filter((t) => t.side === 'back'), layout.targetShape)).toBeUndefined();
  });
});
