/**
 * Reproduces the full accuracy runs' misreads of one mark kind in minutes instead of half an hour:
 * plans the run's election exactly as the generator does (seeded, per-sheet random streams), then
 * renders and reads only the sheets carrying that kind, and prints each such target read against
 * the voter's intent, with a PNG crop of it (8× enlarged) to look at.
 *
 *   npx tsx test/preaudit/markRepro.ts ess|imagecast <kind> [--streaked] [--limit sheets] [--out dir]
 *
 * `ess` is essAccuracy.test.ts's full election (seed 2121), `imagecast` imagecastAccuracy.test.ts's
 * (seed 1919). `--streaked`: only marks on a side the scanner streaked. Targets carrying a second
 * mark (a dot and an erasure) are left out: the accuracy test scores them by the deciding mark.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { makeElection } from '../../scripts/sample-election/election.ts';
import { essPrintDesign, essStyleLayout } from '../../scripts/sample-election/essDesign.ts';
import { essMarks, isBmdBallot } from '../../scripts/sample-election/essExport.ts';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { AnnotationWriter } from '../../scripts/sample-election/annotation.ts';
import { imagecastMarkGeometry, imagecastPrintDesign, imagecastTiff } from '../../scripts/sample-election/imagecast/design.ts';
import { layoutImagecastStyle } from '../../scripts/sample-election/imagecast/layout.ts';
import { layoutStyle, type StyleLayout } from '../../scripts/sample-election/layout.ts';
import { type TruthMark, voteSheet } from '../../scripts/sample-election/marks.ts';
import { planSheets, SampleOptionsSchema, type SampleOptionsInput } from '../../scripts/sample-election/plan.ts';
import { Rng } from '../../scripts/sample-election/prng.ts';
import { SheetRenderer } from '../../scripts/sample-election/render.ts';
import { decodeBallotImage, type DecodedPage } from '../../daemon/preaudit/image.ts';
import { interpretSheetAnyStyle } from '../../daemon/preaudit/interpret.ts';
import { readSampleLayouts } from './sampleElection.ts';

const RUNS = {
  ess: { seed: 2121, ballots: 1500, precincts: 6, format: 'ess', essShape: 'electionware', essDpi: 200, batchSize: 100, discrepancies: { flip: 2, drop: 1, dup: 1, totals: 1 } },
  imagecast: { seed: 1919, ballots: 1350, precincts: 6, format: 'dominion', dominionDesign: 'imagecast', batchSize: 100, discrepancies: { flip: 3, drop: 1, dup: 1, totals: 1 } },
} as const;

const targetOf = (m: TruthMark) => `${m.contestId}/${m.writeInIndex !== null ? `write-in-${m.writeInIndex}` : m.optionId}`;

async function crop(page: DecodedPage, x: number, y: number, file: string): Promise<void> {
  const w = 60;
  const h = 44;
  const out = Buffer.alloc(w * h, 255);
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const px = x - w / 2 + i;
      const py = y - h / 2 + j;
      if (px >= 0 && py >= 0 && px < page.width && py < page.height) out[j * w + i] = page.data[py * page.width + px]!;
    }
  }
  await sharp(out, { raw: { width: w, height: h, channels: 1 } }).resize(w * 8, h * 8, { kernel: 'nearest' }).png().toFile(file);
}

export async function reproduce(run: keyof typeof RUNS, kind: string, options: { streaked: boolean; out: string; limit?: number }): Promise<number> {
  const input: SampleOptionsInput = { ...RUNS[run], out: path.join(options.out, 'truth-only') };
  const g = await generateSampleElection({ ...input, images: false });
  if (!g.ok) throw new Error(g.error.message);
  const opts = SampleOptionsSchema.parse(input);
  const election = makeElection({ seed: opts.seed, precincts: opts.precincts, primary: opts.primary });
  const imagecast = run === 'imagecast';
  const icLayouts = new Map(imagecast ? election.styles.map((s) => [s.id, layoutImagecastStyle(election, s)] as const) : []);
  const layouts = new Map<string, StyleLayout>(imagecast ? icLayouts : election.styles.map((s) => [s.id, layoutStyle(election, s)]));
  const variants = Math.max(1, Math.min(opts.skewVariants, Math.ceil(opts.ballots / 25)));
  const essLayouts = new Map<string, StyleLayout>(imagecast ? [] : election.styles.map((s) => [s.id, essStyleLayout(election, s, layouts.get(s.id)!)]));
  const renderer = imagecast
    ? new SheetRenderer(election, layouts, opts.seed, variants, undefined, imagecastPrintDesign(icLayouts))
    : new SheetRenderer(election, essLayouts, opts.seed, variants, undefined, essPrintDesign(essLayouts));
  const audit = imagecast ? await AnnotationWriter.create(opts.dominionDpi) : null;
  const read = readSampleLayouts(path.join(input.out, 'truth'), imagecast ? {} : { design: 'ess-dashed' });
  if (!read.ok) throw new Error(read.error.message);
  const readerLayouts = [...read.value.values()];
  const dpi = imagecast ? opts.dominionDpi : opts.essDpi;
  let sheets = 0;
  let wrong = 0;
  for (const batch of planSheets(election, layouts, opts)) {
    for (const sheet of batch.sheets) {
      const style = layouts.get(sheet.styleId)!;
      if (!imagecast && isBmdBallot(opts.seed, sheet.ballotId, style.cards.length)) continue;
      const card = style.cards.find((c) => c.card === sheet.card)!;
      const voted = voteSheet(election, card, Rng.derive(opts.seed, 'vote', sheet.sheetId), imagecast ? imagecastMarkGeometry(icLayouts.get(sheet.styleId)!) : undefined);
      const marks = imagecast ? voted.marks : essMarks(voted.marks);
      const scanKey = `${imagecast ? 'dominion' : 'ess'}/${sheet.sheetId}`;
      // the scanner's streak is drawn from the side's scan stream, as SheetRenderer.scanSide draws it
      const streaked = (side: string) => {
        const rng = Rng.derive(opts.seed, 'scan', scanKey, side, dpi);
        const shift = Math.round((12 * dpi) / 200);
        rng.int(0, variants - 1);
        rng.int(-shift, shift);
        rng.int(-shift, shift);
        return rng.chance(0.08);
      };
      const count = new Map<string, number>();
      for (const m of marks) if (m.contestId !== null && m.kind !== 'write-in-scribble') count.set(targetOf(m), (count.get(targetOf(m)) ?? 0) + 1);
      const wanted = marks.filter((m) => m.kind === kind && m.contestId !== null && count.get(targetOf(m)) === 1 && (!options.streaked || streaked(m.side)));
      if (wanted.length === 0) continue;
      if (sheets >= (options.limit ?? Infinity)) break;
      sheets++;
      const inkKey = sheet.duplicateOf ?? sheet.sheetId;
      const file = path.join(options.out, `${sheet.sheetId}.${imagecast ? 'tif' : 'pdf'}`);
      if (audit !== null) writeFileSync(file, (await imagecastTiff(renderer, audit, opts.seed, sheet, dpi, marks, scanKey, inkKey, ['repro'])).tiff);
      else writeFileSync(file, (await renderer.essPdf(sheet.styleId, sheet.card, dpi, marks, scanKey, inkKey)).pdf);
      const pages = await decodeBallotImage(file);
      if (!pages.ok) throw new Error(pages.error.message);
      const reading = interpretSheetAnyStyle(pages.value, readerLayouts);
      if (!reading.ok) {
        process.stdout.write(`${sheet.sheetId}: not read (${reading.error.message})\n`);
        wrong++;
        continue;
      }
      for (const m of wanted) {
        const want = m.intended ? 'marked' : 'unmarked';
        for (const p of reading.value.pages) {
          for (const t of p.targets) {
            if (`${t.contestId}/${t.optionId}` !== targetOf(m) || t.mark === want) continue;
            wrong++;
            const png = path.join(options.out, `${sheet.sheetId}-${t.contestId}-${t.optionId}.png`);
            await crop(pages.value[p.image]!, t.score.center.x, t.score.center.y, png);
            process.stdout.write(`${sheet.sheetId} ${targetOf(m)}${m.ambiguous ? ' (ambiguous)' : ''}: read ${t.mark}, pen ink ${t.score.solid.toFixed(3)}, centre ${t.score.centre.toFixed(3)}; ${png}\n`);
          }
        }
      }
    }
  }
  process.stdout.write(`${sheets} sheets with a ${kind} read; ${wrong} read against intent\n`);
  return wrong;
}

// Script entry
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname)) {
  const [run, kind, ...rest] = process.argv.slice(2);
  if ((run !== 'ess' && run !== 'imagecast') || kind === undefined) {
    process.stderr.write('usage: npx tsx test/preaudit/markRepro.ts ess|imagecast <kind> [--streaked] [--limit sheets] [--out dir]\n');
    process.exit(2);
  }
  const at = rest.indexOf('--out');
  const out = at >= 0 && rest[at + 1] !== undefined ? rest[at + 1]! : path.join(os.tmpdir(), `mark-repro-${run}-${kind}`);
  mkdirSync(out, { recursive: true });
  const limit = rest.indexOf('--limit');
  const wrong = await reproduce(run, kind, { streaked: rest.includes('--streaked'), out, ...(limit >= 0 ? { limit: Number(rest[limit + 1]) } : {}) });
  process.exit(wrong === 0 ? 0 : 1);
}
