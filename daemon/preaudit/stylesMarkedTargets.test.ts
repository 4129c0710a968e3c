/**
 * A style's targets are the printed ones, whatever voters did to them on the sampled pages: a
 * target checked, crossed or half filled on every page the learner sees is still a target (seed 11
 * of the generator once lost one this way, so no person could map its style). The layouts and the
 * marks come from the generator's truth; the learner sees only the images.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { decodeBallotImage, type GrayImage } from './image.ts';
import { registerPages } from './interpret.ts';
import { StyleLearner, type PageCode } from './styles.ts';
import type { TimingMarkGrid } from './timingMarks.ts';

interface Place { side: 'front' | 'back'; column: number; row: number }
interface TruthMark extends Place { kind: string }
interface Page { style: string; side: 'front' | 'back'; code: PageCode; image: GrayImage; grid: TimingMarkGrid; marks: TruthMark[] }

const root = mkdtempSync(join(tmpdir(), 'ballotsafe-marked-targets-'));
const pages: Page[] = [];
let truth: Map<string, string[]>;
const at = (p: { column: number; row: number }) => `${p.column},${p.row}`;

beforeAll(async () => {
  const out = join(root, 'export');
  const g = await generateSampleElection({ out, seed: 11, ballots: 10, precincts: 2, format: 'dominion', batchSize: 20, discrepancies: { flip: 0, drop: 0, dup: 0, totals: 0 } });
  if (!g.ok) throw new Error(g.error.message);
  type Layout = { styleNumber: number; cards: ({ card: number } & Record<'front' | 'back', { targets: Place[] }>)[] };
  const layouts = readdirSync(join(out, 'truth', 'layouts')).map((f) => JSON.parse(readFileSync(join(out, 'truth', 'layouts', f), 'utf8')) as Layout);
  truth = new Map(layouts.flatMap((l) => l.cards.flatMap((c) => (['front', 'back'] as const).map((side) => [`style-${l.styleNumber}/card-${c.card}#${side}`, c[side].targets.map(at).sort()] as const))));
  const index = JSON.parse(readFileSync(join(out, 'truth', 'index.json'), 'utf8')) as { images: { ballotId: string; card: number; paths: string[] }[] };
  for (const im of index.images) {
    const ballot = JSON.parse(readFileSync(join(out, 'truth', 'ballots', `${im.ballotId}.json`), 'utf8')) as { sheets: { card: number; marks: TruthMark[] }[] };
    const decoded = await decodeBallotImage(join(out, im.paths[0]!));
    if (!decoded.ok) throw new Error(decoded.error.message);
    const registered = registerPages(decoded.value);
    if (!registered.ok) throw new Error(registered.error.message);
    for (const p of registered.value.pages) {
      const d = p.code.decoded;
      if (d === undefined) throw new Error(`${im.paths[0]}: no style code read`);
      const marks = (ballot.sheets.find((s) => s.card === im.card)?.marks ?? []).filter((m) => m.side === d.side);
      pages.push({ style: `style-${d.styleNumber}/card-${d.card}`, side: d.side, code: p.code, image: p.image, grid: p.grid, marks });
    }
  }
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

function learnedTargets(from: readonly Page[]): Map<string, string[]> {
  const learner = new StyleLearner();
  for (const p of from) learner.addPageAs(`${p.style}#${p.side}`, p.code, p.image, p.grid);
  return new Map(learner.learned().map((l) => [l.key, l.targets.map(at).sort()]));
}

describe('learning a style\'s targets from marked pages', () => {
  it('learns exactly the printed targets of every style side of the generated election', () => {
    const learned = learnedTargets(pages);
    for (const [key, targets] of truth) {
      if (!pages.some((p) => `${p.style}#${p.side}` === key)) continue;
      expect({ key, targets: learned.get(key) ?? [] }).toEqual({ key, targets });
    }
  });

  it('learns a target that carries a check, an X or a partial fill on every page it is learned from', () => {
    const partly = new Set(['check', 'x', 'partial']);
    let tried = 0;
    for (const [key, targets] of truth) {
      for (const t of targets) {
        const marked = pages.filter((p) => `${p.style}#${p.side}` === key && p.marks.some((m) => at(m) === t && partly.has(m.kind)) && !p.marks.some((m) => at(m) === t && !partly.has(m.kind)));
        if (marked.length < 2) continue;
        tried++;
        expect({ key, t, learned: learnedTargets(marked).get(key)?.includes(t) }).toEqual({ key, t, learned: true });
      }
    }
    expect(tried).toBeGreaterThan(3);
  });
});
