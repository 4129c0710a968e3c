/**
 * Pre-audit throughput: ms per two-sided 200 dpi sheet (decode + registration + target scores +
 * thresholds + contest rules), against a plain sharp decode of the same images measured in the
 * same run. One core: sharp's own thread pool is limited to 1 and sheets run one after another.
 *
 * What the read does: decodeBallotImage as the worker calls it (sharp's header check, then every
 * page decoded at full resolution to 8-bit grey: grey JPEGs by libjpeg-turbo's own binding, the
 * rest by sharp; no downscaling, no shrink-on-load), then interpretSheet on both sides.
 *
 * Baseline for the ratio (issue 7's): a plain full sharp decode of the same JPEGs to their own
 * single grey channel (`sharp(buf).toColourspace('b-w').raw()`), the least sharp work that yields
 * every pixel. Also printed, and a ratio to it: a plain libjpeg-turbo decode of the same JPEGs, the
 * decoder the reader itself uses for grey JPEG, so the ratio shows our work beyond decoding too.
 * And `sharp(buf).raw()` (sharp's default output space turns a grey JPEG into 3-channel sRGB,
 * which costs more than the decode itself).
 *
 * Where: in a worker thread started the way the pre-audit pool starts its readers (after
 * configureReaderHeap(), so with the same V8 heap settings); the main thread only waits. The
 * baseline runs in the same worker.
 *
 *   npx tsx bench/marks.ts [--sheets 200]
 *
 * Goals (issue 7): ratio ≤ 1.5 and ≤ 30 ms per sheet per core.
 * Then the same for the Dominion ImageCast design (bench/marksDominion.ts, issue 19: ratio ≤ 1.3).
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import jpegTurbo from '@julusian/jpeg-turbo';
import { decodeBallotImage, greyJpegDecoder, ReusedPixels } from '../daemon/preaudit/image.ts';
import { interpretSheet } from '../daemon/preaudit/interpret.ts';
import { layoutsFromVxElection } from '../daemon/preaudit/layout.ts';
import { configureReaderHeap } from '../daemon/preaudit/readerHeap.ts';
import { measureDominionDesign } from './marksDominion.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../shared/corpus/nh-amherst-scans');

if (isMainThread) {
  const args = process.argv.slice(2);
  const sheetsArg = args.indexOf('--sheets');
  const sheets = sheetsArg >= 0 ? Number(args[sheetsArg + 1]) : 200;
  configureReaderHeap();
  const worker = new Worker(new URL('./marksWorkerEntry.mjs', import.meta.url), { workerData: { sheets } });
  const [code] = (await once(worker, 'exit')) as [number];
  process.exitCode = code;
} else {
  await measure((workerData as { sheets: number }).sheets);
}

async function measure(sheets: number): Promise<void> {

  sharp.concurrency(1);
  sharp.cache(false);

  const front = readFileSync(path.join(corpus, 'scan-marked-front.jpeg'));
  const back = readFileSync(path.join(corpus, 'scan-marked-back.jpeg'));
  const layouts = layoutsFromVxElection(JSON.parse(readFileSync(path.join(corpus, 'election.json'), 'utf8')));
  if (!layouts.ok) throw new Error(layouts.error.message);
  const layout = layouts.value[0]!;

  async function plainDecode(buf: Buffer): Promise<number> {
    const { data } = await sharp(buf).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    return data.length;
  }

  async function turboDecode(buf: Buffer): Promise<number> {
    const out = jpegTurbo.decompressSync(buf, { format: jpegTurbo.FORMAT_GRAY });
    return out.size;
  }

  async function defaultRawDecode(buf: Buffer): Promise<number> {
    const { data } = await sharp(buf).raw().toBuffer({ resolveWithObject: true });
    return data.length;
  }

  // As the reader worker does: one pixel buffer per file of the sheet, reused sheet after sheet.
  const pixels = [new ReusedPixels(), new ReusedPixels()] as const;
  async function fullRead(): Promise<number> {
    const f = await decodeBallotImage(front, { reusePixels: pixels[0] });
    const b = await decodeBallotImage(back, { reusePixels: pixels[1] });
    if (!f.ok || !b.ok) throw new Error('decode failed');
    const r = interpretSheet([...f.value, ...b.value], layout);
    if (!r.ok) throw new Error(r.error.message);
    return r.value.contests.length;
  }

  interface Timing {
    wall: number;
    cpu: number;
  }

  /**
   * Wall time and CPU time (user + system of this process, sharp's worker thread included) per
   * sheet. CPU time is the per-core figure; it stays meaningful when other work shares the machine.
   */
  async function time(label: string, n: number, fn: () => Promise<number>): Promise<Timing> {
    for (let i = 0; i < Math.min(10, n); i++) await fn(); // warm-up (JIT, libjpeg tables)
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    const wall = Number(process.hrtime.bigint() - t0) / 1e6 / n;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000 / n;
    process.stdout.write(`${label.padEnd(36)} wall ${wall.toFixed(2).padStart(7)} ms/sheet   cpu ${cpu.toFixed(2).padStart(7)} ms/sheet\n`);
    return { wall, cpu };
  }

  const info = `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · load ${os.loadavg()[0]!.toFixed(1)} · node ${process.version} · sharp ${sharp.versions.sharp}`;
  process.stdout.write(`bench/marks: ${sheets} two-sided 200 dpi sheets (1700×2200 grey JPEG), one core\n${info}\n`);
  process.stdout.write(`grey JPEG decoder of the reader: ${greyJpegDecoder()}\n`);
  // Interleave the measurements to even out CPU frequency drift and other load.
  const base: Timing = { wall: 0, cpu: 0 };
  const turbo: Timing = { wall: 0, cpu: 0 };
  const rgb: Timing = { wall: 0, cpu: 0 };
  const full: Timing = { wall: 0, cpu: 0 };
  const rounds = 4;
  const add = (sum: Timing, t: Timing) => {
    sum.wall += t.wall / rounds;
    sum.cpu += t.cpu / rounds;
  };
  for (let round = 0; round < rounds; round++) {
    add(base, await time('plain decode, grey (front + back)', sheets / rounds, async () => (await plainDecode(front)) + (await plainDecode(back))));
    add(turbo, await time('plain libjpeg-turbo decode (f + b)', sheets / rounds, async () => (await turboDecode(front)) + (await turboDecode(back))));
    add(rgb, await time('sharp raw() default, sRGB (f + b)', sheets / rounds, async () => (await defaultRawDecode(front)) + (await defaultRawDecode(back))));
    add(full, await time('pre-audit read (decode + marks)', sheets / rounds, fullRead));
  }
  const la = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  process.stdout.write(`\nper sheet (cpu, per core): ${full.cpu.toFixed(2)} ms   wall: ${full.wall.toFixed(2)} ms   (goal ≤ 30 ms)\n`);
  process.stdout.write(`plain sharp decode, grey (cpu): ${base.cpu.toFixed(2)} ms   wall: ${base.wall.toFixed(2)} ms\n`);
  process.stdout.write(`ratio to plain sharp decode: cpu ${(full.cpu / base.cpu).toFixed(2)}   wall ${(full.wall / base.wall).toFixed(2)}   (goal ≤ 1.5)\n`);
  process.stdout.write(`plain libjpeg-turbo decode (cpu): ${turbo.cpu.toFixed(2)} ms   wall: ${turbo.wall.toFixed(2)} ms\n`);
  process.stdout.write(`ratio to plain libjpeg-turbo decode: cpu ${(full.cpu / turbo.cpu).toFixed(2)}   wall ${(full.wall / turbo.wall).toFixed(2)}\n`);
  process.stdout.write(`pre-audit work beyond a libjpeg-turbo decode (cpu): ${(full.cpu - turbo.cpu).toFixed(2)} ms per sheet\n`);
  process.stdout.write(`for reference, sharp raw() default (3-channel sRGB) (cpu): ${rgb.cpu.toFixed(2)} ms; ratio to it ${(full.cpu / rgb.cpu).toFixed(2)}\n`);
  await measureDominionDesign(sheets / 2, time);
  process.stdout.write(`load average at the end: ${la}\n`);
}
