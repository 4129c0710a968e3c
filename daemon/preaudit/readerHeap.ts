import v8 from 'node:v8';

/**
 * Old-generation size (MB) a sheet-reading worker starts with. V8 starts a new isolate's old
 * generation at a few MB; a reader decodes two 3.7 MB pages per sheet and registers them, and with
 * the default V8 ran a full mark-compact about every two sheets (98 in 200 on bench/marks), a third
 * of the reading time. With 64 MB it ran 2 (bench/marks: about 54 → 31 ms of CPU per sheet). The
 * cost is memory: a reader's heap may grow to ~64 MB before its first full collection.
 */
export const READER_INITIAL_OLD_SPACE_MB = 64;

let configured = false;

/**
 * Makes isolates created from now on (the pre-audit's worker threads) start with a larger old
 * generation. V8 reads heap sizes when it creates an isolate, so this changes the workers started
 * afterwards and not the running main thread. Node accepts this flag neither in NODE_OPTIONS nor in
 * a worker's execArgv, and the launcher cannot add flags to its own process; hence set here.
 */
export function configureReaderHeap(): void {
  if (configured) return;
  v8.setFlagsFromString(`--initial-old-space-size=${READER_INITIAL_OLD_SPACE_MB}`);
  configured = true;
}
