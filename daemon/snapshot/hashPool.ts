import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Safe, UnsafeKind } from './bagReader.ts';

/**
 * Hashes many files of a drive that may be forged on worker threads (hashWorker.mjs): the hashing
 * uses every core, each worker keeps several files' reads queued at the drive while it hashes, and
 * the main thread only hands out batches of paths and compares the answers.
 * Every job gets exactly one answer, or the whole call throws (a worker that died is a bug).
 */

export interface HashJob {
  readonly path: string;
  /** The file is not read when it is larger than this when opened (its size found by the walk). */
  readonly maxBytes: number;
}

/** Main → worker: consecutive jobs from `first`. */
export interface HashBatch {
  readonly first: number;
  readonly paths: string[];
  readonly maxBytes: number[];
}

/** What the worker found, as facts; `hashAnswer` words them. */
export type HashFact =
  | { readonly sha256: string; readonly size: number }
  | { readonly open: string }
  | { readonly notFile: 'symlink' | 'fifo' | 'socket' | 'device' | 'folder' | 'other' | 'unreadable' }
  | { readonly tooLarge: number }
  | { readonly read: string };

export interface HashBatchReply {
  readonly first: number;
  readonly facts: HashFact[];
}

export type HashAnswer = Safe<{ sha256: string; size: number }>;

const typeWords = { symlink: 'a symbolic link', fifo: 'a FIFO (named pipe)', socket: 'a socket', device: 'a device', folder: 'a folder', other: 'not a regular file' } as const;

const fail = (kind: UnsafeKind, detail: string): HashAnswer => ({ ok: false, unsafe: { kind, detail } });

/** The same words as bagReader's openRegular and hashRegular. */
export function hashAnswer(fact: HashFact, maxBytes: number): HashAnswer {
  if ('sha256' in fact) return { ok: true, value: { sha256: fact.sha256, size: fact.size } };
  if ('open' in fact) {
    if (fact.open === 'ENOENT') return fail('missing', 'is not on the drive');
    if (fact.open === 'ELOOP') return fail('not-regular', 'is a symbolic link, not a file');
    return fail('unreadable', `cannot be read (${fact.open})`);
  }
  if ('notFile' in fact) return fail('not-regular', fact.notFile === 'unreadable' ? 'cannot be read' : `is ${typeWords[fact.notFile]}, not a file`);
  if ('tooLarge' in fact) return fail('too-large', `is ${fact.tooLarge} bytes, more than the ${maxBytes} expected`);
  return fail('unreadable', `cannot be read (${fact.read})`);
}

/** One worker per core (each keeps several files' reads in flight while it hashes): 2 to 8. */
export function defaultHashWorkers(): number {
  return Math.min(8, Math.max(2, availableParallelism()));
}

/** A batch ends after this many files or bytes: big enough to amortise a message, small enough to share the tail. */
const batchFiles = 32;
const batchBytes = 32 * 1024 * 1024;
/** Batches each worker holds, so it never waits for the next one. */
const batchesInFlight = 2;

/** Hashes every job; `onAnswer` is called once per job, in completion order. */
export async function hashFiles<J extends HashJob>(jobs: readonly J[], workers: number, onAnswer: (job: J, answer: HashAnswer) => void): Promise<void> {
  if (jobs.length === 0) return;
  let next = 0;
  let answered = 0;
  const nextBatch = (): HashBatch | undefined => {
    if (next >= jobs.length) return undefined;
    const batch: HashBatch = { first: next, paths: [], maxBytes: [] };
    let bytes = 0;
    while (next < jobs.length && batch.paths.length < batchFiles && (batch.paths.length === 0 || bytes < batchBytes)) {
      const job = jobs[next++]!;
      batch.paths.push(job.path);
      batch.maxBytes.push(job.maxBytes);
      bytes += job.maxBytes;
    }
    return batch;
  };
  const count = Math.max(1, Math.min(workers, Math.ceil(jobs.length / batchFiles)));
  const started: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      for (let w = 0; w < count; w++) {
        // Plain JavaScript: no execArgv, so a TypeScript loader the process was started with is
        // not loaded again in every worker. A small young generation: it allocates little.
        const worker = new Worker(new URL('./hashWorker.mjs', import.meta.url), { execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 4 } });
        started.push(worker);
        let owed = 0;
        const feed = () => {
          while (owed < batchesInFlight) {
            const batch = nextBatch();
            if (batch === undefined) return;
            owed++;
            worker.postMessage(batch);
          }
        };
        worker.on('message', (reply: HashBatchReply) => {
          owed--;
          reply.facts.forEach((fact, i) => {
            const job = jobs[reply.first + i];
            if (job === undefined) return;
            answered++;
            onAnswer(job, hashAnswer(fact, job.maxBytes));
          });
          if (answered === jobs.length) resolve();
          else feed();
        });
        worker.on('error', reject);
        worker.on('exit', (code) => {
          if (owed > 0) reject(new Error(`hash worker exited (${code}) with ${owed} batches unanswered`));
        });
        feed();
      }
    });
  } finally {
    await Promise.all(started.map((w) => w.terminate()));
  }
  if (answered !== jobs.length) throw new Error(`hash pool answered ${answered} of ${jobs.length} files`);
}
