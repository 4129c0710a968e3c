/** Lines of timing marks along an edge: fitting them, numbering them, filling in missing ones. */
import { type Blob, blobHeight } from './components.ts';
import { median } from './gridMath.ts';
import type { Point } from './timingMarks.ts';

export interface EdgeFit {
  /** Inlier blobs, sorted along the edge. */
  readonly marks: Blob[];
  /** Line v = a*u + b, where u runs along the edge and v is the inner-edge coordinate. */
  readonly a: number;
  readonly b: number;
}

/** Deterministic RANSAC for the straight line of marks along one edge. */
export function fitEdge(
  blobs: readonly Blob[],
  u: (b: Blob) => number,
  v: (b: Blob) => number,
  tol: number,
  length: number,
): EdgeFit | undefined {
  const n = blobs.length;
  if (n < 2) return undefined;
  const us = blobs.map(u);
  const vs = blobs.map(v);
  let bestCount = 0;
  let bestErr = Infinity;
  let bestA = 0;
  let bestB = 0;
  let seed = 12345;
  const rand = (k: number) => {
    // 32-bit LCG with Math.imul: plain float multiplication would lose the low bits.
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % k;
  };
  const consider = (i: number, j: number) => {
    const du = us[j]! - us[i]!;
    if (Math.abs(du) < length * 0.1) return;
    const a = (vs[j]! - vs[i]!) / du;
    if (Math.abs(a) > 0.08) return; // more than ~4.5° of skew is not a scan we can trust
    const b = vs[i]! - a * us[i]!;
    let count = 0;
    let e = 0;
    for (let k = 0; k < n; k++) {
      // Stop once this line can no longer reach the best count (it could not even tie).
      if (count + (n - k) < bestCount) return;
      const d = Math.abs(vs[k]! - (a * us[k]! + b));
      if (d <= tol) {
        count++;
        e += d;
      }
    }
    if (count > bestCount || (count === bestCount && e < bestErr)) {
      bestCount = count;
      bestErr = e;
      bestA = a;
      bestB = b;
    }
  };
  // Every pair when there are few candidates; a fixed pseudo-random sample otherwise.
  if (n <= 70) {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) consider(i, j);
  } else {
    for (let t = 0; t < 1500; t++) consider(rand(n), rand(n));
  }
  if (bestCount < 2) return undefined;
  // Least-squares refinement on the inliers, twice.
  let a = bestA;
  let b = bestB;
  let inliers: number[] = [];
  for (let pass = 0; pass < 2; pass++) {
    inliers = [];
    for (let k = 0; k < n; k++) if (Math.abs(vs[k]! - (a * us[k]! + b)) <= tol) inliers.push(k);
    if (inliers.length < 2) break;
    let su = 0;
    let sv = 0;
    let suu = 0;
    let suv = 0;
    for (const k of inliers) {
      su += us[k]!;
      sv += vs[k]!;
      suu += us[k]! * us[k]!;
      suv += us[k]! * vs[k]!;
    }
    const m = inliers.length;
    const den = m * suu - su * su;
    if (den !== 0) {
      a = (m * suv - su * sv) / den;
      b = (sv - a * su) / m;
    }
  }
  // Keep marks of a consistent size: a blob of text that happens to sit on the line is dropped.
  const hs = inliers.map((k) => blobHeight(blobs[k]!));
  const mh = median(hs);
  const marks = inliers
    .filter((k) => {
      const h = blobHeight(blobs[k]!);
      return h >= mh * 0.6 && h <= mh * 1.5;
    })
    .map((k) => blobs[k]!)
    .sort((p, q) => u(p) - u(q));
  return { marks, a, b };
}

/**
 * Grid index of each mark from the gaps between neighbours: a gap of about two pitches means a
 * missing mark. Blobs closer than half a pitch are fragments of one mark; the later is dropped
 * (index repeated, filtered by the caller).
 */
export function indexAlong(positions: readonly number[], pitch: number, first: number): number[] | undefined {
  const gaps: number[] = [];
  for (let i = 1; i < positions.length; i++) gaps.push(positions[i]! - positions[i - 1]!);
  const idx: number[] = [first];
  for (let i = 0; i < gaps.length; i++) {
    // Local pitch from neighbouring single-pitch gaps: a stretched stretch of paper widens
    // gaps locally, and must not read as a missing mark.
    const near: number[] = [];
    for (let j = Math.max(0, i - 3); j <= Math.min(gaps.length - 1, i + 3); j++) {
      const g = gaps[j]!;
      if (j !== i && g > pitch * 0.6 && g < pitch * 1.4) near.push(g);
    }
    const local = near.length >= 2 ? median(near) : pitch;
    const ratio = gaps[i]! / local;
    // Missing marks make gaps of ~2, ~3 pitches; anything under 1.6 is one (stretched) pitch.
    const steps = ratio < 0.5 ? 0 : ratio < 1.6 ? 1 : Math.round(ratio);
    idx.push(idx[i]! + steps);
  }
  return idx;
}

export function completeColumn(
  centres: readonly Point[],
  index: readonly number[],
  rows: number,
): { points: Point[]; interpolated: boolean[] } {
  const known = new Map<number, Point>();
  for (let i = 0; i < centres.length; i++) if (!known.has(index[i]!)) known.set(index[i]!, centres[i]!);
  const ks = [...known.keys()].sort((p, q) => p - q);
  const points: Point[] = [];
  const interpolated: boolean[] = [];
  for (let r = 0; r < rows; r++) {
    const exact = known.get(r);
    if (exact !== undefined) {
      points.push(exact);
      interpolated.push(false);
      continue;
    }
    // Interpolate between the nearest known marks; extrapolate from the two nearest at the ends.
    let lo = -1;
    let hi = -1;
    for (const k of ks) {
      if (k < r) lo = k;
      else if (k > r && hi === -1) hi = k;
    }
    let i0: number;
    let i1: number;
    if (lo !== -1 && hi !== -1) {
      i0 = lo;
      i1 = hi;
    } else if (lo !== -1) {
      i1 = lo;
      i0 = ks[Math.max(0, ks.indexOf(lo) - 1)]!;
    } else {
      i0 = hi;
      i1 = ks[Math.min(ks.length - 1, ks.indexOf(hi) + 1)]!;
    }
    const p0 = known.get(i0)!;
    const p1 = known.get(i1)!;
    const f = i1 === i0 ? 0 : (r - i0) / (i1 - i0);
    points.push({ x: p0.x + (p1.x - p0.x) * f, y: p0.y + (p1.y - p0.y) * f });
    interpolated.push(true);
  }
  return { points, interpolated };
}
