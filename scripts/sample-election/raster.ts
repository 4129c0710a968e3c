import sharp from 'sharp';
import { GRID } from './layout.ts';
import { Rng } from './prng.ts';

/** An 8-bit grayscale page in memory (0 = black, 255 = paper). */
export interface Gray {
  readonly width: number;
  readonly height: number;
  readonly dpi: number;
  readonly data: Buffer;
}

/**
 * Where the scanner put the page: rotate by `skewDeg` and scale by `scale` about the page centre,
 * then shift by (shiftXPx, shiftYPx). Maps printed-page inches to image pixels.
 */
export interface ScanTransform {
  readonly skewDeg: number;
  readonly scale: number;
  readonly shiftXPx: number;
  readonly shiftYPx: number;
}

export function pageSizePx(dpi: number): { width: number; height: number } {
  return { width: Math.round(GRID.pageWidthIn * dpi), height: Math.round(GRID.pageHeightIn * dpi) };
}

/** Renders SVG to a one-channel raw buffer. */
export async function rasterizeSvg(svg: string, dpi: number): Promise<Gray> {
  const { data, info } = await sharp(Buffer.from(svg)).flatten({ background: '#ffffff' }).toColourspace('b-w').extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, dpi, data };
}

/** Page inches -> image pixels under a transform. */
export function project(t: ScanTransform, dpi: number, width: number, height: number): (xIn: number, yIn: number) => [number, number] {
  const a = (t.skewDeg * Math.PI) / 180;
  const cos = Math.cos(a) * t.scale;
  const sin = Math.sin(a) * t.scale;
  const cx = width / 2;
  const cy = height / 2;
  return (xIn, yIn) => {
    const x = xIn * dpi - cx;
    const y = yIn * dpi - cy;
    return [cos * x - sin * y + cx + t.shiftXPx, sin * x + cos * y + cy + t.shiftYPx];
  };
}

/** Image pixels -> page inches (inverse of project). */
export function unproject(t: ScanTransform, dpi: number, width: number, height: number): (u: number, v: number) => [number, number] {
  const a = (t.skewDeg * Math.PI) / 180;
  const cos = Math.cos(a) / t.scale;
  const sin = Math.sin(a) / t.scale;
  const cx = width / 2;
  const cy = height / 2;
  return (u, v) => {
    const x = u - cx - t.shiftXPx;
    const y = v - cy - t.shiftYPx;
    return [(cos * x + sin * y + cx) / dpi, (-sin * x + cos * y + cy) / dpi];
  };
}

/**
 * Warps a clean page (bilinear) by the transform's skew and scale (no shift) and adds paper noise.
 * Done once per variant and cached, so the per-ballot cost is a copy.
 */
export function warpWithNoise(page: Gray, skewDeg: number, scale: number, noiseSeed: number, noiseAmplitude: number, bitonalThreshold: number | null = null): Gray {
  const { width: W, height: H, data: src } = page;
  const out = Buffer.alloc(W * H);
  const a = (skewDeg * Math.PI) / 180;
  const cos = Math.cos(a) / scale;
  const sin = Math.sin(a) / scale;
  const cx = W / 2;
  const cy = H / 2;
  const rng = new Rng(noiseSeed);
  const noise = new Int8Array(65536);
  for (let i = 0; i < noise.length; i++) noise[i] = Math.round(rng.gauss() * noiseAmplitude);
  // 16.16 fixed point keeps the per-pixel work to integer adds and shifts
  const ONE = 65536;
  // bitonal pages are thresholded here, in the same pass
  const bitonal = bitonalThreshold !== null;
  const cut = bitonalThreshold ?? 0;
  const dxu = Math.round(cos * ONE);
  const dyu = Math.round(-sin * ONE);
  for (let v = 0; v < H; v++) {
    const y = v - cy;
    let sx = Math.round((cos * -cx + sin * y + cx) * ONE);
    let sy = Math.round((-sin * -cx + cos * y + cy) * ONE);
    let o = v * W;
    const rowNoise = (v * 7919) & 65535;
    if (bitonal) {
      // nearest neighbour is enough when the result is thresholded anyway, and twice as fast
      for (let u = 0; u < W; u++, o++) {
        const x0 = (sx + 32768) >> 16;
        const y0 = (sy + 32768) >> 16;
        const val = (x0 >= 0 && y0 >= 0 && x0 < W && y0 < H ? (src[y0 * W + x0] as number) : 255) + (noise[(rowNoise + u) & 65535] as number);
        out[o] = val < cut ? 0 : 255;
        sx += dxu;
        sy += dyu;
      }
      continue;
    }
    for (let u = 0; u < W; u++, o++) {
      const x0 = sx >> 16;
      const y0 = sy >> 16;
      let val = 255;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < W && y0 + 1 < H) {
        const fx = (sx & 0xffff) >> 8;
        const fy = (sy & 0xffff) >> 8;
        const i = y0 * W + x0;
        const top = (src[i] as number) * (256 - fx) + (src[i + 1] as number) * fx;
        const bottom = (src[i + W] as number) * (256 - fx) + (src[i + W + 1] as number) * fx;
        val = (top * (256 - fy) + bottom * fy) >> 16;
      }
      val += noise[(rowNoise + u) & 65535] as number;
      out[o] = val < 0 ? 0 : val > 255 ? 255 : val;
      sx += dxu;
      sy += dyu;
    }
  }
  return { width: W, height: H, dpi: page.dpi, data: out };
}

/** Black/white at a threshold, as a scanner's bitonal mode does (0 or 255 only). */
export function binarize(img: Gray, threshold: number): Gray {
  const src = img.data;
  const out = Buffer.alloc(src.length);
  for (let i = 0; i < src.length; i++) out[i] = (src[i] as number) < threshold ? 0 : 255;
  return { width: img.width, height: img.height, dpi: img.dpi, data: out };
}

/** Reuses page-sized buffers: fresh 4-8 MB allocations cost more than the drawing itself. */
export class BufferPool {
  private readonly free = new Map<number, Buffer[]>();
  acquire(size: number): Buffer {
    return this.free.get(size)?.pop() ?? Buffer.allocUnsafe(size);
  }
  release(buf: Buffer): void {
    const list = this.free.get(buf.length) ?? [];
    if (list.length < 16) list.push(buf);
    this.free.set(buf.length, list);
  }
}

/**
 * Copies `src` into a (pooled) buffer moved by an integer (dx, dy); uncovered area is white.
 * One memcpy of the whole page at offset dy*W+dx: the |dx| pixels that wrap to the neighbouring
 * row come from the page's blank margin, which is far wider than any shift.
 */
export function shifted(src: Gray, dx: number, dy: number, pool?: BufferPool, into?: Buffer): Gray {
  const { width: W, height: H } = src;
  const n = W * H;
  const out = into ?? (pool === undefined ? Buffer.allocUnsafe(n) : pool.acquire(n));
  if (out.length !== n) throw new Error('target buffer has the wrong size');
  const off = dy * W + dx;
  if (off >= 0) {
    out.fill(255, 0, off);
    out.set(src.data.subarray(0, n - off), off);
  } else {
    out.set(src.data.subarray(-off, n), 0);
    out.fill(255, n + off, n);
  }
  return { width: W, height: H, dpi: src.dpi, data: out };
}

/** Ink drawing in page inches onto a scanned image, through the scan transform. */
export class Pen {
  private readonly toPx: (x: number, y: number) => [number, number];
  private readonly toIn: (u: number, v: number) => [number, number];
  private readonly pxPerIn: number;

  /** With a threshold the image is bitonal: ink darker than it turns black, lighter ink vanishes. */
  constructor(
    private readonly img: Gray,
    transform: ScanTransform,
    private readonly bitonalThreshold: number | null = null,
  ) {
    this.toPx = project(transform, img.dpi, img.width, img.height);
    this.toIn = unproject(transform, img.dpi, img.width, img.height);
    this.pxPerIn = img.dpi * transform.scale;
  }

  private darken(u: number, v: number, value: number): void {
    if (u < 0 || v < 0 || u >= this.img.width || v >= this.img.height) return;
    const i = v * this.img.width + u;
    if (this.bitonalThreshold !== null) {
      if (value < this.bitonalThreshold) this.img.data[i] = 0;
    } else if ((this.img.data[i] as number) > value) this.img.data[i] = value;
  }

  /** Fills the part of an ellipse (page inches) where `keep(x, y)` holds. */
  fillEllipse(cx: number, cy: number, rx: number, ry: number, value: number, keep?: (x: number, y: number) => boolean, edge?: HandEdge): void {
    const r = Math.max(rx, ry) * (edge?.max ?? 1);
    const [u0, v0] = this.toPx(cx, cy);
    const rp = Math.ceil(r * this.pxPerIn) + 2;
    // inverse transform, inlined: page offset from the ellipse centre per image pixel step
    const [xa, ya] = this.toIn(u0 + 1, v0);
    const [xb, yb] = this.toIn(u0, v0 + 1);
    const dxu = (xa - cx) / rx;
    const dyu = (ya - cy) / ry;
    const dxv = (xb - cx) / rx;
    const dyv = (yb - cy) / ry;
    const uStart = Math.floor(u0 - rp);
    const vStart = Math.floor(v0 - rp);
    for (let v = vStart; v <= v0 + rp; v++) {
      for (let u = uStart; u <= u0 + rp; u++) {
        const du = u + 0.5 - u0;
        const dv = v + 0.5 - v0;
        const ex = du * dxu + dv * dxv;
        const ey = du * dyu + dv * dyv;
        const e2 = ex * ex + ey * ey;
        if (edge === undefined ? e2 > 1 : e2 > edge.max * edge.max || (e2 > edge.min * edge.min && Math.sqrt(e2) > edge.at(Math.atan2(ey, ex)))) continue;
        if (keep !== undefined && !keep(cx + ex * rx, cy + ey * ry)) continue;
        this.darken(u, v, value);
      }
    }
  }

  /** A pen stroke through points (page inches). */
  stroke(points: readonly (readonly [number, number])[], widthIn: number, value: number): void {
    const rad = Math.max(0.5, (widthIn * this.pxPerIn) / 2);
    const r2 = rad * rad;
    const ri = Math.ceil(rad);
    for (let k = 0; k + 1 < points.length; k++) {
      const p = points[k] as readonly [number, number];
      const q = points[k + 1] as readonly [number, number];
      const [u0, v0] = this.toPx(p[0], p[1]);
      const [u1, v1] = this.toPx(q[0], q[1]);
      const steps = Math.max(1, Math.ceil(Math.hypot(u1 - u0, v1 - v0) / Math.max(0.5, rad / 2)));
      for (let s = 0; s <= steps; s++) {
        const uc = u0 + ((u1 - u0) * s) / steps;
        const vc = v0 + ((v1 - v0) * s) / steps;
        for (let dv = -ri; dv <= ri; dv++) {
          for (let du = -ri; du <= ri; du++) {
            const fu = Math.round(uc) + du;
            const fv = Math.round(vc) + dv;
            const ddx = fu - uc;
            const ddy = fv - vc;
            if (ddx * ddx + ddy * ddy <= r2) this.darken(fu, fv, value);
          }
        }
      }
    }
  }
}

/** Dust specks and, sometimes, a vertical streak from dirt on the scanner glass. */
export function scannerArtifacts(img: Gray, rng: Rng, specks: number, streak: { x: number; width: number; value: number } | null, bitonalThreshold: number | null): void {
  const { width: W, height: H, data } = img;
  const ink = (v: number): number => (bitonalThreshold === null ? v : v < bitonalThreshold ? 0 : 255);
  for (let i = 0; i < specks; i++) {
    const u = rng.int(0, W - 3);
    const v = rng.int(0, H - 3);
    const size = rng.int(1, 2);
    const val = rng.int(0, 120);
    for (let dv = 0; dv < size; dv++) for (let du = 0; du < size; du++) data[(v + dv) * W + u + du] = ink(val);
  }
  if (streak !== null) {
    const value = ink(streak.value);
    for (let v = 0; v < H; v++) {
      for (let du = 0; du < streak.width; du++) {
        const i = v * W + streak.x + du;
        if ((data[i] as number) > value) data[i] = value;
      }
    }
  }
}

export async function encodeJpeg(img: Gray, quality = 82): Promise<Buffer> {
  const jpeg = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 1 } })
    .toColourspace('b-w')
    .jpeg({ quality, optimiseCoding: false })
    .toBuffer();
  return setJfifDensity(jpeg, img.dpi);
}

/**
 * Puts the dpi into a JFIF APP0 header (inserted after SOI when sharp left none). sharp's
 * withMetadata would set a density too, but it converts to sRGB: three channels for a gray scan.
 */
export function setJfifDensity(jpeg: Buffer, dpi: number): Buffer {
  if (jpeg.readUInt16BE(0) !== 0xffd8) throw new Error('not a JPEG');
  const app0 = Buffer.alloc(18);
  app0.writeUInt16BE(0xffe0, 0);
  app0.writeUInt16BE(16, 2);
  app0.write('JFIF\0', 4, 'latin1');
  app0.writeUInt16BE(0x0101, 9); // version 1.1
  app0.writeUInt8(1, 11); // units: dots per inch
  app0.writeUInt16BE(dpi, 12);
  app0.writeUInt16BE(dpi, 14);
  const hasApp0 = jpeg.readUInt16BE(2) === 0xffe0 && jpeg.toString('latin1', 6, 11) === 'JFIF\0';
  const rest = hasApp0 ? jpeg.subarray(4 + jpeg.readUInt16BE(4)) : jpeg.subarray(2);
  return Buffer.concat([jpeg.subarray(0, 2), app0, rest]);
}

/**
 * Bitonal CCITT G4 TIFF of a page that holds only 0 and 255 (see binarize). With `pages` > 1 the
 * buffer holds that many equal pages stacked, and libvips writes one TIFF page each (one call
 * instead of several: each sharp call costs ~1.5 ms of main-thread time).
 */
export async function encodeG4(img: Gray, pages = 1): Promise<Buffer> {
  const raw = pages > 1 ? { width: img.width, height: img.height * pages, channels: 1 as const, pageHeight: img.height } : { width: img.width, height: img.height, channels: 1 as const };
  return sharp(img.data, { raw })
    .toColourspace('b-w')
    .tiff({ compression: 'ccittfax4', bitdepth: 1, xres: img.dpi / 25.4, yres: img.dpi / 25.4, resolutionUnit: 'inch' })
    .toBuffer();
}

/** A hand-drawn outline: the radius (a share of the ellipse's) at each angle, between `min` and `max`. */
export interface HandEdge {
  readonly at: (angle: number) => number;
  readonly min: number;
  readonly max: number;
}
