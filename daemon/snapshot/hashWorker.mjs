// @ts-check
/**
 * A payload-hashing worker for verify (plain JavaScript, so it starts without the TypeScript
 * loader). Each file of a batch is opened without following a symbolic link and without blocking
 * on a FIFO, checked to be a regular file no larger than expected, and read no further than its
 * size when opened, with synchronous system calls on this thread: a file costs four syscalls
 * here instead of four hops through libuv's pool and the main thread, and the hashing runs on
 * every core instead of the main thread's one. Facts only are returned; hashPool.ts words them.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
/** @typedef {import('./hashPool.ts').HashBatch} HashBatch */
/** @typedef {import('./hashPool.ts').HashFact} HashFact */
/** @typedef {import('./hashPool.ts').HashBatchReply} HashBatchReply */

/** Big reads: a ballot image is one read, and the drive sees long requests. */
const CHUNK = 4 * 1024 * 1024;
const buffer = Buffer.allocUnsafe(CHUNK);
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
 * @returns {HashFact}
 */
function hashOne(path, maxBytes) {
  /** @type {number} */
  let fd;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    return { open: errCode(e) };
  }
  try {
    /** @type {import('node:fs').Stats} */
    let st;
    try {
      st = fstatSync(fd);
    } catch {
      return { notFile: 'unreadable' };
    }
    if (!st.isFile()) return { notFile: typeOf(st) };
    const limit = st.size;
    if (limit > maxBytes) return { tooLarge: limit };
    const hash = createHash('sha256');
    let size = 0;
    while (size < limit) {
      const n = readSync(fd, buffer, 0, Math.min(CHUNK, limit - size), size);
      if (n === 0) break;
      hash.update(buffer.subarray(0, n));
      size += n;
    }
    return { sha256: hash.digest('hex'), size };
  } catch (e) {
    return { read: errCode(e) };
  } finally {
    try {
      closeSync(fd);
    } catch {
      // read-only: nothing was written that a failed close could lose
    }
  }
}

port.on('message', (/** @type {HashBatch} */ batch) => {
  /** @type {HashFact[]} */
  const facts = [];
  for (let i = 0; i < batch.paths.length; i++) facts.push(hashOne(batch.paths[i] ?? '', batch.maxBytes[i] ?? 0));
  /** @type {HashBatchReply} */
  const reply = { first: batch.first, facts };
  port.postMessage(reply);
});
