/**
 * Worker thread of the pre-audit pool: decodes and reads one sheet per message. Each worker keeps
 * libvips to one thread so N workers use N cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { decodeBallotImage, type GrayImage } from './image.ts';
import { interpretSheetAnyStyle } from './interpret.ts';
import type { StyleLayout } from './layout.ts';
import type { SheetJob, SheetOutcome } from './pool.ts';

sharp.concurrency(1);
sharp.cache(false);
const layouts = (workerData as { layouts: StyleLayout[] }).layouts;

async function read(job: SheetJob): Promise<SheetOutcome> {
  const images: GrayImage[] = [];
  for (const f of job.files) {
    const decoded = await decodeBallotImage(f);
    if (!decoded.ok) return { key: job.key, ok: false, error: decoded.error };
    images.push(...decoded.value);
  }
  const reading = interpretSheetAnyStyle(images, layouts);
  if (!reading.ok) return { key: job.key, ok: false, error: reading.error };
  return {
    key: job.key,
    ok: true,
    styleId: reading.value.styleId,
    targetsNotFound: reading.value.targetsNotFound,
    contests: reading.value.contests,
  };
}

parentPort?.on('message', (job: SheetJob) => {
  read(job).then(
    (outcome) => parentPort?.postMessage(outcome),
    (e: unknown) =>
      parentPort?.postMessage({
        key: job.key,
        ok: false,
        error: { code: 'preaudit-internal', message: e instanceof Error ? e.message : String(e) },
      } satisfies SheetOutcome),
  );
});
