import { close, open, read } from 'node:fs';

/**
 * Reads a file front to back in the background, results dropped, so its pages are in the OS
 * cache when they are asked for. A full rescan asks the catalog for one folder at a time: on a
 * cold disk each of those index lookups waited for the drive, page by page, in no order the
 * kernel could read ahead; this one sequential pass (the catalog is ~700 bytes a file) overlaps
 * the walk of the tree and costs no memory beyond one buffer (page cache is not the process's).
 * Returns a function that stops the pass (it also ends by itself at the end of the file).
 */
export function warmFileCache(path: string, chunkBytes = 4 * 1024 * 1024): () => void {
  let stopped = false;
  open(path, 'r', (e, fd) => {
    if (e) return; // no file, no gain: the queries read it as they always did
    const buffer = Buffer.allocUnsafe(chunkBytes);
    let at = 0;
    const next = (): void => {
      if (stopped) return close(fd, () => undefined);
      read(fd, buffer, 0, chunkBytes, at, (err, n) => {
        if (err || n === 0) return close(fd, () => undefined);
        at += n;
        next();
      });
    };
    next();
  });
  return () => {
    stopped = true;
  };
}
