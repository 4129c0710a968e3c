import { describe, expect, it } from 'vitest';
import { sampleOptionsFromArgs } from './command.ts';
import { makeElection } from './election.ts';
import { layoutStyle } from './layout.ts';
import { voteSheet } from './marks.ts';
import { Rng } from './prng.ts';
import { TEST_DECK_KINDS, testDeckSheet } from './testDeck.ts';

const election = makeElection({ seed: 5, precincts: 4 });
const cards = election.styles.flatMap((s) => layoutStyle(election, s).cards);

describe('test deck: every oval carries a mark', () => {
  it('marks every target of every card, with every kind a deck uses, and the truth follows the marks', () => {
    const kinds = new Set<string>();
    for (const [i, card] of cards.entries()) {
      const sheet = testDeckSheet(election, card, Rng.derive(5, 'vote', `deck-${i}`));
      const targets = [...card.front.targets, ...card.back.targets];
      const marked = sheet.marks.filter((m) => m.kind !== 'write-in-scribble');
      expect(marked.length, `card ${i}`).toBe(targets.length);
      for (const t of targets) expect(marked.some((m) => m.side === t.side && m.column === t.column && m.row === t.row)).toBe(true);
      for (const m of marked) kinds.add(m.kind);
      for (const c of sheet.contests) {
        const meant = marked.filter((m) => m.contestId === c.contestId && m.intended).length;
        expect(c.selections.length).toBe(meant);
        expect(c.outcome === 'overvote').toBe(meant > c.voteFor);
        expect(c.ambiguous).toBe(marked.some((m) => m.contestId === c.contestId && m.ambiguous));
      }
      // dots are not votes; circles and line-throughs read either way; the rest are clear votes
      for (const m of marked) {
        expect(m.intended).toBe(m.kind !== 'hesitation-dot');
        expect(m.ambiguous).toBe(m.kind === 'circle' || m.kind === 'line-through');
      }
    }
    expect([...kinds].sort()).toEqual([...TEST_DECK_KINDS].sort());
  });

  it('an ordinary election leaves ovals blank (the deck is a mode, not the default)', () => {
    const card = cards[0]!;
    const sheet = voteSheet(election, card, Rng.derive(5, 'vote', 'ordinary'));
    expect(sheet.marks.filter((m) => m.kind !== 'write-in-scribble').length).toBeLessThan(card.front.targets.length + card.back.targets.length);
  });

  it('is asked for with --test-deck', () => {
    const on = sampleOptionsFromArgs(['--out', '/tmp/x', '--test-deck']);
    const off = sampleOptionsFromArgs(['--out', '/tmp/x']);
    expect(on.ok && on.value.testDeck).toBe(true);
    expect(off.ok && off.value.testDeck).toBeUndefined();
  });
});
