/** Small measurements shared by the grid finders: ink in a box, medians, interpolation between side marks. */
import type { GrayImage } from './image.ts';
import type { Point } from './timingMarks.ts';

/** Fraction of ink pixels in the box centred on (cx, cy) with half-sizes hw, hh. */
export function inkFraction(img: GrayImage, threshold: number, cx: number, cy: number, hw: number, hh: number): number {
  const { width, height, data } = img;
  let ink = 0;
  let total = 0;
  for (let y = Math.max(0, cy - hh); y <= Math.min(height - 1, cy + hh); y++) {
    const row = y * width;
    for (let x = Math.max(0, cx - hw); x <= Math.min(width - 1, cx + hw); x++) {
      total++;
      if (data[row + x]! <= threshold) ink++;
    }
  }
  return total === 0 ? 0 : ink / total;
}

export function median(values: readonly number[]): number {
  return percentile(values, 0.5);
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!;
}

export function medianGap(sorted: readonly number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++) gaps.push(sorted[i]! - sorted[i - 1]!);
  // Most gaps are one pitch; the lower half excludes the double gaps left by missing marks.
  return percentile(gaps, 0.35);
}

/**
 * The point a fraction t of the way from the left side's marks to the right side's at a (fractional)
 * row: each side interpolated between its two nearest marks, so a bowed or skewed page is followed.
 */
export function pointBetweenSideMarks(L: readonly Point[], R: readonly Point[], rows: number, row: number, t: number): Point {
  const r0 = Math.max(0, Math.min(rows - 1, Math.floor(row)));
  const r1 = Math.min(rows - 1, r0 + 1);
  const f = row - r0;
  const l0 = L[r0]!;
  const l1 = L[r1]!;
  const q0 = R[r0]!;
  const q1 = R[r1]!;
  const lx = l0.x + (l1.x - l0.x) * f;
  const ly = l0.y + (l1.y - l0.y) * f;
  const rx = q0.x + (q1.x - q0.x) * f;
  const ry = q0.y + (q1.y - q0.y) * f;
  return { x: lx + (rx - lx) * t, y: ly + (ry - ly) * t };
}
