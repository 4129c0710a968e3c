import type { GrayImage } from './image.ts';

/** Bounding box and ink count of one 8-connected blob of dark pixels. */
export interface Blob {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
  /** Dark pixels in the blob. */
  area: number;
}

export function blobWidth(b: Blob): number {
  return b.maxX - b.minX + 1;
}
export function blobHeight(b: Blob): number {
  return b.maxY - b.minY + 1;
}

/** Grey-level histogram over a subsample of the page (scans are nearly bitonal; 1/49 is plenty). */
export function pageHistogram(img: GrayImage, step = 7): Float64Array {
  // Counted in integers into two tables in turn (most samples are paper, and back-to-back
  // increments of one counter wait on each other), returned as floats.
  const a = new Uint32Array(256);
  const b = new Uint32Array(256);
  const { width, height, data } = img;
  for (let y = 0; y < height; y += step) {
    const row = y * width;
    let x = 0;
    for (; x + step < width; x += 2 * step) {
      a[data[row + x]!]!++;
      b[data[row + x + step]!]!++;
    }
    if (x < width) a[data[row + x]!]!++;
  }
  const hist = new Float64Array(256);
  for (let v = 0; v < 256; v++) hist[v] = a[v]! + b[v]!;
  return hist;
}

/** Otsu's threshold: pixels <= threshold are ink. */
export function otsuThreshold(img: GrayImage, hist: Float64Array = pageHistogram(img)): number {
  let n = 0;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) {
    n += hist[i]!;
    sumAll += i * hist[i]!;
  }
  let sumB = 0;
  let wB = 0;
  let best = 0;
  let bestT = 128;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = n - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > best) {
      best = between;
      bestT = t;
    }
  }
  // Clamp so a blank page does not turn paper texture into ink.
  return Math.min(Math.max(bestT, 60), 200);
}

/** Paper and ink grey levels of one page, for scores that do not depend on scanner contrast. */
export interface Levels {
  readonly paper: number;
  readonly ink: number;
}

export function measureLevels(img: GrayImage, hist: Float64Array = pageHistogram(img)): Levels {
  let n = 0;
  for (let v = 0; v < 256; v++) n += hist[v]!;
  const at = (p: number) => {
    let acc = 0;
    for (let v = 0; v < 256; v++) {
      acc += hist[v]!;
      if (acc >= p * n) return v;
    }
    return 255;
  };
  // Most of a ballot is paper; the darkest percent is ink (timing marks, header bars).
  const paper = at(0.6);
  const ink = Math.min(at(0.01), paper - 64);
  return { paper, ink: Math.max(0, ink) };
}

/**
 * Dark blobs inside the rectangle [x0, x1) × [y0, y1), by run-length union-find: one pass over
 * the pixels, then a pass over the runs. Pixels with value <= threshold are ink.
 * With `step` > 1 only every step-th row and column is looked at (a coarse, 1/step² as costly
 * pass); boxes and areas are then approximate, in full-resolution units. Use `refineBlob` after.
 */
export function findBlobs(
  img: GrayImage,
  threshold: number,
  bx0: number,
  by0: number,
  bx1: number,
  by1: number,
  step = 1,
  /** Image columns / rows to treat as paper (scanner streaks, paper edges), 1 = ignore. */
  ignoreX?: Uint8Array,
  ignoreY?: Uint8Array,
): Blob[] {
  const { width, height } = img;
  const x0 = Math.max(0, bx0 | 0);
  const y0 = Math.max(0, by0 | 0);
  const x1 = Math.min(width, bx1 | 0);
  const y1 = Math.min(height, by1 | 0);
  if (x1 <= x0 || y1 <= y0) return [];
  return blobsOf(img.data, width, x0, y0, x1, y1, threshold, step, ignoreX, ignoreY);
}

/**
 * The run-length union-find of `findBlobs`. Ignored rows read as paper by having no runs, ignored
 * columns by a test on ink samples only (no copy of the pixels; paper samples cost the same).
 */
function blobsOf(
  data: Uint8Array,
  stride: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  threshold: number,
  step: number,
  ignoreX: Uint8Array | undefined,
  ignoreY: Uint8Array | undefined,
): Blob[] {
  // Runs are stored flat: start, end (inclusive), y. The arrays are reused from call to call
  // (fresh typed arrays on every page made the garbage collector run several times as often).
  let { runStart, runEnd, runY, parent } = scratch;
  let nRuns = 0;
  let prevFirst = 0;
  let prevLast = 0; // runs of previous row: [prevFirst, prevLast)
  // Run coordinates are in sample units (x index / step) so 8-connectivity works at any step.
  for (let y = y0; y < y1; y += step) {
    const row = y * stride;
    const curFirst = nRuns;
    if (ignoreY !== undefined && ignoreY[y] === 1) {
      prevFirst = prevLast = nRuns;
      continue;
    }
    let x = x0;
    let k = prevFirst;
    while (x < x1) {
      if (data[row + x]! > threshold || (ignoreX !== undefined && ignoreX[x] === 1)) {
        x += step;
        continue;
      }
      const start = ((x - x0) / step) | 0;
      while (x < x1 && data[row + x]! <= threshold && (ignoreX === undefined || ignoreX[x] !== 1)) x += step;
      const end = ((x - x0) / step - 1) | 0;
      if (nRuns === runStart.length) {
        runStart = grown(runStart);
        runEnd = grown(runEnd);
        runY = grown(runY);
        parent = grown(parent);
        scratch = { ...scratch, runStart, runEnd, runY, parent };
      }
      const id = nRuns++;
      runStart[id] = start;
      runEnd[id] = end;
      runY[id] = y;
      parent[id] = id;
      // 8-connectivity: previous-row runs overlapping [start-1, end+1].
      while (k < prevLast && runEnd[k]! < start - 1) k++;
      let j = k;
      while (j < prevLast && runStart[j]! <= end + 1) {
        const a = rootOf(parent, id);
        const b = rootOf(parent, j);
        if (a !== b) {
          if (a < b) parent[b] = a;
          else parent[a] = b;
        }
        j++;
      }
      // the last overlapping run may also touch the next run of this row
      if (j > k) k = j - 1;
    }
    prevFirst = curFirst;
    prevLast = nRuns;
  }
  // Roots always have the lowest run index of their blob, so one forward pass assigns blobs.
  if (scratch.blobOf.length < nRuns) scratch.blobOf = new Int32Array(runStart.length);
  const blobOf = scratch.blobOf;
  const blobs: Blob[] = [];
  const area = step * step;
  for (let i = 0; i < nRuns; i++) {
    const r = rootOf(parent, i);
    const s = x0 + runStart[i]! * step;
    const e = x0 + runEnd[i]! * step + step - 1;
    const y = runY[i]!;
    const n = (runEnd[i]! - runStart[i]! + 1) * area;
    const yEnd = y + step - 1;
    if (r === i) {
      blobOf[i] = blobs.length;
      blobs.push({ minX: s, maxX: e, minY: y, maxY: yEnd, area: n });
    } else {
      const b = blobs[blobOf[r]!]!;
      if (s < b.minX) b.minX = s;
      if (e > b.maxX) b.maxX = e;
      if (yEnd > b.maxY) b.maxY = yEnd;
      if (y < b.minY) b.minY = y;
      b.area += n;
    }
  }
  return blobs;
}

/** Run arrays shared by every blobsOf call (single-threaded; each worker thread has its own). */
let scratch = {
  runStart: new Int32Array(8192),
  runEnd: new Int32Array(8192),
  runY: new Int32Array(8192),
  parent: new Int32Array(8192),
  blobOf: new Int32Array(8192),
};

function rootOf(parent: Int32Array, i: number): number {
  while (parent[i] !== i) {
    const p = parent[parent[i]!]!;
    parent[i] = p;
    i = p;
  }
  return i;
}

function grown(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

/**
 * Image columns inside [x0, x1) that are ink over most of the page height: scanner streaks and
 * the edge of the paper, which would otherwise swallow the timing marks they touch.
 */
export function streakColumns(img: GrayImage, threshold: number, x0: number, x1: number, minShare = 0.85): Uint8Array | undefined {
  const { width, height, data } = img;
  const xa = Math.max(0, x0);
  const xb = Math.min(width, x1);
  // A streak runs the page's length, so every 16th row finds it. Every 64th row first: a column
  // inked on minShare of the 16th rows misses at most that many of the 64th rows, so only
  // columns that pass this bound are counted on the 16th rows (same result, a quarter the reads).
  let rows16 = 0;
  let rows64 = 0;
  for (let y = 0; y < height; y += 16) {
    rows16++;
    if (y % 64 === 0) rows64++;
  }
  const need16 = rows16 * minShare;
  const need64 = rows64 - (rows16 - Math.ceil(need16));
  const counts = new Uint32Array(width);
  for (let y = 0; y < height; y += 64) {
    const row = y * width;
    for (let x = xa; x < xb; x++) if (data[row + x]! <= threshold) counts[x]!++;
  }
  const candidates: number[] = [];
  for (let x = xa; x < xb; x++) if (counts[x]! >= need64) candidates.push(x);
  if (candidates.length === 0) return undefined;
  let out: Uint8Array | undefined;
  for (const x of candidates) {
    let n = 0;
    for (let y = 0; y < height; y += 16) if (data[y * width + x]! <= threshold) n++;
    if (n >= need16) (out ??= new Uint8Array(width))[x] = 1;
  }
  return out;
}

/** Rows inside [y0, y1) that are ink over most of the page width (horizontal streaks, paper edges). */
export function streakRows(img: GrayImage, threshold: number, y0: number, y1: number, minShare = 0.9): Uint8Array | undefined {
  const { width, height, data } = img;
  let seen = 0;
  for (let x = 0; x < width; x += 4) seen++;
  // A row stops being a candidate at its first paper sample beyond the share allowed.
  const maxPaper = seen - Math.ceil(seen * minShare);
  let out: Uint8Array | undefined;
  for (let y = Math.max(0, y0); y < Math.min(height, y1); y++) {
    const row = y * width;
    let paper = 0;
    for (let x = 0; x < width && paper <= maxPaper; x += 4) if (data[row + x]! > threshold) paper++;
    if (paper <= maxPaper) (out ??= new Uint8Array(height))[y] = 1;
  }
  return out;
}

/**
 * Exact box and ink count of a blob found by a coarse pass: the extent of ink in the coarse box
 * grown by `pad` pixels, shrinking from each side until a line with ink is met.
 */
export function refineBlob(img: GrayImage, threshold: number, b: Blob, pad: number): Blob {
  const { width, height, data } = img;
  let minX = Math.max(0, b.minX - pad);
  let maxX = Math.min(width - 1, b.maxX + pad);
  let minY = Math.max(0, b.minY - pad);
  let maxY = Math.min(height - 1, b.maxY + pad);
  while (minY < maxY && !rowHasInk(data, width, threshold, minY, minX, maxX)) minY++;
  while (maxY > minY && !rowHasInk(data, width, threshold, maxY, minX, maxX)) maxY--;
  while (minX < maxX && !columnHasInk(data, width, threshold, minX, minY, maxY)) minX++;
  while (maxX > minX && !columnHasInk(data, width, threshold, maxX, minY, maxY)) maxX--;
  let area = 0;
  for (let y = minY; y <= maxY; y++) {
    const row = y * width;
    for (let x = minX; x <= maxX; x++) if (data[row + x]! <= threshold) area++;
  }
  return { minX, minY, maxX, maxY, area };
}

function rowHasInk(data: Uint8Array, width: number, threshold: number, y: number, x0: number, x1: number): boolean {
  const row = y * width;
  for (let x = x0; x <= x1; x++) if (data[row + x]! <= threshold) return true;
  return false;
}

function columnHasInk(data: Uint8Array, width: number, threshold: number, x: number, y0: number, y1: number): boolean {
  for (let y = y0; y <= y1; y++) if (data[y * width + x]! <= threshold) return true;
  return false;
}
