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
 * The printed target's outline in a patch (the oval of half the box's size, centred, RING_BAND
 * pixels each side of it: a printed line and the reader's placement of it): the same on every
 * sheet, so it says nothing about who drew the mark.
 */
const RING_BAND = 1.5;

function ringMask(width: number, height: number): Uint8Array {
  const mask = new Uint8Array(width * height);
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const rx = width / 4;
  const ry = height / 4;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const r = Math.hypot((x - cx) / rx, (y - cy) / ry);
      if (Math.abs(r - 1) * Math.min(rx, ry) <= RING_BAND) mask[y * width + x] = 1;
    }
  }
  return mask;
}

/** Patches whose sizes differ by more than this share are of another resolution: not compared. */
const SCALE_TOLERANCE = 0.06;

/** `p` scaled to width × height (nearest pixel). */
function resized(p: InkPatch, width: number, height: number): InkPatch {
  const ink = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(p.height - 1, Math.floor(((y + 0.5) * p.height) / height));
    for (let x = 0; x < width; x++) ink[y * width + x] = p.ink[sy * p.width + Math.min(p.width - 1, Math.floor(((x + 0.5) * p.width) / width))]!;
  }
  return { width, height, ink };
}

/** Ink pixels of the voter's own (outside the printed outline): below this, a patch tells nothing. */
export const MIN_VOTER_INK = 40;

/**
 * How unlike two patches of the same target are: the voter's ink (outside the printed outline) of
 * either that has no ink of the other within one pixel, as a share of the ink near their edges
 * (where one hand's strokes differ from another's), at the shift (up to `maxShift`
 * pixels, registration) that matches them best. 0: the same strokes; rescans of one paper stay low,
 * since a scan moves a stroke's edge by about a pixel. Undefined when it cannot tell: patches of
 * another size (another resolution) or too little voter ink to go by.
 */
export function inkDifference(a: InkPatch, b: InkPatch, maxShift = 4): number | undefined {
  // A scanner's feed stretches a page by a few percent: the same paper's patch a pixel or two larger.
  if (Math.abs(a.width - b.width) > SCALE_TOLERANCE * a.width || Math.abs(a.height - b.height) > SCALE_TOLERANCE * a.height) return undefined;
  if (a.width !== b.width || a.height !== b.height) b = resized(b, a.width, a.height);
  const { width, height } = a;
  const ring = ringMask(width, height);
  const voterInk = (p: InkPatch) => p.ink.reduce((n, v, i) => n + (v !== 0 && ring[i] === 0 ? 1 : 0), 0);
  const inkA = voterInk(a);
  const inkB = voterInk(b);
  if (inkA < MIN_VOTER_INK || inkB < MIN_VOTER_INK) return undefined;
  const nearA = dilate(a.ink, a.width, a.height, 1);
  const nearB = dilate(b.ink, b.width, b.height, 1);
  const edgeA = edgeOf(a);
  const edgeB = edgeOf(b);
  let best = Infinity;
  for (let dy = -maxShift; dy <= maxShift; dy++) {
    for (let dx = -maxShift; dx <= maxShift; dx++) {
      // b's pixel (x + dx, y + dy) lies over a's (x, y); only where both boxes saw the paper.
      const ab = unmatchedInk(a, edgeA, nearB, ring, dx, dy);
      const ba = unmatchedInk(b, edgeB, nearA, ring, -dx, -dy);
      const seen = ab.seen + ba.seen;
      if (seen < MIN_VOTER_INK) continue;
      best = Math.min(best, (ab.unmatched + ba.unmatched) / seen);
    }
  }
  return best === Infinity ? undefined : best;
}

/**
 * Over the other's box at offset (dx, dy): the voter ink of `p` near its edges (the inside of a
 * solid fill is alike for every voter and would hide how its outline differs), and how much
 * voter ink has no ink of the other (dilated by a pixel) there.
 */
function unmatchedInk(p: InkPatch, edge: Uint8Array, nearOther: Uint8Array, ring: Uint8Array, dx: number, dy: number): { seen: number; unmatched: number } {
  const { width, height, ink } = p;
  let seen = 0;
  let unmatched = 0;
  for (let y = Math.max(0, -dy); y < Math.min(height, height - dy); y++) {
    for (let x = Math.max(0, -dx); x < Math.min(width, width - dx); x++) {
      const i = y * width + x;
      if (ink[i] === 0 || ring[i] !== 0) continue;
      if (edge[i] !== 0) seen++;
      if (nearOther[(y + dy) * width + x + dx] === 0) unmatched++;
    }
  }
  return { seen, unmatched };
}

/** Ink within EDGE_DEPTH pixels of paper: a stroke's every pixel, a fill's outline. */
const EDGE_DEPTH = 2;

function edgeOf(p: InkPatch): Uint8Array {
  const paper = p.ink.map((v) => 1 - v);
  const nearPaper = dilate(paper, p.width, p.height, EDGE_DEPTH);
  return p.ink.map((v, i) => v & nearPaper[i]!);
}

/** `on` grown by `r` pixels each way (a square): with r = 1, an edge moved a pixel by the scanner still matches. */
function dilate(on: Uint8Array, width: number, height: number, r: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (on[y * width + x] === 0) continue;
      for (let yy = Math.max(0, y - r); yy <= Math.min(height - 1, y + r); yy++) {
        for (let xx = Math.max(0, x - r); xx <= Math.min(width - 1, x + r); xx++) out[yy * width + xx] = 1;
      }
    }
  }
  return out;
}
