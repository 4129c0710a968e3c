import { describe, expect, it } from 'vitest';
import { makeElection } from './election.ts';
import { decodeStyleCode, encodeStyleCode, GRID, layoutStyle } from './layout.ts';
import { Rng } from './prng.ts';

describe('ballot layout', () => {
  it('round-trips the style code and rejects a damaged one', () => {
    for (const [style, card, side] of [[1, 1, 'front'], [4095, 7, 'back'], [37, 2, 'back']] as const) {
      const bits = encodeStyleCode(style, card, side);
      expect(bits).toHaveLength(GRID.codeBits);
      expect(decodeStyleCode(bits)).toEqual({ styleNumber: style, card, side });
      const flipped = [...bits];
      flipped[5] = 1 - (flipped[5] ?? 0);
      expect(decodeStyleCode(flipped)).toBeNull();
    }
  });

  it('puts every option and write-in line of every contest on exactly one grid intersection', () => {
    for (const seed of [1, 2, 3]) {
      const e = makeElection({ seed, precincts: 6 });
      expect(new Set(e.styles.map((s) => JSON.stringify(s.optionOrder))).size).toBe(e.styles.length); // rotation differs
      for (const style of e.styles) {
        const layout = layoutStyle(e, style);
        expect(layout.cards.length).toBeGreaterThanOrEqual(1);
        expect(layout.cards.length).toBeLessThanOrEqual(2);
        const seen = new Set<string>();
        for (const card of layout.cards) {
          for (const side of [card.front, card.back]) {
            for (const t of side.targets) {
              const key = `${card.card}/${t.side}/${t.column}/${t.row}`;
              expect(seen.has(key), key).toBe(false);
              seen.add(key);
              // inside the timing-mark frame, clear of the header and the code rows
              expect(t.column).toBeGreaterThan(0);
              expect(t.column).toBeLessThan(GRID.columns - 2);
              expect(t.row).toBeGreaterThan(1);
              expect(t.row).toBeLessThan(GRID.codeRow - 2);
            }
          }
        }
        const targets = layout.cards.flatMap((c) => [...c.front.targets, ...c.back.targets]);
        for (const cid of style.contestIds) {
          const c = e.contests.find((x) => x.id === cid);
          if (c === undefined) throw new Error('unknown contest');
          const ts = targets.filter((t) => t.contestId === cid);
          expect(ts.filter((t) => t.type === 'option').map((t) => t.optionId).sort()).toEqual(c.options.map((o) => o.id).sort());
          expect(ts.filter((t) => t.type === 'write-in').map((t) => t.writeInIndex)).toEqual(Array.from({ length: c.writeIns }, (_, i) => i));
          expect(new Set(ts.map((t) => `${t.side}`)).size).toBe(1); // a contest never splits across sides
        }
      }
    }
  });

  it('gives a primary one ballot style per party and precinct, each with only its party\'s candidates', () => {
    const e = makeElection({ seed: 4, precincts: 3, primary: true });
    expect(e.kind).toBe('primary');
    expect(e.styles).toHaveLength(6);
    for (const p of e.precincts) expect(p.styleIds).toHaveLength(2);
    for (const style of e.styles) {
      expect(style.partyId).not.toBeNull();
      const contests = style.contestIds.map((id) => e.contests.find((c) => c.id === id));
      expect(contests.some((c) => c?.partyId === style.partyId)).toBe(true);
      for (const c of contests) {
        if (c === undefined) throw new Error('unknown contest');
        expect(c.partyId === null || c.partyId === style.partyId).toBe(true);
        if (c.partyId !== null) for (const o of c.options) expect(o.partyId).toBe(style.partyId);
      }
      const texts = layoutStyle(e, style).cards[0]?.front.texts.map((t) => t.text) ?? [];
      expect(texts.some((t) => t.endsWith('PARTY BALLOT'))).toBe(true);
    }
    const general = makeElection({ seed: 4, precincts: 3 });
    expect(general.styles.every((s) => s.partyId === null)).toBe(true);
  });

  it('makes a seeded generator that repeats and spreads', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
    expect(Rng.derive(1, 'a', 2).u32()).not.toBe(Rng.derive(1, 'a', 3).u32());
  });
});
