/**
 * Pixel offsets around an elliptical target of w × h pixels: the outline band (with the twelfth of the
 * ring each offset lies in, by angle), the inside, and a halo just outside. Shared by the printed-oval
 * finder (styles.ts) and the dropout-oval finder (dropoutOvals.ts), which differ only in the widths.
 */
export const RING_SECTORS = 12;

export interface RingBands {
  /** Half-width of the outline band, in pixels. */
  readonly stroke: number;
  /** The halo's distance from the outline, from and to, in pixels. */
  readonly haloFrom: number;
  readonly haloTo: number;
  /** Inside: offsets whose normalised radius is at most this. */
  readonly innerRadius: number;
}

export interface EllipseRing {
  readonly ring: Int16Array;
  /** Sector (0..RING_SECTORS-1) of each ring offset, by angle. */
  readonly sector: Uint8Array;
  readonly inner: Int16Array;
  readonly halo: Int16Array;
  readonly reach: number;
}

export function ellipseRing(w: number, h: number, bands: RingBands): EllipseRing {
  const rx = w / 2;
  const ry = h / 2;
  const { stroke, haloFrom, haloTo, innerRadius } = bands;
  const reach = Math.ceil(Math.max(rx, ry) + haloTo) + 1;
  const ring: number[] = [];
  const sector: number[] = [];
  const inner: number[] = [];
  const halo: number[] = [];
  for (let dy = -reach; dy <= reach; dy++) {
    for (let dx = -reach; dx <= reach; dx++) {
      const r = Math.hypot(dx / rx, dy / ry);
      const dist = ((r - 1) * Math.hypot(dx, dy)) / Math.max(r, 1e-6);
      if (Math.abs(dist) <= stroke) {
        ring.push(dx, dy);
        sector.push(Math.floor(((Math.atan2(dy / ry, dx / rx) + Math.PI) / (2 * Math.PI)) * RING_SECTORS) % RING_SECTORS);
      } else if (r <= innerRadius) inner.push(dx, dy);
      else if (dist >= haloFrom && dist <= haloTo) halo.push(dx, dy);
    }
  }
  return { ring: Int16Array.from(ring), sector: Uint8Array.from(sector), inner: Int16Array.from(inner), halo: Int16Array.from(halo), reach };
}
