import { describe, expect, it } from 'vitest';
import { contestArea, differsMarkAt } from './disagreement.tsx';

/** The ≠ glyph is about 0.6 of its font size wide. */
const GLYPH_WIDTH = 0.6;

function extent(m: ReturnType<typeof differsMarkAt>): { left: number; right: number } {
  const w = m.fontSize * GLYPH_WIDTH;
  return m.anchor === 'end' ? { left: m.x - w, right: m.x } : { left: m.x - w / 2, right: m.x + w / 2 };
}

// Ovals 20 px high down a column, 50 px apart; the header is printed above the first.
const targets = [0, 1, 2].map((i) => ({ x: 150, y: 400 + i * 50, width: 30, height: 20 }));

describe('the close-up ≠ of a disagreeing target', () => {
  it('ES&S (names right of the ovals): on the target\'s own row, left of the CVR outline, not above it where "Vote for 1" is', () => {
    for (const t of targets) {
      const m = differsMarkAt(t, true);
      expect(m.y).toBeGreaterThan(t.y);
      expect(m.y).toBeLessThanOrEqual(t.y + t.height);
      expect(extent(m).right).toBeLessThan(t.x - 2 * t.height * 0.25);
    }
  });

  it('ES&S: inside the close-up, which keeps the least room left of the ovals', () => {
    for (const imageWidth of [1700, 400]) {
      const area = contestArea(targets, imageWidth, 2200, true);
      expect(area).not.toBeNull();
      for (const t of targets) expect(extent(differsMarkAt(t, true)).left).toBeGreaterThanOrEqual(area!.x);
    }
  });

  it('Dominion (names left of the ovals): over the oval itself, not reaching left into the name', () => {
    for (const t of targets) {
      const m = differsMarkAt(t, false);
      expect(m.y).toBeLessThan(t.y);
      expect(extent(m).left).toBeGreaterThanOrEqual(t.x);
      expect(extent(m).right).toBeLessThanOrEqual(t.x + t.width);
    }
  });
});
