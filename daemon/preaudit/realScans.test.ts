/**
 * The real NH AccuVote-style scans from VotingWorks' fixtures (../shared/corpus/nh-amherst-scans):
 * every target of election.json found on every scan, and the hand-read marks read exactly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeBallotImage, type GrayImage } from './image.ts';
import { interpretSheet, interpretSheetFiles, bottomRowCode } from './interpret.ts';
import { layoutsFromVxElection, type StyleLayout } from './layout.ts';
import { scoreTargets } from './targets.ts';
import { findTimingMarkGrid } from './findGrid.ts';
import type { TimingMarkGrid } from './timingMarks.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../../shared/corpus/nh-amherst-scans');
const election: unknown = JSON.parse(readFileSync(path.join(corpus, 'election.json'), 'utf8'));
const expected = JSON.parse(readFileSync(path.join(corpus, 'expected-scan-marked.json'), 'utf8')) as Record<
  'front' | 'back',
  Record<string, string[]>
>;
const layoutResult = layoutsFromVxElection(election);
if (!layoutResult.ok) throw new Error(layoutResult.error.message);
const layout: StyleLayout = layoutResult.value[0]!;
const scans = readdirSync(corpus)
  .filter((f) => f.endsWith('.jpeg'))
  .sort();

async function load(file: string): Promise<GrayImage> {
  const decoded = await decodeBallotImage(path.join(corpus, file));
  if (!decoded.ok) throw new Error(decoded.error.message);
  return decoded.value[0]!;
}

function sideOf(file: string): 'front' | 'back' {
  return file.includes('-back') ? 'back' : 'front';
}

describe('real NH scans: registration and target finding', () => {
  it('has the 18 scans and 2 blank templates of the corpus', () => {
    expect(scans.length).toBe(20);
    expect(scans.filter((f) => f.startsWith('template-')).length).toBe(2);
  });

  const codes = new Map<string, Set<string>>();
  for (const file of scans) {
    it(`finds every target of election.json on ${file}`, async () => {
      const img = await load(file);
      const grid = findTimingMarkGrid(img);
      expect(grid.ok, grid.ok ? '' : grid.error.message).toBe(true);
      if (!grid.ok) return;
      expect(grid.value.columns).toBe(34);
      expect(grid.value.rows).toBe(41); // letter AccuVote grid: 34 × 41 marks
      expect(grid.value.orientation).toBe(file.includes('uneven-crop') ? 'rotated180' : 'upright');
      const targets = layout.targets.filter((t) => t.side === sideOf(file));
      const scores = scoreTargets(img, grid.value, targets);
      const missing = scores.filter((s) => !s.found).map((s) => `(${s.column},${s.row})`);
      expect(missing).toEqual([]);
      // Registration is tight: each target is within a fifth of a grid pitch of its prediction.
      for (const s of scores) expect(Math.hypot(s.shift.x, s.shift.y)).toBeLessThan(grid.value.columnPitch * 0.2);
      const set = codes.get(sideOf(file)) ?? new Set<string>();
      set.add(bottomRowCode(grid.value));
      codes.set(sideOf(file), set);
    });
  }

  it('reads the same bottom-row code on every front and every back, different between sides', () => {
    expect(codes.get('front')?.size).toBe(1);
    expect(codes.get('back')?.size).toBe(1);
    expect([...codes.get('front')!][0]).not.toBe([...codes.get('back')!][0]);
  });

  it('does not "find" targets when the grid is wrong by one row (the check can fail)', async () => {
    const img = await load('scan-unmarked-front.jpeg');
    const grid = findTimingMarkGrid(img);
    if (!grid.ok) throw new Error(grid.error.message);
    const shifted: TimingMarkGrid = { ...grid.value, pointFor: (c, r) => grid.value.pointFor(c, r + 1) };
    const scores = scoreTargets(img, shifted, layout.targets.filter((t) => t.side === 'front'));
    expect(scores.filter((s) => !s.found).length).toBeGreaterThan(scores.length / 2);
  });
});

describe('real NH scans: marks', () => {
  it('reads the marks of expected-scan-marked.json exactly', async () => {
    const reading = interpretSheet([await load('scan-marked-front.jpeg'), await load('scan-marked-back.jpeg')], layout);
    expect(reading.ok, reading.ok ? '' : reading.error.message).toBe(true);
    if (!reading.ok) return;
    expect(reading.value.targetsNotFound).toBe(0);
    const want: Record<string, string[]> = { ...expected.front, ...expected.back };
    for (const contest of reading.value.contests) {
      expect([...contest.selected].sort(), contest.contestId).toEqual([...(want[contest.contestId] ?? [])].sort());
      expect(contest.marginal, contest.contestId).toEqual([]);
      expect(contest.overvote).toBe(false);
    }
    const byId = new Map(reading.value.contests.map((c) => [c.contestId, c]));
    // write-ins marked with handwritten names count as write-in votes
    expect(byId.get('Executive-Councilor-bb22557f')?.writeIns).toBe(1);
    // three seats, three marks: no undervote; one seat, no mark elsewhere: none in this sheet
    expect(byId.get('State-Representatives-Hillsborough-District-34-b1012d38')?.undervotes).toBe(0);
    // Sheriff: the same candidate printed twice; the left target is marked, counted once
    expect(byId.get('Sheriff-4243fe0b')?.selected).toEqual(['Edward-Randolph-bf4c848a']);
  });

  it('reads nothing on the unmarked scans and the blank templates (every contest an undervote)', async () => {
    for (const pair of [
      ['scan-unmarked-front.jpeg', 'scan-unmarked-back.jpeg'],
      ['template-front.jpeg', 'template-back.jpeg'],
    ] as const) {
      const reading = interpretSheet([await load(pair[0]), await load(pair[1])], layout);
      if (!reading.ok) throw new Error(reading.error.message);
      for (const c of reading.value.contests) {
        expect(c.selected, `${pair[0]} ${c.contestId}`).toEqual([]);
        expect(c.marginal).toEqual([]);
        expect(c.undervotes).toBe(c.contestId.startsWith('State-Representatives') ? 3 : 1);
      }
    }
  });

  it('flags the overvote on the overvote scan (Governor: two ovals filled)', async () => {
    const reading = interpretSheet(
      [await load('scan-marked-overvote-front.jpeg'), await load('scan-marked-overvote-back.jpeg')],
      layout,
    );
    if (!reading.ok) throw new Error(reading.error.message);
    const governor = reading.value.contests.find((c) => c.contestId === 'Governor-061a401b');
    expect(governor?.overvote).toBe(true);
    expect([...(governor?.selected ?? [])].sort()).toEqual(['Hannah-Dustin-ab4ef7c8', 'Josiah-Bartlett-1bb99985']);
    expect(governor?.undervotes).toBe(0);
    expect(reading.value.contests.filter((c) => c.overvote).length).toBe(1);
  });

  it('reads the same marks from a bitonal CCITT G4 multipage TIFF (front, back, annotation page)', async () => {
    const front = await load('scan-marked-front.jpeg');
    const back = await load('scan-marked-back.jpeg');
    const annotation = new Uint8Array(front.data.length).fill(255);
    annotation.fill(0, front.width * 300, front.width * 340); // a vendor banner, no timing marks
    const tiff = await sharp(Buffer.concat([front.data, back.data, annotation]), {
      raw: { width: front.width, height: front.height * 3, channels: 1, pageHeight: front.height },
    })
      .toColourspace('b-w')
      .tiff({ compression: 'ccittfax4', bitdepth: 1 })
      .toBuffer();
    expect(tiffCompression(tiff)).toBe(4); // CCITT Group 4
    const reading = await interpretSheetFiles([tiff], layout);
    if (!reading.ok) throw new Error(reading.error.message);
    expect(reading.value.pages.map((p) => p.image)).toEqual([0, 1]); // the annotation page is skipped
    const want: Record<string, string[]> = { ...expected.front, ...expected.back };
    for (const contest of reading.value.contests) {
      expect([...contest.selected].sort(), contest.contestId).toEqual([...(want[contest.contestId] ?? [])].sort());
    }
  });
});

/** Compression tag (259) of the first IFD of a little-endian TIFF. */
function tiffCompression(buf: Buffer): number | undefined {
  if (buf.toString('latin1', 0, 2) !== 'II') return undefined;
  const ifd = buf.readUInt32LE(4);
  const n = buf.readUInt16LE(ifd);
  for (let i = 0; i < n; i++) {
    const e = ifd + 2 + i * 12;
    if (buf.readUInt16LE(e) === 259) return buf.readUInt16LE(e + 8);
  }
  return undefined;
}
