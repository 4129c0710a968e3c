/**
 * A reading does not change when the same paper is scanned upside down or at another resolution:
 * the real NH scans (../shared/corpus/nh-amherst-scans) against copies made here with sharp,
 * turned 180° and rescaled from 300 to 200 dpi. Every target's class and every contest reading
 * must be identical to the original's, and the originals still read exactly (realScans.test.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeBallotImage, type GrayImage } from './image.ts';
import { interpretSheet, type SheetReading } from './interpret.ts';
import { layoutsFromVxElection } from './layout.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../../shared/corpus/nh-amherst-scans');
const layouts = layoutsFromVxElection(JSON.parse(readFileSync(path.join(corpus, 'election.json'), 'utf8')));
if (!layouts.ok) throw new Error(layouts.error.message);
const layout = layouts.value[0]!;
const expected = JSON.parse(readFileSync(path.join(corpus, 'expected-scan-marked.json'), 'utf8')) as Record<'front' | 'back', Record<string, string[]>>;

type Copy = 'original' | 'turned' | '200dpi';

async function page(file: string, copy: Copy): Promise<GrayImage> {
  const source = readFileSync(path.join(corpus, file));
  let input: Buffer = source;
  if (copy === 'turned') input = await sharp(source).rotate(180).jpeg({ quality: 92 }).toBuffer();
  if (copy === '200dpi') {
    const { width, density } = await sharp(source).metadata();
    expect(density).toBe(300);
    input = await sharp(source).resize({ width: Math.round(((width ?? 0) * 200) / 300), kernel: 'lanczos3' }).withMetadata({ density: 200 }).jpeg({ quality: 92 }).toBuffer();
  }
  const decoded = await decodeBallotImage(input);
  if (!decoded.ok) throw new Error(decoded.error.message);
  return decoded.value[0]!;
}

const readings = new Map<string, Promise<SheetReading>>();
function read(base: string, copy: Copy): Promise<SheetReading> {
  const key = `${base} ${copy}`;
  let r = readings.get(key);
  if (r === undefined) readings.set(key, (r = readAnew(base, copy)));
  return r;
}

async function readAnew(base: string, copy: Copy): Promise<SheetReading> {
  const reading = interpretSheet([await page(`${base}-front.jpeg`, copy), await page(`${base}-back.jpeg`, copy)], layout);
  if (!reading.ok) throw new Error(`${base} ${copy}: ${reading.error.message}`);
  return reading.value;
}

/** What a reading says: every target's class and every contest's result. */
function said(r: SheetReading) {
  return {
    targets: r.pages.flatMap((p) => p.targets.map((t) => `${t.side} ${t.contestId}/${t.optionId}: ${t.mark}`)).sort(),
    contests: r.contests.map((c) => ({ ...c, selected: [...c.selected].sort(), marginal: [...c.marginal].sort() })),
  };
}

describe('real NH scans turned 180° and rescaled 300 → 200 dpi read the same', () => {
  // scan-marked is a 200 dpi scan (turned only); the others are 300 dpi; uneven-crop was scanned upside down.
  const cases: [string, Copy[]][] = [
    ['scan-marked', ['turned']],
    ['scan-marked-overvote', ['turned', '200dpi']],
    ['scan-marked-uneven-crop', ['200dpi']],
  ];
  for (const [base, copies] of cases) {
    it(`${base}: ${copies.join(' and ')} copies read as the original`, async () => {
      const original = await read(base, 'original');
      expect(original.targetsNotFound).toBe(0);
      for (const copy of copies) {
        const other = await read(base, copy);
        expect(other.targetsNotFound, copy).toBe(0);
        if (copy === 'turned') expect(other.pages.map((p) => p.orientation)).not.toEqual(original.pages.map((p) => p.orientation));
        expect(said(other), `${base} ${copy}`).toEqual(said(original));
      }
    });
  }

  it('the turned copy of the hand-read scan is still exact', async () => {
    const turned = await read('scan-marked', 'turned');
    const want: Record<string, string[]> = { ...expected.front, ...expected.back };
    for (const c of turned.contests) {
      expect([...c.selected].sort(), c.contestId).toEqual([...(want[c.contestId] ?? [])].sort());
      expect(c.marginal, c.contestId).toEqual([]);
    }
  });

  it('the comparison can fail: a copy with one oval inked over reads differently', async () => {
    const original = await read('scan-marked', 'original');
    const blankTarget = original.pages[0]!.targets.find((t) => t.mark === 'unmarked')!;
    const img = await page('scan-marked-front.jpeg', 'turned');
    // ink the same oval on the turned copy: its centre is mirrored through the page centre
    const x = img.width - 1 - Math.round(blankTarget.score.center.x);
    const y = img.height - 1 - Math.round(blankTarget.score.center.y);
    for (let dy = -8; dy <= 8; dy++) for (let dx = -12; dx <= 12; dx++) img.data[(y + dy) * img.width + x + dx] = 20;
    const inked = interpretSheet([img, await page('scan-marked-back.jpeg', 'turned')], layout);
    if (!inked.ok) throw new Error(inked.error.message);
    expect(said(inked.value)).not.toEqual(said(original));
  });
});
