import { describe, expect, it } from 'vitest';
import { compareBallot, compareContest, type CvrSelections, summarize } from './compare.ts';
import { adaptiveThreshold, classifyFill, type ContestReading, readContests } from './marks.ts';

const blanks = (n: number, level = 0.002) => Array.from({ length: n }, (_, i) => level + (i % 5) * 0.001);

describe('adaptive per-sheet thresholds', () => {
  it('splits scribbled marks from blanks at the largest gap', () => {
    const fills = [...blanks(40), 0.46, 0.5, 0.55, 0.63, 0.69];
    const t = adaptiveThreshold(fills);
    expect(t.split).toBeGreaterThan(0.01);
    expect(t.split).toBeLessThan(0.46);
    expect(fills.map((f) => classifyFill(f, t)).filter((c) => c === 'marked')).toHaveLength(5);
    expect(fills.map((f) => classifyFill(f, t)).filter((c) => c === 'marginal')).toHaveLength(0);
  });

  it('calls a blank sheet blank, even a dark scan of one', () => {
    const t = adaptiveThreshold(blanks(50, 0.03));
    expect(blanks(50, 0.03).every((f) => classifyFill(f, t) === 'unmarked')).toBe(true);
  });

  it('reports a lone faint mark as marginal, not as a vote and not as blank', () => {
    const fills = [...blanks(40), 0.2];
    const t = adaptiveThreshold(fills);
    expect(classifyFill(0.2, t)).toBe('marginal');
  });

  it('judges a light mark against the same voter\'s other marks', () => {
    const solid = [...blanks(40), 0.9, 0.92, 0.95];
    expect(classifyFill(0.3, adaptiveThreshold([...solid, 0.3]))).toBe('marginal');
    const pencil = [...blanks(40), 0.3, 0.32, 0.35, 0.3];
    const t = adaptiveThreshold(pencil);
    expect(pencil.filter((f) => classifyFill(f, t) === 'marked')).toHaveLength(4);
  });

  it('leaves a hesitation dot unmarked', () => {
    const fills = [...blanks(40), 0.04, 0.9];
    const t = adaptiveThreshold(fills);
    expect(classifyFill(0.04, t)).toBe('unmarked');
  });
});

describe('contest rules', () => {
  const m = (contestId: string, optionId: string, mark: 'marked' | 'marginal' | 'unmarked') => ({
    meaning: { contestId, optionId, isWriteIn: optionId.startsWith('write-in-') },
    mark,
  });
  it('overvote, undervote, write-in, duplicate targets for one option', () => {
    const [gov, reps, sheriff, q] = readContests(
      [
        { id: 'gov', seats: 1 },
        { id: 'reps', seats: 3 },
        { id: 'sheriff', seats: 1 },
        { id: 'q', seats: 1 },
      ],
      [
        m('gov', 'a', 'marked'),
        m('gov', 'b', 'marked'),
        m('reps', 'x', 'marked'),
        m('reps', 'write-in-0', 'marked'),
        m('reps', 'y', 'marginal'),
        m('sheriff', 'r', 'marked'),
        m('sheriff', 'r', 'unmarked'),
        m('q', 'yes', 'unmarked'),
        m('q', 'no', 'unmarked'),
      ],
    );
    expect(gov).toMatchObject({ overvote: true, undervotes: 0, selected: ['a', 'b'] });
    expect(reps).toMatchObject({ overvote: false, undervotes: 1, writeIns: 1, marginal: ['y'] });
    expect(sheriff).toMatchObject({ selected: ['r'], undervotes: 0 });
    expect(q).toMatchObject({ selected: [], undervotes: 1, overvote: false });
  });
});

describe('comparison with the CVR', () => {
  const reading = (selected: string[], marginal: string[] = [], seats = 1): ContestReading => ({
    contestId: 'c',
    selected,
    marginal,
    overvote: selected.length > seats,
    undervotes: selected.length > seats ? 0 : seats - selected.length,
    writeIns: selected.filter((s) => s.startsWith('write-in-')).length,
  });
  it('agree, disagree, gray', () => {
    expect(compareContest(reading(['a']), 1, { selected: ['a'] }).verdict).toBe('agree');
    expect(compareContest(reading(['a']), 1, { selected: ['b'] }).verdict).toBe('disagree');
    expect(compareContest(reading([]), 1, { selected: [] }).verdict).toBe('agree');
    expect(compareContest(reading(['a']), 1, undefined).verdict).toBe('disagree');
    // a marginal mark decides it either way: gray
    expect(compareContest(reading([], ['a']), 1, { selected: ['a'] }).verdict).toBe('gray');
    expect(compareContest(reading([], ['a']), 1, { selected: [] }).verdict).toBe('gray');
    // the marginal mark cannot explain a vote for b
    expect(compareContest(reading([], ['a']), 1, { selected: ['b'] }).verdict).toBe('disagree');
    // both see an overvote: the EMS counted nothing
    expect(compareContest(reading(['a', 'b']), 1, { selected: [], overvote: true }).verdict).toBe('agree');
    expect(compareContest(reading(['a', 'b']), 1, { selected: ['a'] }).verdict).toBe('disagree');
  });

  it('summarizes per contest in AuditEngine\'s columns', () => {
    const cvrs = new Map<string, CvrSelections>([
      ['b1', new Map([['c', { selected: ['a'] }]])],
      ['b2', new Map([['c', { selected: ['b'] }]])],
      ['b3', new Map([['c', { selected: [] }]])],
      ['b4', new Map([['c', { selected: ['write-in-0'] }]])],
      ['b5', new Map([['c', { selected: ['a'] }]])],
    ]);
    const source = { selectionsFor: (k: string) => cvrs.get(k) };
    const seats = () => 1;
    const ballots = [
      compareBallot('b1', [reading(['a'])], seats, source),
      compareBallot('b2', [reading(['a'])], seats, source), // flipped vote in the CVR
      compareBallot('b3', [reading([])], seats, source),
      compareBallot('b4', [reading(['write-in-0'])], seats, source),
      compareBallot('b5', [reading([], ['a'])], seats, source),
      compareBallot('b6', [reading(['a'])], seats, source), // no CVR
    ];
    expect(ballots[5]!.cvrFound).toBe(false);
    const [s] = summarize(ballots);
    expect(s).toMatchObject({
      contestId: 'c',
      ballots: 5,
      nonVariant: 1,
      agreedUndervotes: 1,
      agreedWriteIns: 1,
      agreedOvervotes: 0,
      disagreed: 1,
      gray: 1,
      imageTotals: { a: 2, 'write-in-0': 1 },
      cvrTotals: { a: 2, b: 1, 'write-in-0': 1 },
    });
    expect(s!.variantPercentOfMargin).toBeCloseTo(200);
  });
});
