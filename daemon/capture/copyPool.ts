import { Worker } from 'node:worker_threads';
import type { CommitItem, CommitOutcome, CopyOutcome, WorkerReply, WorkerRequest } from './copyProtocol.ts';

interface Waiting {
  readonly resolve: (reply: WorkerReply) => void;
  readonly reject: (e: Error) => void;
  readonly onFirstChunk?: () => void;
}

interface PoolWorker {
  readonly worker: Worker;
  readonly waiting: Map<number, Waiting>;
}

/**
 * Copy workers for the capture engine (copyWorker.mjs). Started on first use, so a rescan that
 * copies nothing starts none; referenced only while work is outstanding, so an idle pool never
 * keeps the process alive. Commits go to a worker of their own so a long flush never stalls copies.
 */
export class CopyPool {
  private readonly copiers: PoolWorker[] = [];
  private committer: PoolWorker | undefined;
  private nextId = 0;

  constructor(private readonly size: number) {}

  copy(path: Buffer, tempPath: string, afterFirstChunk?: () => Promise<void> | void, prefixBytes?: number): Promise<CopyOutcome> {
    const target = this.leastBusyCopier();
    let pause: SharedArrayBuffer | undefined;
    let onFirstChunk: (() => void) | undefined;
    if (afterFirstChunk !== undefined) {
      const shared = new SharedArrayBuffer(4);
      pause = shared;
      onFirstChunk = () => {
        void Promise.resolve()
          .then(afterFirstChunk)
          .finally(() => {
            const flag = new Int32Array(shared);
            Atomics.store(flag, 0, 1);
            Atomics.notify(flag, 0);
          });
      };
    }
    const id = ++this.nextId;
    const request: WorkerRequest = {
      type: 'copy',
      id,
      // A Buffer is often a view on Node's shared 8 KB pool, and a message clones the whole
      // ArrayBuffer under a view: an exact copy sends the path's bytes alone.
      path: new Uint8Array(path),
      tempPath,
      ...(prefixBytes === undefined ? {} : { prefixBytes }),
      ...(pause === undefined ? {} : { pauseAfterFirstChunk: pause }),
    };
    return this.send(target, request, onFirstChunk).then((r) => {
      if (r.type !== 'copy') throw new Error(`copy worker answered ${r.type} to a copy request`);
      return r.outcome;
    });
  }

  /** Renames temp copies (durable since their copy was answered) into place and syncs their folders. */
  commit(items: readonly CommitItem[], objectsDir: string): Promise<CommitOutcome> {
    this.committer ??= this.start();
    return this.send(this.committer, { type: 'commit', id: ++this.nextId, items, objectsDir }).then((r) => {
      if (r.type !== 'commit') throw new Error(`copy worker answered ${r.type} to a commit request`);
      return r.outcome;
    });
  }

  /** Stops the workers; the pool starts new ones if used again. */
  async close(): Promise<void> {
    const all = [...this.copiers, ...(this.committer === undefined ? [] : [this.committer])];
    this.copiers.length = 0;
    this.committer = undefined;
    await Promise.all(all.map((w) => w.worker.terminate()));
  }

  private leastBusyCopier(): PoolWorker {
    let best: PoolWorker | undefined;
    for (const w of this.copiers) if (best === undefined || w.waiting.size < best.waiting.size) best = w;
    if ((best === undefined || best.waiting.size > 0) && this.copiers.length < this.size) {
      best = this.start();
      this.copiers.push(best);
    }
    return best!;
  }

  private start(): PoolWorker {
    // Plain JavaScript: no TypeScript loader to start in every worker (execArgv [] also drops the
    // `--import tsx` a from-sources process was started with: ~0.1 s of CPU per worker).
    // A small young generation: a worker allocates little but hashes; left alone V8 lets it grow to tens of MB per worker.
    const worker = new Worker(new URL('./copyWorker.mjs', import.meta.url), { execArgv: [], resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    const pw: PoolWorker = { worker, waiting: new Map() };
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const w = pw.waiting.get(reply.id);
      if (w === undefined) return;
      if (reply.type === 'first-chunk') {
        w.onFirstChunk?.();
        return;
      }
      pw.waiting.delete(reply.id);
      if (pw.waiting.size === 0) worker.unref();
      w.resolve(reply);
    });
    const failAll = (e: Error) => {
      for (const w of pw.waiting.values()) w.reject(e);
      pw.waiting.clear();
      worker.unref();
      const i = this.copiers.indexOf(pw);
      if (i >= 0) this.copiers.splice(i, 1);
      if (this.committer === pw) this.committer = undefined;
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`copy worker exited (${code})`)));
    return pw;
  }

  private send(pw: PoolWorker, request: WorkerRequest & { readonly id: number }, onFirstChunk?: () => void): Promise<WorkerReply> {
    return new Promise<WorkerReply>((resolve, reject) => {
      pw.waiting.set(request.id, { resolve, reject, ...(onFirstChunk === undefined ? {} : { onFirstChunk }) });
      // Referenced only while it owes an answer: an idle pool never keeps the process alive.
      pw.worker.ref();
      pw.worker.postMessage(request);
    });
  }
}
