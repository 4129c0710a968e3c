/**
 * A logic-and-accuracy test deck: every oval on every sheet carries a mark of some kind (fill,
 * check, X, circle, line-through, dot, light fill), as a county marks its deck before an election.
 * No sheet has a blank oval, so a reader that takes its blank level from the sheet's own lowest
 * scores is caught out. On most sheets half the contests are marked as a voter would (the votes
 * allowed, every other oval dotted) and the rest get a kind per oval, usually an overvote, as decks
 * do; about a third of the sheets carry no dot at all, only vote-like marks (their lowest scores
 * are circles and strokes).
 */
import { contestById, type Election } from './election.ts';
import type { CardLayout, Target } from './layout.ts';
import { ACCUVOTE_MARK_GEOMETRY, type ContestOutcome, type ContestTruth, type MarkGeometry, type MarkKind, type SheetMarks, type TruthMark, targetKey, targetMark } from './marks.ts';
import type { Rng } from './prng.ts';

/** Marks a deck uses; a dot is the one that is not a vote. */
export const TEST_DECK_KINDS = ['full', 'check', 'x', 'circle', 'line-through', 'hesitation-dot', 'light'] as const satisfies readonly MarkKind[];
type DeckKind = (typeof TEST_DECK_KINDS)[number];
const VOTE_KINDS: readonly DeckKind[] = TEST_DECK_KINDS.filter((k) => k !== 'hesitation-dot');

/** Circles and line-throughs read either way under many states' rules: a reader must at least call them gray. */
const AMBIGUOUS: ReadonlySet<DeckKind> = new Set(['circle', 'line-through']);
const FILL: Record<DeckKind, number> = { full: 0.95, check: 0.25, x: 0.3, circle: 0.15, 'line-through': 0.15, 'hesitation-dot': 0.05, light: 0.9 };
const NAMES = ['Deck Test', 'L. A. Tester', 'Write In'];

export function testDeckSheet(election: Election, card: CardLayout, rng: Rng, geometry: MarkGeometry = ACCUVOTE_MARK_GEOMETRY): SheetMarks {
  const marks: TruthMark[] = [];
  const contests: ContestTruth[] = [];
  const targets = [...card.front.targets, ...card.back.targets];
  const noDots = rng.chance(0.35);
  for (const contestId of [...new Set(targets.map((t) => t.contestId))]) {
    const contest = contestById(election, contestId);
    const ts = targets.filter((t) => t.contestId === contestId);
    const kinds = new Map<Target, DeckKind>();
    if (noDots) {
      for (const t of ts) kinds.set(t, rng.pick(VOTE_KINDS));
    } else if (rng.chance(0.5)) {
      // as a voter: the votes allowed, each with one kind; every other oval dotted
      const chosen = rng.shuffle(ts).slice(0, Math.min(ts.length, contest.voteFor));
      for (const t of ts) kinds.set(t, chosen.includes(t) ? rng.pick(VOTE_KINDS) : 'hesitation-dot');
    } else {
      for (const t of ts) kinds.set(t, rng.pick(TEST_DECK_KINDS));
    }
    const names: Record<string, string> = {};
    let ambiguous = false;
    for (const t of ts) {
      const kind = kinds.get(t) ?? 'hesitation-dot';
      const intended = kind !== 'hesitation-dot';
      ambiguous ||= AMBIGUOUS.has(kind);
      marks.push(targetMark(t, kind, intended, AMBIGUOUS.has(kind), FILL[kind], null, geometry));
      if (intended && t.type === 'write-in') {
        const name = rng.pick(NAMES);
        names[targetKey(t)] = name;
        marks.push(targetMark(t, 'write-in-scribble', true, false, 0, name, geometry));
      }
    }
    const selections = ts.filter((t) => kinds.get(t) !== 'hesitation-dot').map(targetKey);
    const outcome: ContestOutcome = selections.length === 0 ? 'blank' : selections.length > contest.voteFor ? 'overvote' : selections.length < contest.voteFor ? 'undervote' : 'voted';
    contests.push({ contestId, voteFor: contest.voteFor, selections, votes: outcome === 'overvote' ? [] : selections, outcome, ambiguous, writeInNames: names });
  }
  return { marks, contests };
}
