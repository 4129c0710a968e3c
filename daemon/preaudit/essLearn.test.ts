/**
 * Learning ES&S styles from the printed pages (about 20 s: OCR of one style's card). Pages are the
 * generator's ES&S design rasterized at 200 dpi and made bitonal, as Electionware's scans are:
 * the shaded contest headers print as a 25 % dot screen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeElection, type Election } from '../../scripts/sample-election/election.ts';
import { essSideSvg, essStyleLayout } from '../../scripts/sample-election/essDesign.ts';
import { layoutStyle, type StyleLayout as SampleLayout } from '../../scripts/sample-election/layout.ts';
import { binarize, rasterizeSvg } from '../../scripts/sample-election/raster.ts';
import { findEssDashedGrid } from './essGrid.ts';
import { groupEssSheets, learnEssStyles, type EssPage, type EssSheet } from './essLearn.ts';
import { strokeSquareAt, withoutHalftone } from './halftone.ts';
import type { ContestDefinition } from './layout.ts';
import { createOcrEngine, titleSimilarity, type OcrEngine } from './ocr.ts';

const DPI = 200;
let election: Election;
let samples: SampleLayout[];
/** Per style, its first card's [front, back] pages. */
let cards: EssPage[][];
let ocr: OcrEngine;

async function page(svg: string, key: string): Promise<EssPage> {
  const image = binarize(await rasterizeSvg(svg, DPI), 160);
  const grid = findEssDashedGrid(image);
  if (!grid.ok) throw new Error(grid.error.message);
  return { image, grid: grid.value, origin: { sheetKey: key, file: 0, page: 0 } };
}

/** The election's contests as the importer gives them (the generator's names and ids). */
function contestsOf(e: Election): ContestDefinition[] {
  return e.contests.map((c) => ({ id: c.id, title: c.title, seats: c.voteFor, options: c.options.map((o) => ({ id: o.id, name: o.name })), allowWriteIns: c.writeIns > 0 }));
}

beforeAll(async () => {
  election = makeElection({ seed: 21, precincts: 3 });
  samples = election.styles.map((st) => essStyleLayout(election, st, layoutStyle(election, st)));
  cards = [];
  for (const [i, s] of samples.entries()) {
    const card = s.cards[0]!;
    cards.push([await page(essSideSvg(card.front, DPI), `s${i}`), await page(essSideSvg(card.back, DPI), `s${i}`)]);
  }
  ocr = await createOcrEngine();
}, 60_000);
afterAll(async () => {
  await ocr.close();
});

describe('ES&S styles learned from the images', () => {
  it('reads a question title printed over a halftone-shaded header once the dots are removed, not before', async () => {
    // The first question on any style's card: its header ends just above its "Yes" oval.
    const found = samples.flatMap((s, i) =>
      [...s.cards[0]!.front.targets, ...s.cards[0]!.back.targets]
        .filter((t) => election.contests.find((c) => c.id === t.contestId)?.type === 'yesno')
        .map((t) => ({ i, t })),
    )[0];
    expect(found).toBeDefined();
    const { i, t } = found!;
    const p = cards[i]![t.side === 'front' ? 0 : 1]!;
    const title = election.contests.find((c) => c.id === t.contestId)!.title;
    const block = samples[i]!.cards[0]![t.side].contests.find((b) => b.contestId === t.contestId)!;
    const top = p.grid.pointFor(2 * t.column, 2 * block.firstRow - 2);
    const at = p.grid.pointFor(2 * t.column, 2 * t.row);
    const x = at.x - 1.8 * p.grid.columnPitch;
    const w = 19 * p.grid.columnPitch;
    const h = at.y - 0.8 * p.grid.rowPitch - top.y;
    const raw = await ocr.read(p.image, x, top.y, w, h);
    const clean = await ocr.read(withoutHalftone(p.image, x, top.y, w, h, p.grid.threshold, strokeSquareAt(DPI)), 0, 0, w, h);
    expect(titleSimilarity(raw, title)).toBeLessThan(0.75);
    expect(titleSimilarity(clean, title)).toBeGreaterThanOrEqual(0.75);
  }, 30_000);

  it('groups sheets by their printed ovals, whichever page was scanned first', () => {
    const sheets: EssSheet[] = cards.flatMap((c, i) => [
      { key: `s${i}-a`, pages: c },
      { key: `s${i}-turned`, pages: [c[1]!, c[0]!] },
    ]);
    const groups = groupEssSheets(sheets);
    const distinct = new Set(samples.map((s) => JSON.stringify([s.cards[0]!.front.targets.map((t) => [t.column, t.row]), s.cards[0]!.back.targets.map((t) => [t.column, t.row])])));
    expect(groups.length).toBe(distinct.size);
    for (const g of groups) expect(new Set(g.sheetKeys.map((k) => k.split('-')[0])).size).toBe(1);
    expect(groups.every((g) => g.sheetKeys.length % 2 === 0)).toBe(true);
  });

  it('sends a style to a person when a question title is misread as another question printed on it, never maps both as one', async () => {
    const isQuestion = (id: string) => election.contests.find((c) => c.id === id)?.type === 'yesno';
    const at = samples.findIndex((s) => new Set([...s.cards[0]!.front.targets, ...s.cards[0]!.back.targets].filter((t) => isQuestion(t.contestId)).map((t) => t.contestId)).size >= 2);
    expect(at).toBeGreaterThanOrEqual(0);
    const card = samples[at]!.cards[0]!;
    const [first, second] = [...new Set([...card.front.targets, ...card.back.targets].filter((t) => isQuestion(t.contestId)).map((t) => t.contestId))].map((id) => election.contests.find((c) => c.id === id)!.title);
    // OCR that reads the second question's title as the first's (a digit blurred: "Article 9" as "Article 8").
    const misreading: OcrEngine = { read: async (...args) => (await ocr.read(...args)).replaceAll(second!, first!), close: async () => {} };
    const result = await learnEssStyles([{ key: 'm', pages: cards[at]! }], contestsOf(election), misreading);
    expect(result.layouts).toEqual([]);
    expect(result.needsMapping).toHaveLength(1);
    expect(result.needsMapping[0]!.placed.filter((t) => t.contestId === election.contests.find((c) => c.title === first)!.id).length).toBe(0);
  }, 90_000);

  /** A card with two questions or more: its index, and the first two questions' titles. */
  function twoQuestions(): { at: number; first: string; second: string } {
    const isQuestion = (id: string) => election.contests.find((c) => c.id === id)?.type === 'yesno';
    const at = samples.findIndex((s) => new Set([...s.cards[0]!.front.targets, ...s.cards[0]!.back.targets].filter((t) => isQuestion(t.contestId)).map((t) => t.contestId)).size >= 2);
    const card = samples[at]!.cards[0]!;
    const [first, second] = [...new Set([...card.front.targets, ...card.back.targets].filter((t) => isQuestion(t.contestId)).map((t) => t.contestId))].map((id) => election.contests.find((c) => c.id === id)!.title);
    return { at, first: first!, second: second! };
  }
  /** A title as OCR prints it, its words split by any space or line break. */
  const printed = (title: string) => new RegExp(title.split(' ').map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('\\s+'), 'g');
  const answersOf = (targets: readonly { contestId: string; optionId: string | null }[], title: string) =>
    targets.filter((t) => t.contestId === election.contests.find((c) => c.title === title)!.id).map((t) => t.optionId).sort();

  it('a "Yes" read with a stray mark or a header edge after it is read again on its own, and placed', async () => {
    const { at, first, second } = twoQuestions();
    let smudged = 0;
    // The wide crop beside each answer's oval (name and party lines) catches something after the word.
    const smudging: OcrEngine = {
      read: async (...args) => {
        const text = await ocr.read(...args);
        return args.length === 5 && args[1] !== 0 && /^\s*(yes|no)\b/i.test(text) && ++smudged > 0 ? `${text.trim()} EEE in)` : text;
      },
      close: async () => {},
    };
    const result = await learnEssStyles([{ key: 'y', pages: cards[at]! }], contestsOf(election), smudging);
    expect(smudged).toBeGreaterThanOrEqual(4);
    expect(result.needsMapping.map((n) => n.reason)).toEqual([]);
    expect(answersOf(result.layouts[0]!.targets, first)).toEqual(['no', 'yes']);
    expect(answersOf(result.layouts[0]!.targets, second)).toEqual(['no', 'yes']);
  }, 90_000);

  it('two titles each read as both questions: a person decides, nothing is guessed', async () => {
    const { at, first, second } = twoQuestions();
    let seen = 0;
    const swap = (t: string) => t.replace(printed(first), '\u0000').replace(printed(second), first).replaceAll('\u0000', second);
    const bothMisreading: OcrEngine = {
      read: async (...args) => {
        const text = await ocr.read(...args);
        return (printed(first).test(text) || printed(second).test(text)) && seen++ % 2 === 0 ? swap(text) : text;
      },
      close: async () => {},
    };
    const result = await learnEssStyles([{ key: 'b', pages: cards[at]! }], contestsOf(election), bothMisreading);
    expect(result.layouts).toEqual([]);
    expect(answersOf(result.needsMapping[0]!.placed, first)).toEqual([]);
    expect(answersOf(result.needsMapping[0]!.placed, second)).toEqual([]);
    expect(result.needsMapping[0]!.reason).toMatch(/read as/);
  }, 90_000);

  it('maps every target of a style to the contest and option printed beside it, with no person', async () => {
    const i = 0;
    const result = await learnEssStyles([{ key: 's0', pages: cards[i]! }], contestsOf(election), ocr);
    expect(result.needsMapping.map((n) => n.reason)).toEqual([]);
    expect(result.layouts).toHaveLength(1);
    const card = samples[i]!.cards[0]!;
    const truth = [...card.front.targets, ...card.back.targets].map((t) => `${t.side} ${2 * t.column},${2 * t.row} ${t.contestId} ${t.type === 'write-in' ? `write-in-${t.writeInIndex ?? 0}` : t.optionId}`).sort();
    const learned = result.layouts[0]!.targets.map((t) => `${t.side} ${t.column},${t.row} ${t.contestId} ${t.optionId}`).sort();
    expect(learned).toEqual(truth);
  }, 90_000);
});
