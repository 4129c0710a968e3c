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
  const hist = new Float64Array(256);
  const { width, height, data } = img;
  for (let y = 0; y < height; y += step) {
    const row = y * width;
    for (let x = 0; x < width; x += step) hist[data[row + x]!]!++;
  }
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
  const { width } = img;
  let data = img.data;
  if (ignoreX !== undefined || ignoreY !== undefined) {
    // Paint the ignored lines white in a private copy of the band (cheaper than a test per pixel).
    data = new Uint8Array(img.data);
    for (let y = Math.max(0, by0 | 0); y < Math.min(img.height, by1 | 0); y++) {
      const row = y * width;
      if (ignoreY?.[y] === 1) {
        data.fill(255, row + Math.max(0, bx0 | 0), row + Math.min(width, bx1 | 0));
        continue;
      }
      if (ignoreX !== undefined) for (let x = Math.max(0, bx0 | 0); x < Math.min(width, bx1 | 0); x++) if (ignoreX[x] === 1) data[row + x] = 255;
    }
  }
  const x0 = Math.max(0, bx0 | 0);
  const y0 = Math.max(0, by0 | 0);
  const x1 = Math.min(width, bx1 | 0);
  const y1 = Math.min(img.height, by1 | 0);
  // Runs are stored flat: start, end (inclusive), y.
  let runStart = new Int32Array(4096);
  let runEnd = new Int32Array(4096);
  let runY = new Int32Array(4096);
  let parent = new Int32Array(4096);
  let nRuns = 0;
  let prevFirst = 0;
  let prevLast = 0; // runs of previous row: [prevFirst, prevLast)
  const find = (i: number): number => {
    while (parent[i] !== i) {
      const p = parent[parent[i]!]!;
      parent[i] = p;
      i = p;
    }
    return i;
  };
  // Run coordinates are in sample units (x index / step) so 8-connectivity works at any step.
  for (let y = y0; y < y1; y += step) {
    const row = y * width;
    const curFirst = nRuns;
    let x = x0;
    let k = prevFirst;
    while (x < x1) {
      if (data[row + x]! > threshold) {
        x += step;
        continue;
      }
      const start = ((x - x0) / step) | 0;
      while (x < x1 && data[row + x]! <= threshold) x += step;
      const end = ((x - x0) / step - 1) | 0;
      if (nRuns === runStart.length) {
        const grow = (a: Int32Array) => {
          const b = new Int32Array(a.length * 2);
          b.set(a);
          return b;
        };
        runStart = grow(runStart);
        runEnd = grow(runEnd);
        runY = grow(runY);
        parent = grow(parent);
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
        const a = find(id);
        const b = find(j);
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
  const byRoot = new Map<number, Blob>();
  const area = step * step;
  for (let i = 0; i < nRuns; i++) {
    const r = find(i);
    const s = x0 + runStart[i]! * step;
    const e = x0 + runEnd[i]! * step + step - 1;
    const y = runY[i]!;
    const b = byRoot.get(r);
    const n = (runEnd[i]! - runStart[i]! + 1) * area;
    const yEnd = y + step - 1;
    if (b === undefined) {
      byRoot.set(r, { minX: s, maxX: e, minY: y, maxY: yEnd, area: n });
    } else {
      if (s < b.minX) b.minX = s;
      if (e > b.maxX) b.maxX = e;
      if (yEnd > b.maxY) b.maxY = yEnd;
      if (y < b.minY) b.minY = y;
      b.area += n;
    }
  }
  return [...byRoot.values()];
}

/**
 * Image columns inside [x0, x1) that are ink over most of the page height: scanner streaks and
 * the edge of the paper, which would otherwise swallow the timing marks they touch.
 */
export function streakColumns(img: GrayImage, threshold: number, x0: number, x1: number, minShare = 0.85): Uint8Array | undefined {
  const { width, height, data } = img;
  const counts = new Uint32Array(width);
  let rows = 0;
  // Every 16th row: a streak runs the page's length, so a sparse sample finds it.
  for (let y = 0; y < height; y += 16) {
    const row = y * width;
    for (let x = Math.max(0, x0); x < Math.min(width, x1); x++) if (data[row + x]! <= threshold) counts[x]!++;
    rows++;
  }
  let out: Uint8Array | undefined;
  for (let x = Math.max(0, x0); x < Math.min(width, x1); x++) {
    if (counts[x]! >= rows * minShare) (out ??= new Uint8Array(width))[x] = 1;
  }
  return out;
}

/** Rows inside [y0, y1) that are ink over most of the page width (horizontal streaks, paper edges). */
export function streakRows(img: GrayImage, threshold: number, y0: number, y1: number, minShare = 0.9): Uint8Array | undefined {
  const { width, height, data } = img;
  let out: Uint8Array | undefined;
  for (let y = Math.max(0, y0); y < Math.min(height, y1); y++) {
    const row = y * width;
    let n = 0;
    let seen = 0;
    for (let x = 0; x < width; x += 4) {
      seen++;
      if (data[row + x]! <= threshold) n++;
    }
    if (n >= seen * minShare) (out ??= new Uint8Array(height))[y] = 1;
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
  const rowHasInk = (y: number) => {
    const row = y * width;
    for (let x = minX; x <= maxX; x++) if (data[row + x]! <= threshold) return true;
    return false;
  };
  const colHasInk = (x: number) => {
    for (let y = minY; y <= maxY; y++) if (data[y * width + x]! <= threshold) return true;
    return false;
  };
  while (minY < maxY && !rowHasInk(minY)) minY++;
  while (maxY > minY && !rowHasInk(maxY)) maxY--;
  while (minX < maxX && !colHasInk(minX)) minX++;
  while (maxX > minX && !colHasInk(maxX)) maxX--;
  let area = 0;
  for (let y = minY; y <= maxY; y++) {
    const row = y * width;
    for (let x = minX; x <= maxX; x++) if (data[row + x]! <= threshold) area++;
  }
  return { minX, minY, maxX, maxY, area };
}
