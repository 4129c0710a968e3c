// @ts-check
/**
 * A capture copy worker (plain JavaScript, type-checked through JSDoc, so a worker starts in
 * ~50 ms and ~9 MB without the TypeScript loader). Each file is opened, read once (every chunk hashed and written to a
 * temp file in the vault) and checked again, all with synchronous system calls on this thread:
 * one file costs a dozen syscalls here instead of a dozen hops through libuv's thread pool and
 * the main thread, which was the bottleneck for ballot-image-sized files.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
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

/** @type {boolean | undefined} */
let syncfsWorks;

/** syncfs(2) through coreutils `sync -f`: one flush of the vault's file system instead of one fsync per file. */
/**
 * @param {string} dir
 * @returns {boolean}
 */
function syncFileSystem(dir) {
  if (syncfsWorks === false) return false;
  const r = spawnSync('sync', ['-f', dir], { stdio: 'ignore' });
  if (r.error !== undefined || r.status !== 0) {
    // No `sync` binary (ENOENT) or it failed: per-file fsync from now on, which is always correct.
    syncfsWorks = false;
    return false;
  }
  syncfsWorks = true;
  return true;
}

/** @param {string} path */
function fsyncPath(path) {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * restic's order: temp data durable, renamed to its object name, names durable; only after this
 * returns may catalog rows point at the objects. An existing object is complete (it was only
 * renamed into place after its data was synced), so a duplicate temp copy is dropped.
 *
 * @param {CommitRequest} req
 * @returns {CommitOutcome}
 */
function commit(req) {
  try {
    let t = performance.now();
    const viaSyncfs = syncFileSystem(req.tempDir);
    if (!viaSyncfs) for (const item of req.items) fsyncPath(item.tempPath);
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
    if (!viaSyncfs || !syncFileSystem(req.objectsDir)) for (const d of touchedDirs) fsyncPath(d);
    syncMs += performance.now() - t;
    return { kind: 'committed', deduplicated, syncMode: viaSyncfs ? 'syncfs' : 'fsync', timing: { syncMs, renameMs } };
  } catch (e) {
    return { kind: 'commit-failed', code: errCode(e), message: String(e) };
  }
}

port.on('message', (/** @type {WorkerRequest} */ req) => {
  /** @type {WorkerReply} */
  const reply = req.type === 'copy' ? { type: 'copy', id: req.id, outcome: copy(req) } : { type: 'commit', id: req.id, outcome: commit(req) };
  port.postMessage(reply);
});
