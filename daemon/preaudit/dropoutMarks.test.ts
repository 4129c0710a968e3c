/**
 * Stroke shapes on a small dropout-ink oval, drawn at Dominion's size at 200 dpi (0.16 × 0.11 in,
 * a faint dotted outline): a check or X through it is a vote, a check beside it or a stroke lying
 * mostly beside it is doubtful, a dot in it and printed rules near it are neither.
 * (The real scans are read in dominionScans.test.ts, the generator's in imagecastAccuracy.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { isMarkBesideOval, isStrokeThroughOval, measureOvalStroke } from './dropoutMarks.ts';
import type { GrayImage } from './image.ts';

const RX = 15.8;
const RY = 10.8;
const CX = 100;
const CY = 100;

function page(): GrayImage {
  const img = { width: 220, height: 200, data: new Uint8Array(220 * 200).fill(255) };
  // the dropout outline: a dot every few pixels round the ring, as the scanner leaves it
  for (let a = 0; a < 2 * Math.PI; a += 0.3) set(img, CX + RX * Math.cos(a), CY + RY * Math.sin(a));
  return img;
}

function set(img: GrayImage, x: number, y: number): void {
  const xi = Math.round(x);
  const yi = Math.round(y);
  if (xi >= 0 && yi >= 0 && xi < img.width && yi < img.height) img.data[yi * img.width + xi] = 0;
}

/** A pen stroke about 4 px wide (0.02 in) along the points, in oval radii from the centre. */
function stroke(img: GrayImage, points: [number, number][], at: [number, number] = [CX, CY]): GrayImage {
  for (let k = 1; k < points.length; k++) {
    const [x0, y0] = points[k - 1]!;
    const [x1, y1] = points[k]!;
    const steps = Math.max(1, Math.ceil(Math.hypot((x1 - x0) * RX, (y1 - y0) * RY)));
    for (let s = 0; s <= steps; s++) {
      const x = at[0] + (x0 + ((x1 - x0) * s) / steps) * RX;
      const y = at[1] + (y0 + ((y1 - y0) * s) / steps) * RY;
      for (let dy = -2; dy <= 2; dy++) for (let dx = -2; dx <= 2; dx++) if (dx * dx + dy * dy <= 4) set(img, x + dx, y + dy);
    }
  }
  return img;
}

const measure = (img: GrayImage) => measureOvalStroke(img, CX, CY, RX, RY, (v) => v < 128);
const check: [number, number][] = [
  [-0.7, 0],
  [-0.15, 0.8],
  [1.1, -1.4],
];

describe('pen strokes on a dropout oval', () => {
  it('reads a check through the oval as a vote', () => {
    const m = measure(stroke(page(), check));
    expect(isStrokeThroughOval(m), JSON.stringify(m)).toBe(true);
  });

  it('reads an X and a slash through the oval as votes', () => {
    const x = stroke(
      stroke(page(), [
        [-1, -1],
        [1, 1],
      ]),
      [
        [-1, 1],
        [1, -1],
      ],
    );
    expect(isStrokeThroughOval(measure(x))).toBe(true);
    const slash = stroke(page(), [
      [-1.1, 0.9],
      [1.1, -0.9],
    ]);
    expect(isStrokeThroughOval(measure(slash)), JSON.stringify(measure(slash))).toBe(true);
  });

  it('leaves a blank oval and a dot in it alone', () => {
    const blank = measure(page());
    expect(isStrokeThroughOval(blank)).toBe(false);
    expect(isMarkBesideOval(blank)).toBe(false);
    const dot = measure(
      stroke(page(), [
        [0.1, 0],
        [0.1, 0],
      ]),
    );
    expect(dot.inside).toBeGreaterThan(0.02);
    expect(isStrokeThroughOval(dot)).toBe(false);
    expect(isMarkBesideOval(dot)).toBe(false);
  });

  it('does not count a small check inside the oval, nor a stroke lying mostly beside it', () => {
    const small = measure(stroke(page(), check.map(([x, y]) => [x * 0.45, y * 0.45] as [number, number])));
    expect(small.inside).toBeGreaterThan(0.1);
    expect(isStrokeThroughOval(small), JSON.stringify(small)).toBe(false);
    // the vertex in the oval, the long stroke running three radii away from it
    const long = measure(
      stroke(page(), [
        [-0.5, -0.5],
        [-0.4, 0.7],
        [2.6, -1.6],
      ]),
    );
    expect(long.inside).toBeGreaterThan(0.2);
    expect(isStrokeThroughOval(long), JSON.stringify(long)).toBe(false);
  });

  it('finds a check beside the oval doubtful', () => {
    const beside = measure(stroke(page(), check, [CX + 2.2 * RX, CY]));
    expect(beside.inside).toBe(0);
    expect(isMarkBesideOval(beside), JSON.stringify(beside)).toBe(true);
    expect(isStrokeThroughOval(beside)).toBe(false);
  });

  it('does not take a printed rule or a column of text beside the oval for a mark', () => {
    const img = page();
    for (let x = 0; x < img.width; x++) for (let dy = 0; dy < 2; dy++) img.data[(CY + Math.round(1.6 * RY) + dy) * img.width + x] = 0;
    for (let y = 0; y < img.height; y++) for (let dx = 0; dx < 2; dx++) img.data[y * img.width + CX - Math.round(1.5 * RX) - dx] = 0;
    const m = measure(img);
    expect(m.around).toBeGreaterThan(0.04);
    expect(isMarkBesideOval(m), JSON.stringify(m)).toBe(false);
  });
});
