/**
 * Sample-election generator benchmark (issue 5). Not a test: prints figures measured in one run.
 *
 *   npx tsx bench/generate.ts [--ballots 1500] [--dpi 200] [--design accuvote|imagecast] [--out bench/out/sample-election]
 *
 * With --design imagecast the sheets are Dominion's ImageCast design: 3-page modified-Huffman TIFF
 * (front, back, AuditMark), encoded in JavaScript (libvips cannot write compression 2).
 *
 * Generates a Dominion-style export (multipage G4 TIFF per sheet: front, back, annotation) and
 * prints sheets per second overall and in steady state (after the first batch, once the printed
 * sides and skew variants are cached), CPU ms per sheet, and the same-run baseline: the cost of
 * just G4-encoding two blank pages with sharp, the floor any generator pays per sheet.
 * Goal: >= 50 sheets/s at 200 dpi on 2 cores. The load average is printed: on a shared machine the
 * wall-clock figures drop with the load; CPU ms per sheet does not.
 */
import { loadavg, cpus } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { generateSampleElection } from '../scripts/sample-election/generate.ts';
import { encodeG4, pageSizePx } from '../scripts/sample-election/raster.ts';

const here = dirname(fileURLToPath(import.meta.url));
const { values } = parseArgs({ options: { ballots: { type: 'string', default: '1500' }, dpi: { type: 'string', default: '200' }, design: { type: 'string', default: 'accuvote' }, out: { type: 'string' } } });
const ballots = Number(values.ballots);
const dpi = Number(values.dpi) === 300 ? 300 : 200;
const out = values.out ?? resolve(here, 'out', 'sample-election');
const design = values.design === 'imagecast' ? 'imagecast' : 'accuvote';

async function baseline(n: number): Promise<number> {
  sharp.cache(false);
  const { width, height } = pageSizePx(dpi);
  const page = { width, height, dpi, data: Buffer.alloc(width * height, 255) };
  for (let i = 0; i < 120; i++) page.data.fill(0, i * 18 * width + 300, i * 18 * width + 1400);
  const t = performance.now();
  // two sides per sheet, as many in flight as the generator keeps
  for (let i = 0; i < n; i += 4) await Promise.all([0, 1, 2, 3].map(() => Promise.all([encodeG4(page), encodeG4(page)])));
  return n / ((performance.now() - t) / 1000);
}

const load0 = loadavg()[0] ?? 0;
const base = await baseline(200);
const cpu0 = process.cpuUsage();
const elu0 = performance.eventLoopUtilization();
const t0 = performance.now();
let firstBatchAt = 0;
let sheetsAtFirst = 0;
let sheetsDone = 0;
const r = await generateSampleElection({ out, seed: 2026, ballots, format: 'dominion', dominionDpi: dpi, dominionDesign: design, batchSize: 100 }, undefined, {
  onBatch: () => {
    if (firstBatchAt === 0) firstBatchAt = performance.now();
  },
});
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const elu = performance.eventLoopUtilization(elu0).utilization;
if (!r.ok) {
  process.stderr.write(`${r.error.message}\n`);
  process.exit(1);
}
sheetsDone = r.value.sheets;
sheetsAtFirst = Math.min(100, sheetsDone);
const steady = (sheetsDone - sheetsAtFirst) / ((performance.now() - firstBatchAt) / 1000);
const cpuMsPerSheet = (cpu.user + cpu.system) / 1000 / sheetsDone;
const rows: [string, string][] = [
  ['machine', `${cpus().length} cores, load average ${load0.toFixed(1)} at start, ${(loadavg()[0] ?? 0).toFixed(1)} at end`],
  ['ballots / sheets / images', `${ballots} / ${sheetsDone} / ${r.value.imageFiles} (${dpi} dpi, ${design === 'imagecast' ? 'ImageCast design, MH' : 'AccuVote design, G4'} multipage TIFF)`],
  ['total wall time', `${wall.toFixed(1)} s`],
  ['sheets/s overall', (sheetsDone / wall).toFixed(1)],
  ['sheets/s steady state', `${steady.toFixed(1)}   (goal >= 50)`],
  ['CPU ms per sheet', `${cpuMsPerSheet.toFixed(1)}   (2 idle cores could give ~${(2000 / cpuMsPerSheet).toFixed(0)} sheets/s if fully parallel)`],
  ['main-thread (event loop) utilization', `${(elu * 100).toFixed(0)} %   (near 100 % would mean JS on the main thread is the limit)`],
  ['baseline: sharp G4 of 2 blank sides', `${base.toFixed(1)} sheets/s`],
  ['ratio generator / baseline', (sheetsDone / wall / base).toFixed(2)],
  ['10,000-ballot county (~1.6 sheets each)', `${((10000 * (sheetsDone / ballots)) / steady / 60).toFixed(1)} min at the steady rate`],
];
const w = Math.max(...rows.map(([k]) => k.length));
process.stdout.write(`\nbench/generate — sample-election generator\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}\n`);
