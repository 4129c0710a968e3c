// Runs one scrypt at a time on this worker's own thread, so password checks never queue in
// libuv's thread pool ahead of the daemon's file reads and writes (daemon/web/passwordPool.ts).
'use strict';
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');

parentPort.on('message', (job) => {
  try {
    const key = scryptSync(job.password, Buffer.from(job.salt), job.keyLength, job.options);
    parentPort.postMessage({ id: job.id, key });
  } catch (e) {
    parentPort.postMessage({ id: job.id, error: e instanceof Error ? e.message : String(e) });
  }
});
