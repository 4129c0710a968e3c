// @ts-check
/**
 * A payload-hashing worker for verify (plain JavaScript, so it starts without the TypeScript
 * loader). Each file is opened without following a symbolic link and without blocking on a FIFO,
 * checked to be a regular file no larger than expected, and read no further than its size when
 * opened. The reads go through libuv's pool, several files at a time, so the drive always has
 * requests queued while this thread hashes (a thread that read and hashed in turn left the drive
 * idle whenever the CPU was busy); the hashing runs here, on every core, not on the main thread.
 * Facts only are returned; hashPool.ts words them.
 */
import { createHash } from 'node:crypto';
import { close, constants, fstat, open, read } from 'node:fs';
import { promisify } from 'node:util';
import { parentPort } from 'node:worker_threads';
/** @typedef {import('./hashPool.ts').HashBatch} HashBatch */
/** @typedef {import('./hashPool.ts').HashFact} HashFact */
/** @typedef {import('./hashPool.ts').HashBatchReply} HashBatchReply */

/** Big reads: a ballot image is one read, and the drive sees long requests. */
const CHUNK = 1024 * 1024;
/** Files being read at once by this worker. */
const SLOTS = 4;
const openAsync = promisify(open);
const fstatAsync = promisify(fstat);
const closeAsync = promisify(close);
/** @type {(fd: number, buffer: Buffer, offset: number, length: number, position: number) => Promise<number>} */
const readAsync = (fd, buffer, offset, length, position) =>
  new Promise((resolve, reject) => read(fd, buffer, offset, length, position, (e, n) => (e ? reject(e) : resolve(n))));
if (parentPort === null) throw new Error('hashWorker.mjs runs only as a worker thread');
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

/**
 * @param {unknown} e
 * @returns {string}
 */
function errCode(e) {
  const code = e instanceof Error ? /** @type {NodeJS.ErrnoException} */ (e).code : undefined;
  return code ?? 'error';
}

/**
 * @param {import('node:fs').Stats} s
 * @returns {'symlink' | 'fifo' | 'socket' | 'device' | 'folder' | 'other'}
 */
function typeOf(s) {
  if (s.isSymbolicLink()) return 'symlink';
  if (s.isFIFO()) return 'fifo';
  if (s.isSocket()) return 'socket';
  if (s.isCharacterDevice() || s.isBlockDevice()) return 'device';
  if (s.isDirectory()) return 'folder';
  return 'other';
}

/**
 * @param {string} path
 * @param {number} maxBytes
 * @param {Buffer} buffer
 * @returns {Promise<HashFact>}
 */
async function hashOne(path, maxBytes, buffer) {
  /** @type {number} */
  let fd;
  try {
    fd = await openAsync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    return { open: errCode(e) };
  }
  try {
    /** @type {import('node:fs').Stats} */
    let st;
    try {
      st = await fstatAsync(fd);
    } catch {
      return { notFile: 'unreadable' };
    }
    if (!st.isFile()) return { notFile: typeOf(st) };
    const limit = st.size;
    if (limit > maxBytes) return { tooLarge: limit };
    const hash = createHash('sha256');
    let size = 0;
    while (size < limit) {
      const n = await readAsync(fd, buffer, 0, Math.min(CHUNK, limit - size), size);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      size += n;
    }
    return { sha256: hash.digest('hex'), size };
  } catch (e) {
    return { read: errCode(e) };
  } finally {
    await closeAsync(fd).catch(() => undefined); // read-only: a failed close loses nothing
  }
}

/** @type {Array<{ batch: HashBatch, index: number }>} */
const queue = [];
/** @type {Map<number, { facts: HashFact[], left: number }>} */
const unanswered = new Map();
let running = 0;
/** Read buffers of finished files, reused. @type {Buffer[]} */
const buffers = [];

/** Keeps SLOTS files in flight, from every batch received, answering each batch when its last file is done. */
function pump() {
  while (running < SLOTS && queue.length > 0) {
    const { batch, index } = /** @type {{ batch: HashBatch, index: number }} */ (queue.shift());
    running++;
    const buffer = buffers.pop() ?? Buffer.allocUnsafe(CHUNK);
    void hashOne(batch.paths[index] ?? '', batch.maxBytes[index] ?? 0, buffer).then((fact) => {
      buffers.push(buffer);
      running--;
      const state = unanswered.get(batch.first);
      if (state !== undefined) {
        state.facts[index] = fact;
        if (--state.left === 0) {
          unanswered.delete(batch.first);
          /** @type {HashBatchReply} */
          const reply = { first: batch.first, facts: state.facts };
          port.postMessage(reply);
        }
      }
      pump();
    });
  }
}
port.on('message', (/** @type {HashBatch} */ batch) => {
  unanswered.set(batch.first, { facts: new Array(batch.paths.length), left: batch.paths.length });
  for (let i = 0; i < batch.paths.length; i++) queue.push({ batch, index: i });
  if (batch.paths.length === 0) port.postMessage({ first: batch.first, facts: [] });
  pump();
});
