/**
 * Phase 1's same-paper check by the ink of the marks (issue #20), with the reader's real ink:
 * - the real Dominion ImageCast demo (../shared/corpus/dominion-imagecast-demo: 6 ballots scanned
 *   twice, batches 1 and 2), read in-process (OCR a stub: the targets' meaning does not matter
 *   here): every rescanned pair with a mark is found, though five of them have only 1–3 marks;
 *   the pair with no mark on any target cannot be told from any other blank sheet and is not named;
 *   no two different ballots are paired (two of them carry the same single fill);
 * - a near miss: two different generated voters' fills of the same single oval are not paired, a
 *   rescan of one of them is.
 * About 15 s (12 real sheets registered twice, a few generated ones).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { GRID } from '../../scripts/sample-election/layout.ts';
import { drawMark, type TruthMark } from '../../scripts/sample-election/marks.ts';
import { Pen } from '../../scripts/sample-election/raster.ts';
import { Rng } from '../../scripts/sample-election/prng.ts';
import { decodeBallotImage } from '../preaudit/image.ts';
import { interpretSheet } from '../preaudit/interpret.ts';
import { inkSignature } from '../preaudit/inkSignature.ts';
import type { StyleLayout } from '../preaudit/layout.ts';
import { learnLayouts } from '../preaudit/learnLayouts.ts';
import { decodeInkPatch, inkDifference } from './inkPatch.ts';
import { findLikelyDuplicates } from './likelyDuplicates.ts';
import { findSameInk, type InkedSheet, inksDiffer, SAME_INK } from './sameInk.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const demo = path.resolve(here, '../../../shared/corpus/dominion-imagecast-demo/Results/Tabulator00005');
const files = ['Batch001', 'Batch002'].flatMap((b) => readdirSync(path.join(demo, b, 'Images')).sort().map((f) => path.join(demo, b, 'Images', f)));
/** `5_1_2` for …/00005_00001_000002.tif, as the CVR names the ballot. */
const ballot = (f: string) => path.basename(f, '.tif').split('_').map(Number).join('_');

const read: { key: string; inks: (string | undefined)[]; fills: number[] }[] = [];
/** 5_1_5's pages turned 180° (as a sheet fed upside down), read like the others. */
let upsideDown: (string | undefined)[] = [];

beforeAll(async () => {
  // The demo's one style, its targets placed by their printed shape (the stub OCR names none).
  const ocr = { read: () => Promise.resolve(''), close: () => Promise.resolve() };
  const learned = await learnLayouts(files.map((f) => ({ key: f, files: [f] })), [], ocr);
  const style = learned.needsMapping[0]!;
  const targets = style.samples.flatMap((s) => s.boxes.map((b, i) => ({ side: s.side, column: b.column, row: b.row, contestId: `${s.side}-${i}`, optionId: 'x', isWriteIn: false })));
  const layout: StyleLayout = { ...style.placeholder, targets, contests: targets.map((t) => ({ id: t.contestId, seats: 1, title: t.contestId, options: [{ id: 'x', name: 'x' }], allowWriteIns: false })) };
  for (const f of files) {
    const pages = await decodeBallotImage(f, { ballotSidesOnly: true });
    if (!pages.ok) throw new Error(pages.error.message);
    const reading = interpretSheet(pages.value, layout);
    if (!reading.ok) throw new Error(reading.error.message);
    const ts = reading.value.pages.flatMap((p) => p.targets);
    read.push({ key: ballot(f), inks: ts.map((t) => t.ink), fills: ts.map((t) => t.score.fill) });
    if (ballot(f) === '5_1_5') {
      const turned = interpretSheet(pages.value.map((p) => ({ ...p, data: p.data.slice().reverse() })), layout);
      if (!turned.ok) throw new Error(turned.error.message);
      upsideDown = turned.value.pages.flatMap((p) => p.targets.map((t) => t.ink));
    }
  }
}, 120_000);

describe('the real demo: the same ballots scanned twice', () => {
  it('finds every rescanned pair that carries a mark, with one to three marks, and no other pair', () => {
    expect(read.length).toBe(12);
    const marks = new Map(read.map((s) => [s.key, s.inks.filter((i) => i !== undefined).length]));
    const sheets: InkedSheet[] = read.map((s) => ({ ballotKey: s.key, styleId: 'demo', inks: s.inks }));
    const pairs = findSameInk(sheets).map((p) => p.sort().join('~')).sort();
    // 5_1_3/5_2_3 has no mark on any target: nothing to tell it from another blank sheet by.
    expect(marks.get('5_1_3')).toBe(0);
    expect(pairs).toEqual(['5_1_1~5_2_1', '5_1_2~5_2_2', '5_1_4~5_2_4', '5_1_5~5_2_5', '5_1_6~5_2_6']);
    for (const p of pairs) expect(marks.get(p.split('~')[0]!)).toBeLessThanOrEqual(3);
    // The fills alone (the check before the ink) found only the three-mark pair.
    expect(findLikelyDuplicates(read.map((s) => ({ ballotKey: s.key, styleId: 'demo', fills: s.fills }))).map((p) => p.sort().join('~'))).toEqual(['5_1_2~5_2_2']);
  });

  it('tells apart two voters who filled the same single oval (5 and 6 both fill the first)', () => {
    const of = (k: string) => read.find((s) => s.key === k)!.inks;
    expect(of('5_1_5').map((i) => i !== undefined)).toEqual(of('5_1_6').map((i) => i !== undefined));
    expect(inksDiffer(of('5_1_5'), of('5_1_6'))).toBe(true);
    expect(inksDiffer(of('5_1_5'), of('5_2_5'))).toBe(false);
  });
});

describe('a rescan fed upside down', () => {
  it('has the same ink as the paper fed the right way up', () => {
    const of = (k: string) => read.find((s) => s.key === k)!.inks;
    expect(upsideDown.filter((i) => i !== undefined).length).toBe(1);
    const pairs = findSameInk([
      { ballotKey: 'turned', styleId: 'demo', inks: upsideDown },
      { ballotKey: '5_2_5', styleId: 'demo', inks: of('5_2_5') },
      { ballotKey: '5_1_6', styleId: 'demo', inks: of('5_1_6') },
    ]);
    expect(pairs).toEqual([['turned', '5_2_5']]);
  });
});

describe('a near miss: different generated voters, the same single fill', () => {
  /** One oval at 200 dpi filled by hand `voter` (the generator's pen), scanned bitonal `shift` pixels off; its ink patch as the reader keeps it. */
  function scannedFill(voter: string, shift: number): string {
    const dpi = 200;
    const size = 160;
    const page = { width: size, height: size, dpi, data: Buffer.alloc(size * size, 255) };
    const pen = new Pen(page, { scale: 1, shiftXPx: shift, shiftYPx: -shift, skewDeg: 0 }, 128);
    const mark: TruthMark = { kind: 'full', side: 'front', column: 1, row: 1, contestId: 'c', optionId: 'o', writeInIndex: null, intended: true, ambiguous: false, fill: 0.95, writeInName: null, xIn: 0.4, yIn: 0.4 };
    drawMark(pen, mark, Rng.derive(7, 'ink', voter, 0));
    // The oval's centre on this scan (the reader finds it to a pixel or two; the comparison searches a few).
    return inkSignature(page, { x: 0.4 * dpi + shift, y: 0.4 * dpi - shift }, GRID.oval.widthIn * dpi, GRID.oval.heightIn * dpi, { paper: 255, ink: 0 });
  }

  it('pairs a rescan of one paper, never two voters', () => {
    const voters = ['B000101-1', 'B000102-1', 'B000103-1', 'B000104-1', 'B000105-1', 'B000106-1'];
    const sheets: InkedSheet[] = voters.map((v) => ({ ballotKey: v, styleId: 's', inks: [scannedFill(v, 0)] }));
    sheets.push({ ballotKey: 'B000101-1-rescan', styleId: 's', inks: [scannedFill('B000101-1', 1.5)] });
    expect(findSameInk(sheets)).toEqual([['B000101-1', 'B000101-1-rescan']]);
    for (const v of voters.slice(1)) expect(inkDifference(decodeInkPatch(sheets[0]!.inks[0]!)!, decodeInkPatch(sheets.find((s) => s.ballotKey === v)!.inks[0]!)!)).toBeGreaterThan(SAME_INK);
  });
});
