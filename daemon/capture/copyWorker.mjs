// @ts-check
/**
 * A capture copy worker (plain JavaScript, type-checked through JSDoc, so a worker starts in
 * ~50 ms and ~9 MB without the TypeScript loader). Each file is opened, read once (every chunk hashed and written to a
 * temp file in the vault) and checked again, all with synchronous system calls on this thread:
 * one file costs a dozen syscalls here instead of a dozen hops through libuv's thread pool and
 * the main thread, which was the bottleneck for ballot-image-sized files.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parentPort } from 'node:worker_threads';
/** @typedef {import('./copyProtocol.ts').CommitOutcome} CommitOutcome */
/** @typedef {import('./copyProtocol.ts').CommitRequest} CommitRequest */
/** @typedef {import('./copyProtocol.ts').CopyOutcome} CopyOutcome */
/** @typedef {import('./copyProtocol.ts').CopyRequest} CopyRequest */
/** @typedef {import('./copyProtocol.ts').FileStat} FileStat */
/** @typedef {import('./copyProtocol.ts').WorkerReply} WorkerReply */
/** @typedef {import('./copyProtocol.ts').WorkerRequest} WorkerRequest */

const CHUNK = 1024 * 1024;
const buffer = Buffer.allocUnsafe(CHUNK);
/** @type {Set<string>} */
const knownDirs = new Set();
if (parentPort === null) throw new Error('copyWorker.mjs runs only as a worker thread');
const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);

/**
 * @param {import('node:fs').BigIntStats} s
 * @returns {FileStat}
 */
function toStat(s) {
  return { size: Number(s.size), mtimeNs: s.mtimeNs, ctimeNs: s.ctimeNs, ino: s.ino };
}

/**
 * @param {unknown} e
 * @returns {string}
 */
function errCode(e) {
  const code = e instanceof Error ? /** @type {NodeJS.ErrnoException} */ (e).code : undefined;
  return code ?? 'UNKNOWN';
}

/** @param {number} fd */
function closeQuietly(fd) {
  try {
    closeSync(fd);
  } catch {
    // already failed; the caller reports the first error
  }
}

/**
 * @param {CopyRequest} req
 * @returns {CopyOutcome}
 */
function copy(req) {
  const t0 = performance.now();
  let readMs = 0;
  let hashMs = 0;
  let writeMs = 0;
  const path = Buffer.from(req.path.buffer, req.path.byteOffset, req.path.byteLength);
  /** @type {number} */
  let src;
  try {
    // O_NOFOLLOW: a file swapped for a symlink is never followed; O_NONBLOCK: never hang on a FIFO.
    src = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    return { kind: 'open-failed', code: errCode(e), message: String(e) };
  }
  /** @type {number | undefined} */
  let out;
  // Which side a failure is on: the export (source) or the appliance's own vault.
  /** @type {'source' | 'vault'} */
  let side = 'source';
  try {
    const s = fstatSync(src, { bigint: true });
    if (!s.isFile()) return { kind: 'not-a-file' };
    const before = toStat(s);
    side = 'vault';
    out = openSync(req.tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o444);
    side = 'source';
    const openMs = performance.now() - t0;
    const hash = createHash('sha256');
    const prefix = req.prefixBytes;
    /** @type {string | undefined} */
    let prefixSha256 = prefix === 0 ? hash.copy().digest('hex') : undefined;
    let bytes = 0;
    let first = true;
    for (;;) {
      // At most the expected size plus one byte: a file still growing is noticed, not chased.
      let want = Math.max(1, Math.min(CHUNK, before.size + 1 - bytes));
      // A read ends exactly at the prefix, so its hash can be taken there.
      if (prefix !== undefined && bytes < prefix) want = Math.min(want, prefix - bytes);
      let t = performance.now();
      const n = readSync(src, buffer, 0, want, bytes);
      readMs += performance.now() - t;
      if (n === 0) break;
      const chunk = buffer.subarray(0, n);
      t = performance.now();
      hash.update(chunk);
      if (prefix !== undefined && bytes < prefix && bytes + n === prefix) prefixSha256 = hash.copy().digest('hex');
      hashMs += performance.now() - t;
      side = 'vault';
      t = performance.now();
      for (let w = 0; w < n; ) w += writeSync(out, chunk, w, n - w);
      writeMs += performance.now() - t;
      side = 'source';
      bytes += n;
      if (first && req.pauseAfterFirstChunk !== undefined) {
        /** @type {WorkerReply} */
        const paused = { type: 'first-chunk', id: req.id };
        port.postMessage(paused);
        Atomics.wait(new Int32Array(req.pauseAfterFirstChunk), 0, 0);
      }
      first = false;
      if (bytes > before.size) break; // grew while reading: the engine discards and retries later
      // A short read that reached the expected size is the end of the file; a file that grew
      // meanwhile is caught by the size check after reading.
      if (n < want && bytes === before.size) break;
    }
    side = 'vault';
    const tClose = performance.now();
    closeSync(out);
    out = undefined;
    side = 'source';
    /** @type {FileStat | undefined} */
    let after;
    try {
      after = toStat(lstatSync(path, { bigint: true }));
    } catch {
      after = undefined;
    }
    const sha256 = hash.digest('hex');
    const timing = { openMs, readMs, hashMs, writeMs, closeMs: performance.now() - tClose };
    return { kind: 'copied', sha256, bytes, before, after, ...(prefixSha256 === undefined ? {} : { prefixSha256 }), timing };
  } catch (e) {
    if (out !== undefined) {
      closeQuietly(out);
      try {
        unlinkSync(req.tempPath);
      } catch {
        // nothing written under that name
      }
    }
    return { kind: 'copy-failed', code: errCode(e), message: String(e), side };
  } finally {
    closeQuietly(src);
  }
}

/** How many fsyncs are in flight at once (libuv's pool runs them; UV_THREADPOOL_SIZE is 64 in the product). */
const SYNC_PARALLEL = 32;
/** @type {(() => void)[]} */
const syncWaiting = [];
let syncRunning = 0;

/**
 * Runs `task` when one of SYNC_PARALLEL lanes is free. Many fsyncs at once let a journaling file
 * system fold them into a few journal commits and cache flushes instead of one each.
 *
 * @param {() => Promise<void>} task
 * @returns {Promise<void>}
 */
function inLane(task) {
  return new Promise((resolve, reject) => {
    syncWaiting.push(() => {
      syncRunning++;
      task()
        .then(resolve, reject)
        .finally(() => {
          syncRunning--;
          syncWaiting.shift()?.();
        });
    });
    if (syncRunning < SYNC_PARALLEL) syncWaiting.shift()?.();
  });
}

/**
 * @param {string} path
 * @param {boolean} dataOnly fdatasync (a file's data) or fsync (a folder's names)
 */
async function syncPath(path, dataOnly) {
  const handle = await open(path, 'r');
  try {
    await (dataOnly ? handle.datasync() : handle.sync());
  } finally {
    await handle.close();
  }
}

/**
 * Temp copies whose data sync has started (the engine asks as soon as a copy is ready, so the
 * flushes overlap the copying), each resolving to the sync's error or undefined.
 * @type {Map<string, Promise<unknown>>}
 */
const dataSyncs = new Map();

/** @param {string} tempPath */
function startDataSync(tempPath) {
  let started = dataSyncs.get(tempPath);
  if (started === undefined) {
    started = inLane(() => syncPath(tempPath, true)).then(
      () => undefined,
      (/** @type {unknown} */ e) => e,
    );
    dataSyncs.set(tempPath, started);
  }
  return started;
}

/**
 * restic's order: temp data durable (fdatasync of each copy), renamed to its object name, names
 * durable (fsync of each folder renamed into); only after this returns may catalog rows point at
 * the objects. An existing object is complete (it was only renamed into place after its data was
 * synced), so a duplicate temp copy is dropped. No process is spawned: `sync -f` cost a process
 * start twice a batch, and syncfs also flushed whatever else was waiting on the disk.
 *
 * @param {CommitRequest} req
 * @returns {Promise<CommitOutcome>}
 */
async function commit(req) {
  try {
    let t = performance.now();
    const synced = await Promise.all(req.items.map((item) => startDataSync(item.tempPath)));
    for (const item of req.items) dataSyncs.delete(item.tempPath);
    const failed = synced.find((e) => e !== undefined);
    if (failed !== undefined) throw failed;
    let syncMs = performance.now() - t;
    t = performance.now();
    /** @type {boolean[]} */
    const deduplicated = [];
    /** @type {Set<string>} */
    const touchedDirs = new Set();
    for (const item of req.items) {
      let exists = true;
      try {
        lstatSync(item.objectPath);
      } catch (e) {
        if (errCode(e) !== 'ENOENT') throw e;
        exists = false;
      }
      if (exists) {
        unlinkSync(item.tempPath);
        deduplicated.push(true);
        continue;
      }
      const dir = dirname(item.objectPath);
      if (!knownDirs.has(dir)) {
        if (mkdirSync(dir, { recursive: true }) !== undefined) touchedDirs.add(req.objectsDir);
        knownDirs.add(dir);
      }
      touchedDirs.add(dir);
      renameSync(item.tempPath, item.objectPath);
      deduplicated.push(false);
    }
    const renameMs = performance.now() - t;
    t = performance.now();
    await Promise.all([...touchedDirs].map((d) => syncPath(d, false)));
    syncMs += performance.now() - t;
    return { kind: 'committed', deduplicated, timing: { syncMs, renameMs } };
  } catch (e) {
    return { kind: 'commit-failed', code: errCode(e), message: String(e) };
  }
}

port.on('message', (/** @type {WorkerRequest} */ req) => {
  if (req.type === 'sync-data') {
    for (const path of req.tempPaths) void startDataSync(path);
    return;
  }
  if (req.type === 'copy') {
    /** @type {WorkerReply} */
    const reply = { type: 'copy', id: req.id, outcome: copy(req) };
    port.postMessage(reply);
    return;
  }
  void commit(req).then((outcome) => {
    /** @type {WorkerReply} */
    const reply = { type: 'commit', id: req.id, outcome };
    port.postMessage(reply);
  });
});
