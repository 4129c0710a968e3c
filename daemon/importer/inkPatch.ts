// Pure: the ink of one marked target, as the pre-audit's reader stored it, and how alike two of them are.
// Phase 1's rescan check (sameInk.ts) compares them; the reader (preaudit/inkSignature.ts) makes them.

/**
 * The ink (1) and paper (0) pixels in a box twice the printed target's size, centred on it, at the
 * scan's own resolution: the hand-drawn edge of a fill, its overflow, a check's stroke.
 */
export interface InkPatch {
  readonly width: number;
  readonly height: number;
  readonly ink: Uint8Array;
}

/** `<width>x<height>:<base64 of the pixels, 8 a byte, row by row>`: about 500 characters for a 200 dpi oval. */
export function encodeInkPatch(p: InkPatch): string {
  const bytes = new Uint8Array(Math.ceil((p.width * p.height) / 8));
  p.ink.forEach((v, i) => {
    if (v !== 0) bytes[i >> 3]! |= 1 << (i & 7);
  });
  return `${p.width}x${p.height}:${Buffer.from(bytes).toString('base64')}`;
}

/** Undefined for text that is not a patch (then nothing is said about the sheet). */
export function decodeInkPatch(text: string): InkPatch | undefined {
  const m = /^(\d{1,3})x(\d{1,3}):([A-Za-z0-9+/=]*)$/.exec(text);
  if (m === null) return undefined;
  const width = Number(m[1]);
  const height = Number(m[2]);
  const bytes = Buffer.from(m[3] ?? '', 'base64');
  if (width === 0 || height === 0 || bytes.length !== Math.ceil((width * height) / 8)) return undefined;
  const ink = new Uint8Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = (bytes[i >> 3]! >> (i & 7)) & 1;
  return { width, height, ink };
}

/**
 * The printed target's outline in a patch (the oval of half the box's size, centred, a band of
 * RING_BAND of its radius): the same on every sheet, so it says nothing about who drew the mark.
 */
const RING_BAND = 0.25;

function ringMask(width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const rx = width / 4;
  const ry = height / 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot((x - cx) / rx, (y - cy) / ry);
      if (Math.abs(r - 1) <= RING_BAND) mask[y * width + x] = 1;
    }
  }
  return mask;
}

/** Ink pixels of the voter's own (outside the printed outline): below this, a patch tells nothing. */
export const MIN_VOTER_INK = 40;

/**
 * How unlike two patches of the same target are: the share of the voter's ink (outside the printed
 * outline) of either that has no ink of the other within one pixel, at the shift (up to `maxShift`
 * pixels, registration) that matches them best. 0: the same strokes; rescans of one paper stay low,
 * since a scan moves a stroke's edge by about a pixel. Undefined when it cannot tell: patches of
 * another size (another resolution) or too little voter ink to go by.
 */
export function inkDifference(a: InkPatch, b: InkPatch, maxShift = 4): number | undefined {
  if (a.width !== b.width || a.height !== b.height) return undefined;
  const { width, height } = a;
  const ring = ringMask(width, height);
  const voterInk = (p: InkPatch) => p.ink.reduce((n, v, i) => n + (v !== 0 && ring[i] === 0 ? 1 : 0), 0);
  const inkA = voterInk(a);
  const inkB = voterInk(b);
  if (inkA < MIN_VOTER_INK || inkB < MIN_VOTER_INK) return undefined;
  const nearA = dilate(a);
  const nearB = dilate(b);
  let best = Infinity;
  for (let dy = -maxShift; dy <= maxShift; dy++) {
    for (let dx = -maxShift; dx <= maxShift; dx++) {
      // b's pixel (x + dx, y + dy) lies over a's (x, y); only where both boxes saw the paper.
      const ab = unmatchedInk(a, nearB, ring, dx, dy);
      const ba = unmatchedInk(b, nearA, ring, -dx, -dy);
      const seen = ab.seen + ba.seen;
      if (seen < MIN_VOTER_INK) continue;
      best = Math.min(best, (ab.unmatched + ba.unmatched) / seen);
    }
  }
  return best === Infinity ? undefined : best;
}

/** Voter ink of `p` over the other's box at offset (dx, dy), and how much of it has no ink of the other (dilated by a pixel) there. */
function unmatchedInk(p: InkPatch, nearOther: Uint8Array, ring: Uint8Array, dx: number, dy: number): { seen: number; unmatched: number } {
  const { width, height, ink } = p;
  let seen = 0;
  let unmatched = 0;
  for (let y = Math.max(0, -dy); y < Math.min(height, height - dy); y++) {
    for (let x = Math.max(0, -dx); x < Math.min(width, width - dx); x++) {
      const i = y * width + x;
      if (ink[i] === 0 || ring[i] !== 0) continue;
      seen++;
      if (nearOther[(y + dy) * width + x + dx] === 0) unmatched++;
    }
  }
  return { seen, unmatched };
}

/** Ink grown by one pixel each way (3 × 3): an edge moved a pixel by the scanner still matches. */
function dilate(p: InkPatch): Uint8Array {
  const { width, height, ink } = p;
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] === 0) continue;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(height - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(width - 1, x + 1); xx++) out[yy * width + xx] = 1;
      }
    }
  }
  return out;
}
