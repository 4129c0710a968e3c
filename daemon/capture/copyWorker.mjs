// @ts-check
/**
 * A capture copy worker (plain JavaScript, type-checked through JSDoc, so a worker starts in
 * ~50 ms and ~9 MB without the TypeScript loader). Each file is opened, read once (every chunk hashed and written to a
 * temp file in the vault) and checked again, all with synchronous system calls on this thread:
 * one file costs a dozen syscalls here instead of a dozen hops through libuv's thread pool and
 * the main thread, which was the bottleneck for ballot-image-sized files.
 *
 * The copy is answered only once its data is durable: fdatasync on the descriptor it was written
 * through runs in libuv's pool while this thread copies the next file. That descriptor sees any
 * write-back error of the copy, and costs no second open, close or message per file (the commit
 * worker used to reopen every temp copy to sync it: 3 pool hops and a FileHandle each).
 */
import { createHash } from 'node:crypto';
import { close, closeSync, constants, fdatasync, fstatSync, fsync, lstatSync, mkdirSync, open, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
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
 * @typedef {Extract<CopyOutcome, { kind: 'copied' }>} Copied
 * @typedef {{ outcome: Exclude<CopyOutcome, Copied> } | { outcome: Copied, fd: number }} CopyResult
 *   a copied file comes with the temp copy's descriptor, still open, for makeDurable()
 */

/**
 * @param {CopyRequest} req
 * @returns {CopyResult}
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
    return { outcome: { kind: 'open-failed', code: errCode(e), message: String(e) } };
  }
  /** @type {number | undefined} */
  let out;
  // Which side a failure is on: the export (source) or the appliance's own vault.
  /** @type {'source' | 'vault'} */
  let side = 'source';
  try {
    const s = fstatSync(src, { bigint: true });
    if (!s.isFile()) return { outcome: { kind: 'not-a-file' } };
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
    const tClose = performance.now();
    /** @type {FileStat | undefined} */
    let after;
    try {
      after = toStat(lstatSync(path, { bigint: true }));
    } catch {
      after = undefined;
    }
    const sha256 = hash.digest('hex');
    const timing = { openMs, readMs, hashMs, writeMs, closeMs: performance.now() - tClose, syncMs: 0 };
    /** @type {Copied} */
    const copied = { kind: 'copied', sha256, bytes, before, after, ...(prefixSha256 === undefined ? {} : { prefixSha256 }), timing };
    const fd = out;
    out = undefined; // makeDurable() closes it
    return { outcome: copied, fd };
  } catch (e) {
    if (out !== undefined) {
      closeQuietly(out);
      try {
        unlinkSync(req.tempPath);
      } catch {
        // nothing written under that name
      }
    }
    return { outcome: { kind: 'copy-failed', code: errCode(e), message: String(e), side } };
  } finally {
    closeQuietly(src);
  }
}

/**
 * Was the file the same before and after it was read (the engine's check, copyQueue.ts)? A copy
 * that fails it is discarded there, so its data is not worth a sync.
 *
 * @param {Copied} c
 */
function readWhole(c) {
  const { before, after } = c;
  return after !== undefined && after.size === before.size && after.mtimeNs === before.mtimeNs && after.ino === before.ino && c.bytes === before.size;
}

/**
 * Makes a temp copy's data durable (fdatasync through the descriptor it was written with), closes
 * it, and calls `done` with the outcome to answer: a copy that cannot be synced is removed and
 * reported as a vault write failure, so no commit ever renames it.
 *
 * @param {CopyRequest} req
 * @param {Copied} copied
 * @param {number} fd
 * @param {(outcome: CopyOutcome) => void} done
 */
function makeDurable(req, copied, fd, done) {
  const t = performance.now();
  const finish = (/** @type {NodeJS.ErrnoException | null} */ e) => {
    /** @type {unknown} */
    let failure = e ?? undefined;
    try {
      closeSync(fd);
    } catch (closeError) {
      failure ??= closeError;
    }
    if (failure !== undefined) {
      try {
        unlinkSync(req.tempPath);
      } catch {
        // nothing left under that name
      }
      done({ kind: 'copy-failed', code: errCode(failure), message: String(failure), side: 'vault' });
      return;
    }
    done({ ...copied, timing: { ...copied.timing, syncMs: performance.now() - t } });
  };
  if (readWhole(copied)) fdatasync(fd, finish);
  else finish(null);
}

/**
 * Makes a folder's names durable (fsync of the folder). Callback API: one pool hop per call and
 * no FileHandle, several hundred of them a batch.
 *
 * @param {string} dir
 * @returns {Promise<void>}
 */
function syncDir(dir) {
  return new Promise((resolve, reject) => {
    open(dir, 'r', (e, fd) => {
      if (e !== null) return reject(e);
      fsync(fd, (syncError) => {
        close(fd, (closeError) => {
          const failure = syncError ?? closeError;
          if (failure !== null) reject(failure);
          else resolve();
        });
      });
    });
  });
}

/**
 * restic's order: temp data durable (each copy was synced before it was answered), renamed to its
 * object name, names durable (fsync of each folder renamed into); only after this returns may
 * catalog rows point at the objects. An existing object is complete (it was only renamed into
 * place after its data was synced), so a duplicate temp copy is dropped. Every temp copy is
 * checked to be there before the first rename: a batch is renamed whole or not at all.
 *
 * @param {CommitRequest} req
 * @returns {Promise<CommitOutcome>}
 */
async function commit(req) {
  try {
    let t = performance.now();
    for (const item of req.items) lstatSync(item.tempPath);
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
    await Promise.all([...touchedDirs].map((d) => syncDir(d)));
    const syncMs = performance.now() - t;
    return { kind: 'committed', deduplicated, timing: { syncMs, renameMs } };
  } catch (e) {
    return { kind: 'commit-failed', code: errCode(e), message: String(e) };
  }
}

port.on('message', (/** @type {WorkerRequest} */ req) => {
  if (req.type === 'copy') {
    const answer = (/** @type {CopyOutcome} */ outcome) => {
      /** @type {WorkerReply} */
      const reply = { type: 'copy', id: req.id, outcome };
      port.postMessage(reply);
    };
    const result = copy(req);
    if ('fd' in result) makeDurable(req, result.outcome, result.fd, answer);
    else answer(result.outcome);
    return;
  }
  void commit(req).then((outcome) => {
    /** @type {WorkerReply} */
    const reply = { type: 'commit', id: req.id, outcome };
    port.postMessage(reply);
  });
});
