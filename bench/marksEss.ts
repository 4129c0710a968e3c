/**
 * bench/marks, ES&S design (issue 21): ms per sheet for the pre-audit's read of the generator's
 * Electionware `<id>i.pdf` sheets (two bitonal CCITT G4 pages, 200 dpi, letter) — extraction,
 * dashed-border grid, style by the printed ovals, marks — against the extraction + decode of the
 * same pages alone (decodeBallotImage; bench/essPdf.ts compares that with a plain regex + libtiff
 * decode), in the same run, one sheet after another on this thread, the two timed in turn on each
 * sheet (a shared machine's load then weighs on both alike). BMD cards are left out.
 *
 *   npx tsx bench/marksEss.ts [--sheets 60]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { generateSampleElection } from '../scripts/sample-election/generate.ts';
import { decodeBallotImage } from '../daemon/preaudit/image.ts';
import { interpretSheetAnyStyle } from '../daemon/preaudit/interpret.ts';
import { readSampleLayouts } from '../test/preaudit/sampleElection.ts';

const arg = process.argv.indexOf('--sheets');
const sheets = arg > 0 ? Number(process.argv[arg + 1]) : 60;
sharp.concurrency(1);

function pdfsUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? pdfsUnder(path.join(dir, e.name)) : e.name.endsWith('i.pdf') ? [path.join(dir, e.name)] : []));
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-marks-ess-'));
try {
  const g = await generateSampleElection({ out: dir, seed: 2027, ballots: 16, precincts: 3, format: 'ess', essShape: 'electionware', essDpi: 200 });
  if (!g.ok) throw new Error(g.error.message);
  const layouts = readSampleLayouts(path.join(dir, 'truth'), { design: 'ess-dashed' });
  if (!layouts.ok) throw new Error(layouts.error.message);
  const styleLayouts = [...layouts.value.values()];
  // hand-marked sheets only: a BMD card is one narrow page
  const files: Buffer[] = [];
  for (const f of pdfsUnder(path.join(dir, 'ess', 'Images'))) {
    const bytes = readFileSync(f);
    const d = await decodeBallotImage(bytes);
    if (d.ok && d.value.length === 2) files.push(bytes);
  }
  const run = async (fn: (b: Buffer) => Promise<void>): Promise<number> => {
    const t = performance.now();
    for (let i = 0; i < sheets; i++) await fn(files[i % files.length]!);
    return (performance.now() - t) / sheets;
  };
  /** Both, in turn on each sheet: ms per sheet of each. */
  const inTurn = async (a: (b: Buffer) => Promise<void>, b: (b: Buffer) => Promise<void>): Promise<[number, number]> => {
    let ta = 0;
    let tb = 0;
    for (let i = 0; i < sheets; i++) {
      const f = files[i % files.length]!;
      const t0 = performance.now();
      await a(f);
      const t1 = performance.now();
      await b(f);
      ta += t1 - t0;
      tb += performance.now() - t1;
    }
    return [ta / sheets, tb / sheets];
  };
  const extract = async (b: Buffer) => {
    const d = await decodeBallotImage(b);
    if (!d.ok) throw new Error(d.error.message);
  };
  const read = async (b: Buffer) => {
    const d = await decodeBallotImage(b);
    if (!d.ok) throw new Error(d.error.message);
    const r = interpretSheetAnyStyle(d.value, styleLayouts, undefined, { essExport: true });
    if (!r.ok) throw new Error(r.error.message);
  };
  await run(extract); // pdfjs's one-time load and JIT warm-up
  await run(read);
  const [base, full] = await inTurn(extract, read);
  process.stdout.write(`ES&S design: ${files.length} generated sheets (2-page G4 PDF, 8.5×11 in, 200 dpi), cycled ${sheets} times\n`);
  process.stdout.write(`extraction + decode: ${base.toFixed(1)} ms/sheet; pre-audit read (extraction, grid, style, marks): ${full.toFixed(1)} ms/sheet; ratio ${(full / base).toFixed(2)}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
