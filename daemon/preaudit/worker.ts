/**
 * Worker thread of the pre-audit pool: decodes and reads one sheet per message. Each worker keeps
 * libvips to one thread so N workers use N cores.
 */
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { decodeBallotImage, type DecodedPage, ReusedPixels } from './image.ts';
import { interpretSheetAnyStyle } from './interpret.ts';
import type { StyleLayout } from './layout.ts';
import type { SheetJob, SheetOutcome, SheetPage } from './pool.ts';
import { bmdCardReason, isEssExport } from './setApart.ts';

sharp.concurrency(1);
sharp.cache(false);
const { layouts, essStylesKnown } = workerData as { layouts: StyleLayout[]; essStylesKnown: boolean };
/** One pixel buffer per file of a sheet, reused sheet after sheet: nothing keeps a page past its read. */
const pixels: ReusedPixels[] = [];

async function read(job: SheetJob): Promise<SheetOutcome> {
  const images: DecodedPage[] = [];
  // Where each decoded page came from (file index, page in that file), for overlays and crops.
  const origin: { file: number; page: number }[] = [];
  // The pages set aside (Dominion's AuditMark page): kept with the reading, evidence for the reports.
  const auditMarkPages: { file: number; page: number }[] = [];
  for (const [fi, f] of job.files.entries()) {
    const decoded = await decodeBallotImage(f, {
      reusePixels: (pixels[fi] ??= new ReusedPixels()),
      ballotSidesOnly: true,
      onPagesSetAside: (pages) => auditMarkPages.push(...pages.map((page) => ({ file: fi, page }))),
    });
    if (!decoded.ok) return { key: job.key, ok: false, error: decoded.error };
    decoded.value.forEach((p) => origin.push({ file: fi, page: p.page }));
    images.push(...decoded.value);
  }
  // Set apart, counted and said: BMD cards are never read as hand-marked ballots.
  const apart = bmdCardReason(images);
  if (apart !== undefined) return { key: job.key, ok: false, error: apart };
  const reading = interpretSheetAnyStyle(images, layouts, undefined, { essExport: isEssExport(images), essStylesKnown, ...(job.styleFromCvr === undefined ? {} : { styleFromCvr: job.styleFromCvr }) });
  if (!reading.ok) return { key: job.key, ok: false, error: reading.error };
  return {
    key: job.key,
    ok: true,
    styleId: reading.value.styleId,
    ...(reading.value.styleFrom === undefined ? {} : { styleFrom: reading.value.styleFrom }),
    targetsNotFound: reading.value.targetsNotFound,
    contests: reading.value.contests,
    auditMarkPages,
    pages: reading.value.pages.map((p): SheetPage => {
      const img = images[p.image]!;
      // Oval box from the layout's shape in grid units; pitch from the timing-mark columns.
      const pitch = img.width / Math.max(1, p.columns);
      const layout = layouts.find((l) => l.styleId === reading.value.styleId);
      const w = (layout?.targetShape.width ?? 0.5) * pitch;
      const h = (layout?.targetShape.height ?? 0.35) * pitch;
      return {
        file: origin[p.image]?.file ?? 0,
        page: origin[p.image]?.page ?? p.image,
        side: p.side,
        width: img.width,
        height: img.height,
        pitch,
        targets: p.targets.map((t) => ({
          contestId: t.contestId,
          optionId: t.optionId,
          x: Math.round(t.score.center.x - w / 2),
          y: Math.round(t.score.center.y - h / 2),
          width: Math.round(w),
          height: Math.round(h),
          fill: Math.round(t.score.fill * 1000) / 1000,
          mark: t.mark,
          ...(t.ink === undefined ? {} : { ink: t.ink }),
        })),
      };
    }),
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
