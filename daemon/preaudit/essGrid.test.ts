import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeElection } from '../../scripts/sample-election/election.ts';
import { essSideSvg, essStyleLayout } from '../../scripts/sample-election/essDesign.ts';
import { columnX, layoutStyle, rowY, type SideLayout } from '../../scripts/sample-election/layout.ts';
import { binarize, type Gray, project, rasterizeSvg, scannerArtifacts, shifted, warpWithNoise } from '../../scripts/sample-election/raster.ts';
import { Rng } from '../../scripts/sample-election/prng.ts';
import { findEssDashedGrid } from './essGrid.ts';
import { findTimingMarkGrid } from './findGrid.ts';
import type { GrayImage } from './image.ts';

const DPI = 200;
const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../../shared/corpus');

let front: SideLayout;
let back: SideLayout;
let page: Gray;

beforeAll(async () => {
  const election = makeElection({ seed: 21, precincts: 2 });
  const style = election.styles[0]!;
  const ess = essStyleLayout(election, style, layoutStyle(election, style));
  front = ess.cards[0]!.front;
  back = ess.cards[0]!.back;
  page = binarize(await rasterizeSvg(essSideSvg(front, DPI), DPI), 160);
});

/** Every printed target's centre in the image, as the grid gives it, and as drawn. */
function targetError(img: GrayImage, side: SideLayout, at: (xIn: number, yIn: number) => [number, number]): number {
  const g = findEssDashedGrid(img);
  if (!g.ok) throw new Error(g.error.message);
  let worst = 0;
  for (const t of side.targets) {
    // The generator's grid pitch is two dashes: its column c is dash 2c.
    const p = g.value.pointFor(2 * t.column, 2 * t.row);
    const [x, y] = at(columnX(t.column), rowY(t.row));
    worst = Math.max(worst, Math.hypot(p.x - x, p.y - y));
  }
  return worst;
}

function turned(img: Gray): Gray {
  return { ...img, data: Buffer.from(img.data).reverse() };
}

describe('ES&S dashed-border grid', () => {
  it('finds every dash of a letter page and puts each target on its oval', () => {
    const g = findEssDashedGrid(page);
    if (!g.ok) throw new Error(g.error.message);
    expect(g.value.design).toBe('ess-dashed');
    expect([g.value.columns, g.value.rows]).toEqual([67, 105]);
    expect(g.value.orientation).toBe('upright');
    expect(g.value.interpolatedRows).toEqual([]);
    expect(targetError(page, front, (x, y) => [x * DPI, y * DPI])).toBeLessThan(2);
  });

  it('is chosen over the AccuVote finder, which counts the half-pitch dashes as its own marks', () => {
    const g = findTimingMarkGrid(page);
    if (!g.ok) throw new Error(g.error.message);
    expect(g.value.design).toBe('ess-dashed');
    expect(g.value.columns).toBe(67);
  });

  it('follows skew, scale, shift, paper noise and dust', () => {
    const t = { skewDeg: 1.3, scale: 0.985, shiftXPx: 0, shiftYPx: 0 };
    const warped = warpWithNoise(page, t.skewDeg, t.scale, 7, 10, 128);
    scannerArtifacts(warped, new Rng(5), 400, null, 128);
    expect(targetError(warped, front, project(t, DPI, page.width, page.height))).toBeLessThan(3);
  });

  it('finds a border lying farther in than it is looked for first (a scan shifted down by 0.35 in)', () => {
    const dy = Math.round(0.35 * DPI);
    const low = shifted(page, 0, dy);
    const g = findEssDashedGrid(low);
    if (!g.ok) throw new Error(g.error.message);
    expect([g.value.columns, g.value.rows]).toEqual([67, 105]);
    expect(targetError(low, front, (x, y) => [x * DPI, y * DPI + dy])).toBeLessThan(2);
  });

  it('reads a page fed upside down in the ballot frame, by where the style number is printed', async () => {
    const upside = turned(page);
    const g = findEssDashedGrid(upside);
    if (!g.ok) throw new Error(g.error.message);
    expect(g.value.orientation).toBe('rotated180');
    expect(targetError(upside, front, (x, y) => [page.width - 1 - x * DPI, page.height - 1 - y * DPI])).toBeLessThan(2);
    // the back side too (no title block, only the style number top right)
    const b = binarize(await rasterizeSvg(essSideSvg(back, DPI), DPI), 160);
    const gb = findEssDashedGrid(turned(b));
    expect(gb.ok && gb.value.orientation).toBe('rotated180');
    const ub = findEssDashedGrid(b);
    expect(ub.ok && ub.value.orientation).toBe('upright');
  });

  it('fills in smudged and missing dashes, the corner one included', () => {
    const img = { ...page, data: Buffer.from(page.data) };
    const g0 = findEssDashedGrid(page);
    if (!g0.ok) throw new Error(g0.error.message);
    // paint out the top-left corner dash and four dashes down the left edge
    for (const r of [0, 10, 11, 40, 77]) {
      const p = g0.value.pointFor(0, r);
      for (let y = Math.round(p.y) - 12; y <= Math.round(p.y) + 12; y++) for (let x = Math.round(p.x) - 12; x <= Math.round(p.x) + 12; x++) img.data[y * img.width + x] = 255;
    }
    const g = findEssDashedGrid(img);
    if (!g.ok) throw new Error(g.error.message);
    expect([g.value.columns, g.value.rows]).toEqual([67, 105]);
    expect(g.value.interpolatedRows).toEqual(expect.arrayContaining([10, 11, 40, 77]));
    expect(targetError(img, front, (x, y) => [x * DPI, y * DPI])).toBeLessThan(2);
  });

  it('learns the pitch from the dashes on legal, 17 in and 19 in pages with other spacings', () => {
    for (const [heightIn, pitchX, pitchY] of [
      [14, 0.125, 0.1667],
      [17, 0.1, 0.125],
      [19, 0.15, 0.1],
    ] as const) {
      const img = dashedPage(8.5, heightIn, pitchX, pitchY);
      const g = findEssDashedGrid(img);
      if (!g.ok) throw new Error(`${heightIn} in: ${g.error.message}`);
      const cols = Math.round(7.5 / pitchX) + 1;
      const rows = Math.round((heightIn - 1) / pitchY) + 1;
      expect([g.value.columns, g.value.rows], `${heightIn} in`).toEqual([cols, rows]);
      expect(g.value.columnPitch).toBeCloseTo(pitchX * DPI, 0);
      const p = g.value.pointFor(cols - 1, rows - 1);
      expect(Math.hypot(p.x - 8 * DPI, p.y - (0.5 + (rows - 1) * pitchY) * DPI)).toBeLessThan(1.5);
    }
  });

  it('turns away pages of other designs and pages with no border', async () => {
    for (const f of ['nh-amherst-scans/scan-marked-front.jpeg', 'nh-amherst-scans/scan-unmarked-front.jpeg']) {
      const { data, info } = await sharp(path.join(corpus, f)).greyscale().raw().toBuffer({ resolveWithObject: true });
      expect(findEssDashedGrid({ width: info.width, height: info.height, data }).ok, f).toBe(false);
    }
    const blank = { width: 1700, height: 2200, data: new Uint8Array(1700 * 2200).fill(255) };
    expect(findEssDashedGrid(blank).ok).toBe(false);
    // a border on three edges only: refused, not guessed
    const img = dashedPage(8.5, 11, 0.12, 0.1);
    for (let y = img.height - Math.round(0.7 * DPI); y < img.height; y++) img.data.fill(255, y * img.width, (y + 1) * img.width);
    expect(findEssDashedGrid(img).ok).toBe(false);
  });
});

/** A page with a dashed border ½ in inside the paper (dashes 0.05 × 0.04 in) and some text-like bars. */
function dashedPage(widthIn: number, heightIn: number, pitchX: number, pitchY: number): Gray {
  const width = Math.round(widthIn * DPI);
  const height = Math.round(heightIn * DPI);
  const data = Buffer.alloc(width * height, 255);
  const box = (cx: number, cy: number, w: number, h: number) => {
    for (let y = Math.round(cy - h / 2); y < Math.round(cy + h / 2); y++) for (let x = Math.round(cx - w / 2); x < Math.round(cx + w / 2); x++) data[y * width + x] = 0;
  };
  const cols = Math.round(7.5 / pitchX) + 1;
  const rows = Math.round((heightIn - 1) / pitchY) + 1;
  for (let c = 0; c < cols; c++) {
    box((0.5 + c * pitchX) * DPI, 0.5 * DPI, 0.05 * DPI, 0.04 * DPI);
    box((0.5 + c * pitchX) * DPI, (0.5 + (rows - 1) * pitchY) * DPI, 0.05 * DPI, 0.04 * DPI);
  }
  for (let r = 1; r < rows - 1; r++) {
    box(0.5 * DPI, (0.5 + r * pitchY) * DPI, 0.04 * DPI, 0.05 * DPI);
    box(8 * DPI, (0.5 + r * pitchY) * DPI, 0.04 * DPI, 0.05 * DPI);
  }
  // the style number's place, top right, and lines of text
  box(7 * DPI, 0.75 * DPI, 1.5 * DPI, 0.1 * DPI);
  for (let l = 0; l < 20; l++) box(3 * DPI, (1.5 + l * 0.4) * DPI, 3 * DPI, 0.08 * DPI);
  return { width, height, dpi: DPI, data };
}
