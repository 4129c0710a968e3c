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

/**
 * Otsu's threshold over a subsample of the page: scans are nearly bitonal (paper vs ink), so a
 * sparse histogram is as good as a full one and 16× cheaper.
 */
export function otsuThreshold(img: GrayImage, step = 4): number {
  const hist = new Float64Array(256);
  const { width, height, data } = img;
  let n = 0;
  for (let y = 0; y < height; y += step) {
    const row = y * width;
    for (let x = 0; x < width; x += step) {
      hist[data[row + x]!]!++;
      n++;
    }
  }
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * hist[i]!;
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
  // Pixels <= threshold are ink. Clamp so a blank page does not turn paper texture into ink.
  return Math.min(Math.max(bestT, 60), 200);
}

/**
 * Dark blobs inside the rectangle [x0, x1) × [y0, y1), by run-length union-find: one pass over
 * the pixels, then a pass over the runs. Pixels with value <= threshold are ink.
 */
export function findBlobs(
  img: GrayImage,
  threshold: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
): Blob[] {
  const { width, data } = img;
  x0 = Math.max(0, x0 | 0);
  y0 = Math.max(0, y0 | 0);
  x1 = Math.min(width, x1 | 0);
  y1 = Math.min(img.height, y1 | 0);
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
  for (let y = y0; y < y1; y++) {
    const row = y * width;
    const curFirst = nRuns;
    let x = x0;
    let k = prevFirst;
    while (x < x1) {
      if (data[row + x]! > threshold) {
        x++;
        continue;
      }
      const start = x;
      while (x < x1 && data[row + x]! <= threshold) x++;
      const end = x - 1;
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
  for (let i = 0; i < nRuns; i++) {
    const r = find(i);
    const s = runStart[i]!;
    const e = runEnd[i]!;
    const y = runY[i]!;
    const b = byRoot.get(r);
    if (b === undefined) {
      byRoot.set(r, { minX: s, maxX: e, minY: y, maxY: y, area: e - s + 1 });
    } else {
      if (s < b.minX) b.minX = s;
      if (e > b.maxX) b.maxX = e;
      if (y > b.maxY) b.maxY = y;
      if (y < b.minY) b.minY = y;
      b.area += e - s + 1;
    }
  }
  return [...byRoot.values()];
}
