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

export async function measureDominionDesign(sheets: number, time: TimeFn): Promise<void> {
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
    const base = await time('plain decode, 2 ballot pages of the TIFF', sheets, plain);
    try {
      await read();
    } catch (e) {
      process.stdout.write(`pre-audit read of this design: not possible yet (${e instanceof Error ? e.message : String(e)})\n`);
      return;
    }
    const full = await time('pre-audit read (decode + marks)', sheets, read);
    process.stdout.write(`Dominion design per sheet (cpu): ${full.cpu.toFixed(2)} ms   wall ${full.wall.toFixed(2)} ms; plain decode ${base.cpu.toFixed(2)} ms\n`);
    process.stdout.write(`ratio to plain decode of the same TIFF pages: cpu ${(full.cpu / base.cpu).toFixed(2)}   wall ${(full.wall / base.wall).toFixed(2)}   (goal ≤ 1.3)\n`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
