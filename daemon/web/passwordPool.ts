import type { ScryptOptions } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { err, ok, operatorError, type Result } from '../core/result.ts';

/**
 * A few worker threads that run scrypt, with a bounded queue. node:crypto's async scrypt runs on
 * libuv's thread pool, the same four threads every fs read and write uses: 64 parallel wrong
 * logins stalled every file read of the daemon for half a minute. Here a flood of logins waits
 * for these workers only, and once the queue is full further checks are refused at once.
 */
export interface ScryptJob {
  readonly password: string;
  readonly salt: Buffer;
  readonly keyLength: number;
  readonly options: ScryptOptions;
}

interface Pending {
  readonly job: ScryptJob;
  readonly resolve: (r: Result<Buffer>) => void;
}

const replySchema = z.union([
  z.object({ id: z.number(), key: z.instanceof(Uint8Array) }),
  z.object({ id: z.number(), error: z.string() }),
]);

export const passwordCheckBusy = operatorError(
  'login-busy',
  'The appliance is busy checking many logins at once.',
  'Wait a few seconds and log in again.',
);

interface Slot {
  worker: Worker;
  current: (Pending & { id: number }) | undefined;
}

export class ScryptPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;

  constructor(
    private readonly size = Math.max(1, Math.min(2, availableParallelism())),
    private readonly maxQueued = 16,
  ) {}

  /** The derived key, or `login-busy` when more checks wait than the queue holds (unless `mayRefuse` is false: setting a password). */
  run(job: ScryptJob, mayRefuse = true): Promise<Result<Buffer>> {
    if (mayRefuse && this.queue.length >= this.maxQueued) return Promise.resolve(err(passwordCheckBusy));
    return new Promise((resolve) => {
      this.queue.push({ job, resolve });
      this.dispatch();
    });
  }

  /** Ends the workers (tests, shutdown); queued checks get `login-busy`. */
  async close(): Promise<void> {
    for (const p of this.queue.splice(0)) p.resolve(err(passwordCheckBusy));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const slot = this.slots.find((s) => s.current === undefined) ?? this.newSlot();
      if (slot === undefined) return;
      const next = this.queue.shift();
      if (next === undefined) return;
      const id = this.nextId++;
      slot.current = { ...next, id };
      slot.worker.ref(); // keep a CLI alive while its hash is computed
      slot.worker.postMessage({ id, password: next.job.password, salt: next.job.salt, keyLength: next.job.keyLength, options: next.job.options });
    }
  }

  private newSlot(): Slot | undefined {
    if (this.slots.length >= this.size) return undefined;
    const worker = new Worker(new URL('./scryptWorker.cjs', import.meta.url));
    const slot: Slot = { worker, current: undefined };
    worker.unref();
    worker.on('message', (message: unknown) => {
      const reply = replySchema.safeParse(message);
      const current = slot.current;
      if (!reply.success || current === undefined || reply.data.id !== current.id) return;
      slot.current = undefined;
      worker.unref();
      current.resolve('key' in reply.data ? ok(Buffer.from(reply.data.key)) : err(operatorError('password-check-failed', 'The password could not be checked.', 'Try again.')));
      this.dispatch();
    });
    const lost = () => {
      // A worker that died takes only its own job with it; the next check starts a new one.
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots.splice(index, 1);
      slot.current?.resolve(err(operatorError('password-check-failed', 'The password could not be checked.', 'Try again.')));
      slot.current = undefined;
      this.dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', lost);
    this.slots.push(slot);
    return slot;
  }
}

let shared: ScryptPool | undefined;
/** The process's one pool, started on first use. */
export function scryptPool(): ScryptPool {
  shared ??= new ScryptPool();
  return shared;
}
