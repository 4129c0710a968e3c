import type { GrayImage } from './image.ts';

/**
 * Is there a long thin horizontal rule (a write-in line) in the box x0..x1 × y0..y1? Printed names
 * break up into letters; a rule is dark along nearly its whole length. A skewed scan tilts the rule
 * a pixel or two over its length, so a few slopes are followed around `slope` (the page's own
 * tilt, dy/dx, its rows measured at the box's middle). With `maxThickness` (pixels), a
 * band of ink thicker than that (a shaded header, a black bar) is no rule.
 */
export function hasPrintedRule(
  img: GrayImage,
  threshold: number,
  box: { x0: number; x1: number; y0: number; y1: number; maxThickness?: number; slope?: number },
): boolean {
  const x0 = Math.max(0, Math.round(box.x0));
  const x1 = Math.min(img.width - 1, Math.round(box.x1));
  const y0 = Math.max(1, Math.round(box.y0));
  const y1 = Math.min(img.height - 2, Math.round(box.y1));
  const span = x1 - x0;
  if (span < 8) return false;
  const ink = (x: number, y: number) => img.data[y * img.width + x]! <= threshold;
  // A rule one pixel thick may fall between two scan lines: a pixel's neighbours above and below count.
  const dark = (x: number, y: number) => ink(x, y) || ink(x, y - 1) || ink(x, y + 1);
  const maxDrift = Math.ceil(span * 0.012);
  const slope = box.slope ?? 0;
  const middle = (x0 + x1) / 2;
  const path = (y: number, drift: number, x: number) => y + Math.round(slope * (x - middle) + (drift * (x - x0)) / span);
  // Share of the path at `offset` rows from the line that is ink.
  const inkAt = (y: number, drift: number, offset: number) => {
    let n = 0;
    for (let x = x0; x <= x1; x++) {
      const yy = path(y, drift, x) + offset;
      if (yy >= 0 && yy < img.height && ink(x, yy)) n++;
    }
    return n / (span + 1);
  };
  const limit = box.maxThickness;
  // The band of rows around the line that is mostly ink, at most a little past the limit.
  const thickness = (y: number, drift: number, most: number) => {
    let up = 0;
    while (up <= most && inkAt(y, drift, -(up + 1)) >= 0.5) up++;
    let down = 0;
    while (up + down <= most && inkAt(y, drift, down + 1) >= 0.5) down++;
    return up + down + (inkAt(y, drift, 0) >= 0.5 ? 1 : 0);
  };
  for (let y = y0; y <= y1; y++) {
    for (let drift = -maxDrift; drift <= maxDrift; drift++) {
      let n = 0;
      for (let x = x0; x <= x1; x++) {
        const yy = path(y, drift, x);
        if (yy > 0 && yy < img.height - 1 && dark(x, yy)) n++;
      }
      if (n < (span + 1) * 0.9) continue;
      if (limit === undefined || thickness(y, drift, Math.ceil(limit) + 1) <= limit) return true;
    }
  }
  return false;
}
