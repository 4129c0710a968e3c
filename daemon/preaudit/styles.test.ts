import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeBallotImage } from './image.ts';
import { layoutsFromVxElection } from './layout.ts';
import { decodeStyleCode, StyleLearner } from './styles.ts';
import { findTimingMarkGrid } from './findGrid.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../../shared/corpus/nh-amherst-scans');

describe('style learning from real scans, without the layout', () => {
  it('groups fronts and backs by their printed card code and finds exactly the targets of election.json', async () => {
    const learner = new StyleLearner();
    const keyOf = new Map<string, string>();
    const files = ['template', 'scan-unmarked', 'scan-marked', 'scan-marked-overvote', 'scan-marked-stretch'].flatMap((f) => [
      `${f}-front.jpeg`,
      `${f}-back.jpeg`,
    ]);
    for (const f of files) {
      const decoded = await decodeBallotImage(path.join(corpus, f));
      if (!decoded.ok) throw new Error(decoded.error.message);
      const grid = findTimingMarkGrid(decoded.value[0]!);
      if (!grid.ok) throw new Error(grid.error.message);
      keyOf.set(f, learner.addPage(decoded.value[0]!, grid.value));
    }
    const fronts = new Set(files.filter((f) => f.includes('-front')).map((f) => keyOf.get(f)));
    const backs = new Set(files.filter((f) => f.includes('-back')).map((f) => keyOf.get(f)));
    expect(fronts.size).toBe(1);
    expect(backs.size).toBe(1);
    const styles = learner.learned();
    expect(styles).toHaveLength(2);

    const layouts = layoutsFromVxElection(JSON.parse(readFileSync(path.join(corpus, 'election.json'), 'utf8')));
    if (!layouts.ok) throw new Error(layouts.error.message);
    for (const [side, keys] of [
      ['front', fronts],
      ['back', backs],
    ] as const) {
      const style = styles.find((s) => s.key === [...keys][0])!;
      expect(style.pages).toBe(5);
      const truth = layouts.value[0]!.targets
        .filter((t) => t.side === side)
        .map((t) => `${t.column},${t.row}`)
        .sort();
      expect(style.targets.map((t) => `${t.column},${t.row}`).sort()).toEqual(truth);
    }
  });

  it('decodes the sample-election style code and rejects a damaged one', () => {
    // style 5, card 1, back: 000000000101 001 1, ones=4 → 0100, sync 1011
    const bits = [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 1];
    expect(decodeStyleCode(bits)).toEqual({ styleNumber: 5, card: 1, side: 'back' });
    const damaged = [...bits];
    damaged[3] = 1;
    expect(decodeStyleCode(damaged)).toBeUndefined();
  });
});
