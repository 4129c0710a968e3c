/**
 * bench/marks, Dominion ImageCast design (issue 19): ms per sheet for the pre-audit's read of the
 * generator's ImageCast-design sheets (one 3-page modified-Huffman TIFF each: front, back,
 * AuditMark) against a plain sharp decode of the same TIFF's two ballot pages, in the same run.
 * Goal: ratio ≤ 1.3. The sheets come from a small generated election (three styles, 11/14/17 in).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { generateSampleElection } from '../scripts/sample-election/generate.ts';
import { decodeBallotImage, ReusedPixels } from '../daemon/preaudit/image.ts';
import { interpretSheetAnyStyle } from '../daemon/preaudit/interpret.ts';
import { readSampleLayouts } from '../test/preaudit/sampleElection.ts';

interface Timing {
  wall: number;
  cpu: number;
}
type TimeFn = (label: string, n: number, fn: () => Promise<number>) => Promise<Timing>;

export async function measureDominionDesign(sheets: number, time: TimeFn, rounds = 3): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-marks-imagecast-'));
  try {
    const r = await generateSampleElection({ out: dir, seed: 2026, ballots: 12, precincts: 3, format: 'dominion', dominionDesign: 'imagecast' });
    if (!r.ok) throw new Error(r.error.message);
    const index = JSON.parse(readFileSync(path.join(dir, 'truth', 'index.json'), 'utf8')) as { images: { paths: string[] }[] };
    const files = index.images.map((i) => readFileSync(path.join(dir, i.paths[0] ?? '')));
    const layouts = readSampleLayouts(path.join(dir, 'truth'));
    if (!layouts.ok) throw new Error(layouts.error.message);
    const styleLayouts = [...layouts.value.values()];
    let k = 0;
    const next = (): Buffer => files[k++ % files.length] as Buffer;
    const plain = async (): Promise<number> => {
      const buf = next();
      let n = 0;
      for (const page of [0, 1]) n += (await sharp(buf, { page }).extractChannel(0).raw().toBuffer()).length;
      return n;
    };
    const pixels = new ReusedPixels();
    const read = async (): Promise<number> => {
      const decoded = await decodeBallotImage(next(), { reusePixels: pixels, ballotSidesOnly: true });
      if (!decoded.ok) throw new Error(decoded.error.message);
      const reading = interpretSheetAnyStyle(decoded.value, styleLayouts);
      if (!reading.ok) throw new Error(reading.error.message);
      return reading.value.contests.length;
    };
    process.stdout.write(`\nDominion ImageCast design: ${files.length} generated sheets (3-page MH TIFF, 8.5×11/14/17 in, 200 dpi), cycled\n`);
    try {
      await read();
    } catch (e) {
      process.stdout.write(`pre-audit read of this design: not possible yet (${e instanceof Error ? e.message : String(e)})\n`);
      return;
    }
    // Rounds interleave the plain decode and the read (CPU frequency and other load drift alike);
    // each round gives both figures, and the medians over the rounds are reported.
    const per = Math.max(1, Math.round(sheets / rounds));
    const bases: Timing[] = [];
    const fulls: Timing[] = [];
    for (let round = 0; round < rounds; round++) {
      bases.push(await time('plain decode, 2 ballot pages of the TIFF', per, plain));
      fulls.push(await time('pre-audit read (decode + marks)', per, read));
    }
    const mid = (xs: number[]): number => {
      const s = [...xs].sort((a, b) => a - b);
      const m = s.length >> 1;
      return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
    };
    const fullCpu = mid(fulls.map((t) => t.cpu));
    const baseCpu = mid(bases.map((t) => t.cpu));
    const ratioCpu = mid(fulls.map((t, i) => t.cpu / bases[i]!.cpu));
    const ratioWall = mid(fulls.map((t, i) => t.wall / bases[i]!.wall));
    process.stdout.write(`Dominion design per sheet (cpu, median of ${rounds} rounds): ${fullCpu.toFixed(2)} ms   wall ${mid(fulls.map((t) => t.wall)).toFixed(2)} ms; plain decode ${baseCpu.toFixed(2)} ms\n`);
    process.stdout.write(`ratio to a plain decode of the same TIFF pages (median of ${rounds} rounds): cpu ${ratioCpu.toFixed(2)}   wall ${ratioWall.toFixed(2)}   (goal ≤ 1.3)\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
