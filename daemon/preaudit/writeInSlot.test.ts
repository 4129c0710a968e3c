/**
 * Write-in lines found by their printed rule first (ocr.ts, the AccuVote/Dominion rule left of the
 * oval), on the real NH AccuVote scan, with OCR scripted per target so the text beside each line
 * can be garbage, blank, or a candidate's name. The NH design labels its write-in ovals with the
 * contest's name and prints no rule; where a test needs one, it is drawn as other AccuVote-family
 * designs print it (a thin line at the baseline ending just left of the oval). Quick: no tesseract.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { findTimingMarkGrid } from './findGrid.ts';
import { decodeBallotImage, type GrayImage } from './image.ts';
import { layoutsFromVxElection, type StyleLayout } from './layout.ts';
import { mapTargetsByText, type OcrEngine } from './ocr.ts';
import { hasPrintedRule } from './printedRule.ts';
import type { GridLocation } from './targets.ts';
import type { TimingMarkGrid } from './timingMarks.ts';
import { hasRuleLeftOf, ruleUnderNameConfidence } from './writeInSlot.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../../shared/corpus/nh-amherst-scans');

let layout: StyleLayout;
let page: GrayImage;
let grid: TimingMarkGrid;

beforeAll(async () => {
  const layouts = layoutsFromVxElection(JSON.parse(readFileSync(path.join(corpus, 'election.json'), 'utf8')));
  if (!layouts.ok) throw new Error(layouts.error.message);
  layout = layouts.value[0]!;
  const decoded = await decodeBallotImage(path.join(corpus, 'scan-unmarked-front.jpeg'));
  if (!decoded.ok) throw new Error(decoded.error.message);
  page = decoded.value[0]!;
  const g = findTimingMarkGrid(page);
  if (!g.ok) throw new Error(g.error.message);
  grid = g.value;
});

const at = (column: number, row: number) => `${column},${row}`;

/** OCR that answers each crop with the text scripted for the target the crop ends at (its wide and its narrow crop alike). */
function scriptedOcr(texts: ReadonlyMap<string, string>, locations: readonly GridLocation[]): OcrEngine {
  return {
    read: async (_img, x, y, width) => {
      const loc = locations.find((l) => {
        const p = grid.pointFor(l.column, l.row);
        return Math.abs(p.y - grid.rowPitch * 0.55 - y) < 3 && Math.abs(p.x - grid.columnPitch * 0.45 - (x + width)) < 3;
      });
      return loc === undefined ? '' : (texts.get(at(loc.column, loc.row)) ?? '');
    },
    close: async () => {},
  };
}

/** The front's rows 8 to 17 (Governor, Senator, Congress, Executive Councilor) with each name read right. */
function frontRows(): { locations: GridLocation[]; texts: Map<string, string> } {
  const names = new Map(layout.contests.flatMap((c) => c.options.map((o) => [o.id, o.name] as const)));
  const targets = layout.targets.filter((t) => t.side === 'front' && t.row <= 17);
  return {
    locations: targets.map((t) => ({ column: t.column, row: t.row })),
    texts: new Map(targets.filter((t) => !t.isWriteIn).map((t) => [at(t.column, t.row), `${names.get(t.optionId) ?? ''}\n`])),
  };
}

/** A copy of the page with a box painted (white: the rule erased; black: a solid bar). */
function painted(img: GrayImage, box: { x0: number; x1: number; y0: number; y1: number }, value: number): GrayImage {
  const data = Uint8Array.from(img.data);
  for (let y = Math.round(box.y0); y <= Math.round(box.y1); y++) data.fill(value, y * img.width + Math.round(box.x0), y * img.width + Math.round(box.x1) + 1);
  return { width: img.width, height: img.height, data };
}

/** The page with a 3-pixel write-in rule drawn at each location's baseline, ending just left of its oval. */
function withRules(img: GrayImage, locations: readonly GridLocation[]): GrayImage {
  return locations.reduce((out, loc) => {
    const p = grid.pointFor(loc.column, loc.row);
    const y = p.y + grid.rowPitch * 0.25;
    return painted(out, { x0: p.x - grid.columnPitch * 4.9, x1: p.x - grid.columnPitch * 0.6, y0: y, y1: y + 2 }, 0);
  }, img);
}

const contestAt = (column: number, row: number) => layout.targets.find((t) => t.side === 'front' && t.column === column && t.row === row)!.contestId;
const question = () => layout.contests.filter((c) => c.options.length === 2 && c.options.every((o) => /^(yes|no)$/i.test(o.name)));

describe('a write-in line found by its printed rule', () => {
  it('is a write-in slot of its contest whatever OCR reads on it: garbage, blank, or a stray "No"', async () => {
    const { locations, texts } = frontRows();
    // The label misread as on real scans, nothing read at all, and OCR's short words across an empty
    // rule ("No BNE") on a page that also holds one Yes/No question.
    texts.set(at(32, 8), 'yO Govemo\n');
    texts.set(at(32, 11), '');
    texts.set(at(32, 14), 'No BNE\n');
    texts.set(at(32, 17), '~ _\n');
    expect(question()).toHaveLength(1);
    const ruled = withRules(page, [8, 11, 14, 17].map((row) => ({ column: 32, row })));
    const m = await mapTargetsByText(scriptedOcr(texts, locations), ruled, grid, 'front', locations, layout.contests, { writeInOrder: 'bottom-up' });
    expect(m.unresolved).toEqual([]);
    const writeIns = m.targets.filter((t) => t.isWriteIn).map((t) => `${at(t.column, t.row)} ${t.contestId} ${t.optionId}`);
    expect(writeIns.sort()).toEqual([8, 11, 14, 17].map((row) => `${at(32, row)} ${contestAt(32, row)} write-in-0`).sort());
    // the names were read whole and no line was in doubt
    expect(m.confidence).toBe(1);
  });

  it('under a candidate\'s name read by OCR, stays a write-in and the doubt shows in the mapping confidence', async () => {
    const { locations, texts } = frontRows();
    const councilor = layout.contests.find((c) => c.id === contestAt(32, 17))!;
    texts.set(at(32, 17), `${councilor.options[1]!.name}\n`);
    const ruled = withRules(page, [8, 11, 14, 17].map((row) => ({ column: 32, row })));
    const m = await mapTargetsByText(scriptedOcr(texts, locations), ruled, grid, 'front', locations, layout.contests, { writeInOrder: 'bottom-up' });
    const line = m.targets.find((t) => t.column === 32 && t.row === 17);
    expect(line?.isWriteIn).toBe(true);
    expect(line?.contestId).toBe(councilor.id);
    expect(m.confidence).toBeLessThan(0.75);
    expect(m.confidence).toBe(ruleUnderNameConfidence(1));
  });
});

describe('a target with no printed rule', () => {
  it('whose name is read is that option, not a write-in, even with a solid bar where a rule would be', async () => {
    const { locations, texts } = frontRows();
    // No rule printed and a candidate's name read there; a black bar beside a candidate's oval.
    const p = grid.pointFor(19, 14);
    const barred = painted(page, { x0: p.x - grid.columnPitch * 4.7, x1: p.x - grid.columnPitch * 0.7, y0: p.y - grid.rowPitch * 0.2, y1: p.y + grid.rowPitch * 0.7 }, 0);
    expect(hasRuleLeftOf(barred, grid, { column: 32, row: 17 })).toBe(false);
    expect(hasRuleLeftOf(barred, grid, { column: 19, row: 14 })).toBe(false);
    const councilor = layout.contests.find((c) => c.id === contestAt(32, 17))!;
    texts.set(at(32, 17), `${councilor.options[1]!.name}\n`);
    for (const row of [8, 11, 14]) texts.set(at(32, row), `Write-in ${layout.contests.find((c) => c.id === contestAt(32, row))!.title}\n`);
    const m = await mapTargetsByText(scriptedOcr(texts, locations), barred, grid, 'front', locations, layout.contests, { writeInOrder: 'bottom-up' });
    const placed = (column: number, row: number) => m.targets.find((t) => t.column === column && t.row === row);
    expect(placed(32, 17)).toMatchObject({ isWriteIn: false, contestId: councilor.id, optionId: councilor.options[1]!.id });
    expect(placed(19, 14)).toMatchObject({ isWriteIn: false, optionId: layout.targets.find((t) => t.side === 'front' && t.column === 19 && t.row === 14)!.optionId });
    expect(m.confidence).toBe(1);
  });

  it('whose label reads "write" is still a write-in line, of the contest on its rows', async () => {
    const { locations, texts } = frontRows();
    expect(hasRuleLeftOf(page, grid, { column: 32, row: 11 })).toBe(false);
    for (const row of [8, 11, 14, 17]) texts.set(at(32, row), row === 11 ? 'Write-in\n' : `Write-in ${layout.contests.find((c) => c.id === contestAt(32, row))!.title}\n`);
    const m = await mapTargetsByText(scriptedOcr(texts, locations), page, grid, 'front', locations, layout.contests, { writeInOrder: 'bottom-up' });
    expect(m.unresolved).toEqual([]);
    expect(m.targets.find((t) => t.column === 32 && t.row === 11)).toMatchObject({ isWriteIn: true, contestId: contestAt(32, 11) });
  });
});

describe('the printed rule itself', () => {
  it('is a long thin line where the design prints it, not a name, a border or a long dark band', () => {
    const lines = layout.targets.filter((t) => t.side === 'front' && t.isWriteIn);
    const ruled = withRules(page, lines);
    for (const t of lines) expect(hasRuleLeftOf(ruled, grid, t), at(t.column, t.row)).toBe(true);
    // the real scan's names, cell borders and contest separators are no rule
    for (const t of layout.targets.filter((x) => x.side === 'front')) expect(hasRuleLeftOf(page, grid, t), at(t.column, t.row)).toBe(false);
    // A synthetic page: a 2-pixel line and a 12-pixel bar, 200 pixels long.
    const data = new Uint8Array(300 * 80).fill(255);
    for (let x = 50; x < 250; x++) {
      for (const y of [20, 21]) data[y * 300 + x] = 0;
      for (let y = 50; y < 62; y++) data[y * 300 + x] = 0;
    }
    const img = { width: 300, height: 80, data };
    expect(hasPrintedRule(img, 128, { x0: 60, x1: 240, y0: 15, y1: 26, maxThickness: 6 })).toBe(true);
    expect(hasPrintedRule(img, 128, { x0: 60, x1: 240, y0: 45, y1: 66, maxThickness: 6 })).toBe(false);
    // without a thickness limit the bar passes for a rule: the limit is what tells them apart
    expect(hasPrintedRule(img, 128, { x0: 60, x1: 240, y0: 45, y1: 66 })).toBe(true);
    // A page scanned 3° askew: the rule followed along the page's tilt, not across it.
    const tilted = new Uint8Array(300 * 80).fill(255);
    for (let x = 50; x < 250; x++) for (const dy of [0, 1]) tilted[(Math.round(40 + 0.05 * (x - 150)) + dy) * 300 + x] = 0;
    const askew = { width: 300, height: 80, data: tilted };
    expect(hasPrintedRule(askew, 128, { x0: 60, x1: 240, y0: 35, y1: 45, maxThickness: 6, slope: 0.05 })).toBe(true);
    expect(hasPrintedRule(askew, 128, { x0: 60, x1: 240, y0: 35, y1: 45, maxThickness: 6 })).toBe(false);
  });
});
