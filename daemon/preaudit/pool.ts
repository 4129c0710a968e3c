/**
 * Reads many sheets on all cores (worker threads), storing each result in SQLite as it arrives.
 * Resumable: sheets already stored are skipped, so a restart carries on where it stopped.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import type { OperatorError } from '../core/result.ts';
import type { StyleSource } from './interpret.ts';
import type { StyleLayout } from './layout.ts';
import { greyJpegDecoder } from './image.ts';
import { configureReaderHeap } from './readerHeap.ts';
import { compiledSibling } from './compiledSibling.ts';
import type { ContestReading } from './marks.ts';
import { sheetWriter, storedSheetKeys } from './store.ts';

export interface SheetJob {
  /** Stable key of the sheet (the importer's image key when known). */
  readonly key: string;
  /** Image files of the sheet: one multipage TIFF, or one file per side. */
  readonly files: readonly string[];
  /** The style the sheet's CVR's ballot type is printed as (styleFromCvr.ts): used only when its printed code cannot be read. */
  readonly styleFromCvr?: string;
}

/** One registered page of a read sheet: where it is among the files, and its targets in image pixels. */
export interface SheetPage {
  readonly file: number;
  readonly page: number;
  readonly side: string;
  readonly width: number;
  readonly height: number;
  /** Approximate timing-mark pitch in pixels (for crops around a contest). */
  readonly pitch: number;
  readonly targets: readonly {
    readonly contestId: string;
    readonly optionId: string;
    readonly x: number;
    readonly y: number;
    readonly width: number;
    readonly height: number;
    readonly fill: number;
    readonly mark: string;
    /** A target with a mark: its ink (inkSignature.ts); absent on readings stored before it was kept. */
    readonly ink?: string;
  }[];
}

export type SheetOutcome =
  | {
      readonly key: string;
      readonly ok: true;
      readonly styleId: string;
      readonly styleFrom?: StyleSource;
      readonly targetsNotFound: number;
      readonly contests: readonly ContestReading[];
      readonly pages?: readonly SheetPage[];
      /** Pages the reader set aside as the scanner's own record of the sheet (file index, page from 0). */
      readonly auditMarkPages?: readonly { readonly file: number; readonly page: number }[];
    }
  | { readonly key: string; readonly ok: false; readonly error: OperatorError };

export interface PoolProgress {
  readonly done: number;
  readonly total: number;
  readonly skipped: number;
  readonly errors: number;
}

export interface RunOptions {
  readonly workers?: number;
  readonly onProgress?: (p: PoolProgress) => void;
  /** Stop handing out new sheets (those in flight finish and are stored). */
  readonly signal?: AbortSignal;
  /** False when `layouts` cannot hold ES&S styles (the learner does not learn them yet): ES&S sheets are then set aside, said so. */
  readonly essStylesKnown?: boolean;
}

export async function runPreaudit(
  db: Db,
  jobs: readonly SheetJob[],
  layouts: readonly StyleLayout[],
  logger: Logger,
  options: RunOptions = {},
): Promise<PoolProgress> {
  const done = storedSheetKeys(db);
  const todo = jobs.filter((j) => !done.has(j.key));
  const skipped = jobs.length - todo.length;
  const insert = sheetWriter(db);
  const filesOf = new Map(todo.map((j) => [j.key, j.files]));
  let finished = 0;
  let errors = 0;
  logEvent(logger, LogEvent.PreauditStarted, { sheets: jobs.length, toRead: todo.length, skipped, greyJpegDecoder: greyJpegDecoder() });
  const workerCount = Math.max(1, Math.min(options.workers ?? os.availableParallelism(), todo.length));
  configureReaderHeap();
  const progress = (): PoolProgress => ({ done: finished + skipped, total: jobs.length, skipped, errors });
  let next = 0;
  const store = (o: SheetOutcome) => {
    const files = filesOf.get(o.key) ?? [];
    const at = new Date().toISOString();
    if (o.ok) {
      const gray = o.contests.filter((c) => c.marginal.length > 0).length;
      const pagesJson = o.pages === undefined ? null : JSON.stringify(o.pages);
      insert({ key: o.key, files, status: 'read', styleId: o.styleId, styleFrom: o.styleFrom ?? null, errorCode: null, errorMessage: null, targetsNotFound: o.targetsNotFound, grayContests: gray, readingJson: JSON.stringify(o.contests), pagesJson, auditMarkJson: o.auditMarkPages === undefined ? null : JSON.stringify(o.auditMarkPages), at });
    } else {
      errors++;
      insert({ key: o.key, files, status: 'error', styleId: null, styleFrom: null, errorCode: o.error.code, errorMessage: o.error.message, targetsNotFound: null, grayContests: null, readingJson: null, pagesJson: null, auditMarkJson: null, at });
      logEvent(logger, LogEvent.PreauditImageRejected, { sheet: o.key, code: o.error.code, error: o.error.message }, 'warn');
    }
    finished++;
    if (finished % 50 === 0 || finished === todo.length) {
      logEvent(logger, LogEvent.PreauditProgress, { ...progress() });
      options.onProgress?.(progress());
    }
  };
  await Promise.all(
    Array.from({ length: workerCount }, async () => {
      // From the sources the entry registers tsx in the worker thread; compiled, it loads the compiled worker.
      const compiledWorker = compiledSibling(import.meta.url, 'worker');
      const worker = new Worker(new URL('./workerEntry.mjs', import.meta.url), { workerData: { layouts, essStylesKnown: options.essStylesKnown ?? true, ...(compiledWorker === undefined ? {} : { compiledWorker }) } });
      try {
        for (;;) {
          if (options.signal?.aborted === true || next >= todo.length) break;
          const job = todo[next++]!;
          const outcome = await new Promise<SheetOutcome>((resolve, reject) => {
            const onMessage = (o: SheetOutcome) => {
              worker.off('error', onError);
              resolve(o);
            };
            const onError = (e: Error) => {
              worker.off('message', onMessage);
              reject(e);
            };
            worker.once('message', onMessage);
            worker.once('error', onError);
            worker.postMessage(job);
          });
          store(outcome);
        }
      } finally {
        await worker.terminate();
      }
    }),
  );
  logEvent(logger, LogEvent.PreauditFinished, { ...progress() });
  return progress();
}
