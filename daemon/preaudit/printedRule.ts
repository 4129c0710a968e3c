import type { GrayImage } from './image.ts';

/**
 * Is there a long horizontal rule (a write-in line) in the box x0..x1 × y0..y1? Printed names break up
 * into letters; a rule is dark along nearly its whole length. A skewed scan tilts the rule a pixel
 * or two over its length, so a few slopes are followed.
 */
export function hasPrintedRule(img: GrayImage, threshold: number, box: { x0: number; x1: number; y0: number; y1: number }): boolean {
  const x0 = Math.max(0, Math.round(box.x0));
  const x1 = Math.min(img.width - 1, Math.round(box.x1));
  const y0 = Math.max(1, Math.round(box.y0));
  const y1 = Math.min(img.height - 2, Math.round(box.y1));
  const span = x1 - x0;
  if (span < 8) return false;
  const dark = (x: number, y: number) => {
    const i = y * img.width + x;
    return img.data[i]! <= threshold || img.data[i - img.width]! <= threshold || img.data[i + img.width]! <= threshold;
  };
  const maxDrift = Math.ceil(span * 0.012);
  for (let y = y0; y <= y1; y++) {
    for (let drift = -maxDrift; drift <= maxDrift; drift++) {
      let n = 0;
      for (let x = x0; x <= x1; x++) {
        const yy = y + Math.round((drift * (x - x0)) / span);
        if (yy > 0 && yy < img.height - 1 && dark(x, yy)) n++;
      }
      if (n >= (span + 1) * 0.9) return true;
    }
  }
  return false;
}
