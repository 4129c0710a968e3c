/**
 * The generator's Dominion ImageCast design: files as ImageCast Central writes them (3-page
 * modified-Huffman TIFF per sheet, CVR zip shaped like the real export), and the printed design
 * where the layout says it is, read back from the pixels of the scans (timing bars and corner
 * blocks, side squares, the bottom-row ballot code, dropout ovals that survive only as a broken
 * trace, black blobs where the voter filled them).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import JSZip from 'jszip';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDominionCvrExport } from '../../../daemon/importer/dominion.ts';
import { imageKeyFromFileName } from '../../../daemon/importer/imageKeys.ts';
import type { NormalizedCvr } from '../../../daemon/importer/model.ts';
import { generateSampleElection, type GenerateSummary } from '../generate.ts';
import { project, type ScanTransform } from '../raster.ts';
import { decodeImagecastCode, encodeImagecastCode, IMAGECAST, imagecastGrid, gridX, gridY } from './geometry.ts';

const here = dirname(fileURLToPath(import.meta.url));
const realExport = resolve(here, '../../../../shared/corpus/dominion-imagecast-demo/Results/CVR_Export_20240412114626.zip');

let out = '';
let summary: GenerateSummary;

interface Target { side: 'front' | 'back'; column: number; row: number; type: string }
interface LayoutFile {
  styleId: string;
  styleNumber: number;
  paperLengthIn: 11 | 14 | 17;
  cards: { card: number; front: { codeBits: number[]; targets: Target[] }; back: { codeBits: number[]; targets: Target[] } }[];
}
interface Mark { kind: string; side: 'front' | 'back'; column: number | null; row: number | null; intended: boolean; ambiguous: boolean }
interface ImageFacts { vendor: string; paths: string[]; encoding: string; dpi: number; scan: { front: ScanTransform; back: ScanTransform; upsideDown: boolean } }
interface SheetFacts { sheetId: string; card: number; marks: Mark[]; images: ImageFacts[] }
interface BallotFacts { styleId: string; sheets: SheetFacts[] }

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'imagecast-sample-'));
  const r = await generateSampleElection({ out, seed: 7, ballots: 9, precincts: 3, format: 'dominion', dominionDesign: 'imagecast', discrepancies: { flip: 1, drop: 1, dup: 1, totals: 0 } });
  if (!r.ok) throw new Error(r.error.message);
  summary = r.value;
}, 180_000);
afterAll(() => rm(out, { recursive: true, force: true }));

async function ballots(): Promise<BallotFacts[]> {
  const dir = join(out, 'truth', 'ballots');
  return Promise.all((await readdir(dir)).sort().map(async (f) => JSON.parse(await readFile(join(dir, f), 'utf8')) as BallotFacts));
}
async function layout(styleId: string): Promise<LayoutFile> {
  return JSON.parse(await readFile(join(out, 'truth', 'layouts', `${styleId}.json`), 'utf8')) as LayoutFile;
}
async function page(file: string, index: number): Promise<{ width: number; height: number; data: Buffer }> {
  const { data, info } = await sharp(file, { page: index }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data };
}

/** Share of black pixels in a page-inch box, through the scan transform (and a 180-degree turn when fed upside down). */
function blackShare(img: { width: number; height: number; data: Buffer }, t: ScanTransform, upsideDown: boolean, x0: number, y0: number, x1: number, y1: number, inside?: (x: number, y: number) => boolean): number {
  const toPx = project(t, 200, img.width, img.height);
  let n = 0;
  let black = 0;
  for (let y = y0; y <= y1; y += 0.005) {
    for (let x = x0; x <= x1; x += 0.005) {
      if (inside !== undefined && !inside(x, y)) continue;
      let [u, v] = toPx(x, y);
      if (upsideDown) [u, v] = [img.width - 1 - u, img.height - 1 - v];
      const px = img.data[Math.round(v) * img.width + Math.round(u)];
      n++;
      if (px !== undefined && px < 128) black++;
    }
  }
  return n === 0 ? 0 : black / n;
}

describe('ImageCast ballot code', () => {
  it('round-trips every style, card and side, and rejects a code with one bit wrong', () => {
    for (const styleNumber of [1, 2, 77, 255]) {
      for (const card of [1, 2, 7]) {
        for (const side of ['front', 'back'] as const) {
          const bits = encodeImagecastCode(styleNumber, card, side);
          expect(bits).toHaveLength(IMAGECAST.code.bits);
          expect(decodeImagecastCode(bits)).toEqual({ styleNumber, card, side });
          for (let i = 0; i < bits.length; i++) expect(decodeImagecastCode(bits.map((b, k) => (k === i ? 1 - b : b)))).toBeNull();
        }
      }
    }
  });
});

describe('sample election in the Dominion ImageCast design', () => {
  it('is byte-identical for the same seed', async () => {
    const digests = async (dir: string): Promise<Map<string, string>> => {
      const m = new Map<string, string>();
      const walk = async (d: string): Promise<void> => {
        for (const e of await readdir(d, { withFileTypes: true })) {
          const p = join(d, e.name);
          if (e.isDirectory()) await walk(p);
          else m.set(relative(dir, p), createHash('sha256').update(await readFile(p)).digest('hex'));
        }
      };
      await walk(dir);
      return m;
    };
    const runs: Map<string, string>[] = [];
    for (const name of ['again-1', 'again-2']) {
      const r = await generateSampleElection({ out: join(out, name), seed: 3, ballots: 3, precincts: 2, format: 'dominion', dominionDesign: 'imagecast', discrepancies: { flip: 1, drop: 0, dup: 0, totals: 0 } });
      expect(r.ok).toBe(true);
      runs.push(await digests(join(out, name)));
    }
    expect(runs[0]?.size).toBeGreaterThan(10);
    expect([...(runs[0] ?? [])].sort()).toEqual([...(runs[1] ?? [])].sort());
  }, 120_000);

  it('is asked for with a Dominion export only', async () => {
    const r = await generateSampleElection({ out: join(out, 'never'), seed: 1, ballots: 2, format: 'both', dominionDesign: 'imagecast' });
    expect(!r.ok && r.error.message).toMatch(/ImageCast design is drawn for a Dominion export only/);
  });

  it('puts every target on its own grid intersection, inside the timing marks and above the code row', async () => {
    for (const f of await readdir(join(out, 'truth', 'layouts'))) {
      const l = JSON.parse(await readFile(join(out, 'truth', 'layouts', f), 'utf8')) as LayoutFile;
      const grid = imagecastGrid(l.paperLengthIn);
      for (const c of l.cards) {
        for (const side of ['front', 'back'] as const) {
          const at = c[side].targets.map((t) => `${t.column},${t.row}`);
          expect(new Set(at).size).toBe(at.length);
          for (const t of c[side].targets) {
            expect(t.column).toBeGreaterThanOrEqual(0);
            expect(t.column).toBeLessThan(grid.columns);
            expect(t.row).toBeGreaterThanOrEqual(0);
            expect(gridY(grid, t.row) + IMAGECAST.oval.heightIn).toBeLessThan(grid.code.rowTopIn);
          }
        }
      }
    }
  });

  it('writes one 3-page CCITT modified-Huffman TIFF per sheet, named and filed as ImageCast Central does', async () => {
    const all = await ballots();
    const images = all.flatMap((b) => b.sheets.flatMap((s) => s.images));
    expect(images.length).toBe(summary.sheets);
    for (const img of images) {
      expect(img.encoding).toBe('tiff-mh-multipage');
      expect(img.paths).toHaveLength(1);
      expect(img.paths[0]).toMatch(/^dominion\/Results\/Tabulator\d{5}\/Batch\d{3}\/Images\/\d{5}_\d{5}_\d{6}\.tif$/);
      const [, tab, batch] = /Tabulator(\d{5})\/Batch(\d{3})/.exec(img.paths[0] ?? '') ?? [];
      expect(img.paths[0]).toContain(`/${tab}_00${batch}_`);
    }
    // a sheet fed upside down is among them (seed chosen for it; about 3 % of sheets are)
    expect(images.filter((i) => i.scan.upsideDown).length).toBeGreaterThan(0);
    const first = join(out, images[0]?.paths[0] ?? '');
    const info = execFileSync('tiffinfo', [first], { encoding: 'utf8' });
    expect(info.match(/Compression Scheme: CCITT RLE$/gm)?.length).toBe(3);
    expect(info.match(/Bits\/Sample: 1$/gm)?.length).toBe(3);
  });

  it('prints 8.5 x 11, 14 and 17 in pages at 200 dpi, the AuditMark page a short third one', async () => {
    const lengths = new Set<number>();
    for (const b of await ballots()) {
      const l = await layout(b.styleId);
      lengths.add(l.paperLengthIn);
      const file = join(out, b.sheets[0]?.images[0]?.paths[0] ?? '');
      const meta = await sharp(file).metadata();
      expect(meta.pages).toBe(3);
      for (const p of [0, 1]) {
        const m = await sharp(file, { page: p }).metadata();
        expect([m.width, m.height]).toEqual([1700, l.paperLengthIn * 200]);
      }
      const audit = await page(file, 2);
      expect(audit.width).toBe(1700);
      expect(audit.height).toBeLessThan(1700);
      expect(audit.data.some((v) => v < 128)).toBe(true);
    }
    expect([...lengths].sort()).toEqual([11, 14, 17]);
  });

  it('draws timing bars, corner blocks, side squares and the ballot code where the design puts them', async () => {
    let checked = 0;
    for (const b of await ballots()) {
      const l = await layout(b.styleId);
      const grid = imagecastGrid(l.paperLengthIn);
      for (const s of b.sheets) {
        const img = s.images[0];
        if (img === undefined) continue;
        const card = l.cards.find((c) => c.card === s.card);
        for (const [index, side] of [[0, 'front'], [1, 'back']] as const) {
          const px = await page(join(out, img.paths[0] ?? ''), index);
          const share = (x0: number, y0: number, x1: number, y1: number): number => blackShare(px, img.scan[side], img.scan.upsideDown, x0, y0, x1, y1);
          const I = IMAGECAST;
          const top = I.barTopIn + I.barHeightIn / 2;
          const bottom = l.paperLengthIn - I.bottomMarginIn - I.barHeightIn / 2;
          // solid: two corner blocks on top, one bottom left; none bottom right
          expect(share(I.cornerBlock.leftXIn + 0.1, top - 0.1, I.cornerBlock.leftXIn + 0.4, top + 0.1)).toBeGreaterThan(0.9);
          expect(share(I.cornerBlock.rightXIn + 0.1, top - 0.1, I.cornerBlock.rightXIn + 0.45, top + 0.1)).toBeGreaterThan(0.9);
          expect(share(I.cornerBlock.leftXIn + 0.1, bottom - 0.1, I.cornerBlock.leftXIn + 0.4, bottom + 0.1)).toBeGreaterThan(0.9);
          expect(share(I.cornerBlock.rightXIn + 0.2, bottom - 0.1, I.cornerBlock.rightXIn + 0.45, bottom + 0.1)).toBeLessThan(0.1);
          for (let k = 0; k < I.topBars; k++) {
            const x = gridX(grid, k + IMAGECAST.extraColumnsLeft);
            expect(share(x - 0.02, top - 0.1, x + 0.02, top + 0.1), `top bar ${k}`).toBeGreaterThan(0.85);
            expect(share(x + 0.1, top - 0.1, x + 0.2, top + 0.1), `gap after bar ${k}`).toBeLessThan(0.15);
          }
          for (let r = 0; r < grid.rows; r++) {
            const y = gridY(grid, r);
            for (const x of [I.square.leftXIn + I.square.sizeIn / 2, I.square.rightXIn + I.square.sizeIn / 2]) {
              expect(share(x - 0.03, y - 0.03, x + 0.03, y + 0.03), `square row ${r}`).toBeGreaterThan(0.85);
              expect(share(x - 0.03, y + 0.1, x + 0.03, y + 0.15), `gap below square ${r}`).toBeLessThan(0.15);
            }
          }
          // the code, read from the short bars above the bottom timing row
          const codeY = l.paperLengthIn - I.code.topFromBottomIn + I.code.shortHeightIn / 2;
          const bits = Array.from({ length: I.code.bits }, (_, i) => (share(I.firstBarXIn + i * I.pitchXIn + 0.03, codeY - 0.04, I.firstBarXIn + i * I.pitchXIn + 0.07, codeY + 0.04) > 0.5 ? 1 : 0));
          expect(decodeImagecastCode(bits)).toEqual({ styleNumber: l.styleNumber, card: s.card, side });
          expect(bits).toEqual(card?.[side].codeBits);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThanOrEqual(20);
  }, 60_000);

  it('prints ovals in dropout ink (a broken trace) and scans filled ones as black blobs', async () => {
    const faint: number[] = [];
    const filled: number[] = [];
    for (const b of await ballots()) {
      const l = await layout(b.styleId);
      const grid = imagecastGrid(l.paperLengthIn);
      const ov = IMAGECAST.oval;
      for (const s of b.sheets) {
        const img = s.images[0];
        const card = l.cards.find((c) => c.card === s.card);
        if (img === undefined || card === undefined) continue;
        for (const [index, side] of [[0, 'front'], [1, 'back']] as const) {
          const px = await page(join(out, img.paths[0] ?? ''), index);
          for (const t of card[side].targets) {
            const cx = gridX(grid, t.column);
            const cy = gridY(grid, t.row);
            const marks = s.marks.filter((m) => m.side === side && m.column === t.column && m.row === t.row);
            const e = (x: number, y: number): number => ((x - cx) / (ov.widthIn / 2)) ** 2 + ((y - cy) / (ov.heightIn / 2)) ** 2;
            if (marks.length === 0) {
              // the outline ring only: some of it survives, much of it is gone, the inside is white
              faint.push(blackShare(px, img.scan[side], img.scan.upsideDown, cx - 0.1, cy - 0.07, cx + 0.1, cy + 0.07, (x, y) => e(x, y) > 0.8 && e(x, y) < 1.2));
              expect(blackShare(px, img.scan[side], img.scan.upsideDown, cx - 0.05, cy - 0.03, cx + 0.05, cy + 0.03, (x, y) => e(x, y) < 0.4)).toBeLessThan(0.2);
            } else if (marks.some((m) => m.kind === 'full')) {
              filled.push(blackShare(px, img.scan[side], img.scan.upsideDown, cx - 0.1, cy - 0.07, cx + 0.1, cy + 0.07, (x, y) => e(x, y) < 0.6));
            }
          }
        }
      }
    }
    expect(faint.length).toBeGreaterThan(100);
    expect(filled.length).toBeGreaterThan(20);
    const mean = faint.reduce((a, v) => a + v, 0) / faint.length;
    expect(mean).toBeGreaterThan(0.1);
    expect(mean).toBeLessThan(0.6);
    expect(Math.min(...filled)).toBeGreaterThan(0.85);
  }, 60_000);

  it('writes the CVR as one CVR_Export zip with the entries of a real ImageCast export, read by the importer', async () => {
    const files = (await readdir(join(out, 'dominion', 'Results'))).filter((f) => f.endsWith('.zip'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^CVR_Export_\d{14}\.zip$/);
    const ours = await JSZip.loadAsync(await readFile(join(out, 'dominion', 'Results', files[0] ?? '')));
    const real = await JSZip.loadAsync(await readFile(realExport));
    expect(Object.keys(ours.files).sort()).toEqual(Object.keys(real.files).sort());
    const records: NormalizedCvr[] = [];
    const parsed = await parseDominionCvrExport(await ours.files['CvrExport.json']!.async('uint8array'), 'CvrExport.json', { record: (r) => records.push(r) });
    expect(parsed.ok).toBe(true);
    // one record per sheet scanned, less the dropped one (the rescan is in)
    expect(records).toHaveLength(summary.sheets - 1);
    const images = new Set((await ballots()).flatMap((b) => b.sheets.flatMap((s) => s.images.map((i) => imageKeyFromFileName(i.paths[0] ?? '')))));
    for (const r of records) expect(images.has(r.imageKey)).toBe(true);
    // no loose per-batch files: ImageCast exports the zip only
    expect((await readdir(join(out, 'dominion'))).filter((f) => f.endsWith('.json'))).toEqual([]);
    expect(relative(out, join(out, 'dominion', 'Results'))).toBe('dominion/Results');
  });
});
