/**
 * The Dominion ImageCast read alone (bench/marks runs it after the NH sheets): ms per generated
 * ImageCast-design sheet against a plain decode of the same TIFF pages, median of several rounds,
 * in a worker thread set up as the pre-audit's readers are, one core.
 *
 *   npx tsx bench/dominionRead.ts [--sheets 120] [--rounds 5]
 */
import { once } from 'node:events';
import os from 'node:os';
import { isMainThread, Worker, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { configureReaderHeap } from '../daemon/preaudit/readerHeap.ts';
import { measureDominionDesign } from './marksDominion.ts';

interface Options {
  sheets: number;
  rounds: number;
}

if (isMainThread) {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: number) => {
    const i = args.indexOf(name);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  configureReaderHeap();
  const options: Options = { sheets: arg('--sheets', 120), rounds: arg('--rounds', 5) };
  const worker = new Worker(new URL('./dominionReadWorkerEntry.mjs', import.meta.url), { workerData: options });
  const [code] = (await once(worker, 'exit')) as [number];
  process.exitCode = code;
} else {
  const { sheets, rounds } = workerData as Options;
  sharp.concurrency(1);
  sharp.cache(false);
  process.stdout.write(`bench/dominionRead: ${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length} · load ${os.loadavg()[0]!.toFixed(1)} · node ${process.version}\n`);
  await measureDominionDesign(sheets, async (label, n, fn) => {
    for (let i = 0; i < Math.min(5, n); i++) await fn(); // warm-up
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) await fn();
    const wall = Number(process.hrtime.bigint() - t0) / 1e6 / n;
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1000 / n;
    process.stdout.write(`${label.padEnd(42)} wall ${wall.toFixed(2).padStart(7)} ms/sheet   cpu ${cpu.toFixed(2).padStart(7)} ms/sheet\n`);
    return { wall, cpu };
  }, rounds);
}
