import { describe, expect, it } from 'vitest';
import { compareBallot, compareContest, compareTotals, type CvrSelections, grayOf, resultsTotalsByLayout, summarize, totalsOf } from './compare.ts';
import { adaptiveThreshold, classifySheetTargets, classifyTarget, type ContestReading, readContests, type TargetFeatures } from './marks.ts';

/** Pen ink: dark strokes, so fill ≈ solid ≈ coverage. */
const pen = (v: number, extra: Partial<TargetFeatures> = {}): TargetFeatures => ({
  fill: v,
  solid: v,
  coverage: v,
  halo: 0,
  centre: v,
  ...extra,
});
/** Grey toning (pencil, erasure): no dark pixels. */
const grey = (fill: number, coverage: number, halo = 0): TargetFeatures => ({ fill, solid: 0, coverage, halo, centre: 0 });
const blanks = (n: number, level = 0.002) => Array.from({ length: n }, (_, i) => pen(level + (i % 5) * 0.001));

function classes(features: TargetFeatures[]) {
  const t = adaptiveThreshold(features);
  return features.map((f) => classifyTarget(f, t));
}

describe('adaptive per-sheet thresholds', () => {
  it('reads fills, partial fills, crosses and checks as votes, blanks as blank', () => {
    const marks = [pen(0.95), pen(0.5), pen(0.36), pen(0.25)];
    const c = classes([...blanks(40), ...marks]);
    expect(c.slice(40)).toEqual(['marked', 'marked', 'marked', 'marked']);
    expect(c.slice(0, 40).every((x) => x === 'unmarked')).toBe(true);
  });

  it('measures marks from the ballot\'s own blank level (a dark scan)', () => {
    const dark = Array.from({ length: 40 }, (_, i) => pen(0.08 + (i % 3) * 0.005));
    const t = adaptiveThreshold([...dark, pen(0.95)]);
    expect(t.blank.solid).toBeCloseTo(0.085, 2);
    expect(classifyTarget(pen(0.12), t)).toBe('unmarked'); // toned paper, not a vote
    expect(classifyTarget(pen(0.33), t)).toBe('marked');
  });

  it('reports light checks and started fills as marginal, leaves hesitation dots unmarked', () => {
    const t = adaptiveThreshold([...blanks(40), pen(0.9)]);
    expect(classifyTarget(pen(0.18), t)).toBe('marginal'); // short check
    expect(classifyTarget(pen(0.05, { centre: 0 }), t)).toBe('marginal'); // crescent at the edge
    expect(classifyTarget(pen(0.05, { centre: 0.2 }), t)).toBe('unmarked'); // dot in the middle
    expect(classifyTarget(pen(0.02), t)).toBe('unmarked');
  });

  it('tells a pencil fill from an erasure of the same tone', () => {
    const t = adaptiveThreshold([...blanks(40), pen(0.9)]);
    expect(classifyTarget(grey(0.33, 1), t)).toBe('marked'); // light but complete fill
    expect(classifyTarget(grey(0.15, 1), t)).toBe('marginal'); // very light fill
    expect(classifyTarget(grey(0.16, 1, 0.03), t)).toBe('unmarked'); // erased: streaks outside
    expect(classifyTarget(grey(0.38, 1, 0.03), t)).toBe('marginal'); // half-erased
    expect(classifyTarget(grey(0.15, 0.2), t)).toBe('unmarked'); // a grey speck
  });

  it('still finds the blank level when most targets are marked', () => {
    const c = classes([pen(0.95), pen(0.9), pen(0.92), pen(0.01)]);
    expect(c).toEqual(['marked', 'marked', 'marked', 'unmarked']);
  });
});

describe('grey scans, bitonal scans, scanner streaks', () => {
  /** A grey scan: JPEG noise leaves a little tone everywhere, so fill, solid and coverage differ. */
  const greyBlank = (i: number): TargetFeatures => ({ fill: 0.004 + (i % 3) * 0.001, solid: 0, coverage: 0.003, halo: 0.0035, centre: 0 });

  it('a started fill at the edge is marginal on a grey scan; a bitonal scan needs more, its outline edge being ragged', () => {
    const grey = adaptiveThreshold([...Array.from({ length: 30 }, (_, i) => greyBlank(i)), { fill: 0.9, solid: 1, coverage: 1, halo: 0.004, centre: 1 }]);
    expect(grey.bitonal).toBe(false);
    expect(classifyTarget({ fill: 0.04, solid: 0.04, coverage: 0.04, halo: 0.0035, centre: 0 }, grey)).toBe('marginal');
    const bw = adaptiveThreshold([...blanks(30), pen(0.95)]);
    expect(bw.bitonal).toBe(true);
    // blank ovals on 200 dpi G4 reach 0.036 of outline edge inside the oval
    expect(classifyTarget(pen(0.036, { centre: 0 }), bw)).toBe('unmarked');
    expect(classifyTarget(pen(0.05, { centre: 0 }), bw)).toBe('marginal');
  });

  it('light pencil fills on a card do not raise its blank level', () => {
    const lights = Array.from({ length: 4 }, () => ({ fill: 0.34, solid: 0, coverage: 1, halo: 0.0035, centre: 0 }));
    const t = adaptiveThreshold([...Array.from({ length: 5 }, (_, i) => greyBlank(i)), ...lights]);
    expect(t.blank.fill).toBeLessThan(0.01);
    expect(classifyTarget(lights[0]!, t)).toBe('marked');
  });

  it('a scanner streak down a column of ovals is not an erasure', () => {
    const place = (features: TargetFeatures, column: number) => ({ features, side: 'front', column });
    const streaked = (i: number): TargetFeatures => ({ ...greyBlank(i), coverage: 0.06, halo: 0.017 });
    const light: TargetFeatures = { fill: 0.35, solid: 0, coverage: 1, halo: 0.017, centre: 0 };
    const erased: TargetFeatures = { fill: 0.17, solid: 0, coverage: 1, halo: 0.015, centre: 0 };
    const targets = [
      ...Array.from({ length: 8 }, (_, i) => place(streaked(i), 10)),
      place(light, 10),
      ...Array.from({ length: 8 }, (_, i) => place(greyBlank(i), 21)),
      place(erased, 21),
    ];
    const t = adaptiveThreshold(targets.map((p) => p.features));
    const classes = classifySheetTargets(targets, t);
    expect(classes[8]).toBe('marked'); // the streak tones the band around every oval in column 10
    expect(classes[17]).toBe('unmarked'); // erasure streaks around one oval only
    expect(classes.filter((c) => c !== 'unmarked')).toEqual(['marked']);
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
  it('compares line-specific write-ins with a CVR that records only "a write-in" (ES&S)', () => {
    expect(compareContest(reading(['a', 'write-in-2'], [], 2), 2, { selected: ['write-in', 'a'] }).verdict).toBe('agree');
    expect(compareContest(reading(['write-in-0']), 1, { selected: ['write-in'] }).verdict).toBe('agree');
    // still a disagreement when the CVR has a write-in and the image a named candidate
    expect(compareContest(reading(['a']), 1, { selected: ['write-in'] }).verdict).toBe('disagree');
    // a CVR that names the line keeps line-specific comparison (Dominion)
    expect(compareContest(reading(['write-in-1']), 1, { selected: ['write-in-0'] }).verdict).toBe('disagree');
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
    // the difference is a mark the EMS itself flagged ambiguous (adjudicated): gray, not disagree
    expect(compareContest(reading([]), 1, { selected: ['a'], ambiguous: ['a'], marked: ['a'] }).verdict).toBe('gray');
    expect(compareContest(reading(['a']), 1, { selected: [], ambiguous: ['b'], marked: ['a', 'b'] }).verdict).toBe('gray');
    // the EMS flagged a mark the image does not show (a light fill lost on a bitonal scan): it decides the contest
    expect(compareContest(reading([]), 1, { selected: [], ambiguous: ['a'], marked: ['a'] }).verdict).toBe('gray');
    // ...and says which mark the EMS flagged, so the gray contest can name it
    expect(compareContest(reading([]), 1, { selected: [], ambiguous: ['a'], marked: ['a'] }).emsAmbiguous).toEqual(['a']);
    // ...but a flagged mark the image shows clearly, counted alike, agrees
    expect(compareContest(reading(['a']), 1, { selected: ['a'], ambiguous: ['a'], marked: ['a'] }).verdict).toBe('agree');
    // ...but an ambiguous flag elsewhere does not excuse a flipped vote
    expect(compareContest(reading(['a']), 1, { selected: ['b'], ambiguous: ['c'], marked: ['b', 'c'] }).verdict).toBe('disagree');
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

describe('totals: images, CVR, results summary', () => {
  it('lines up the three per option, write-in lines folded, and matches the summary by names', () => {
    const reading = (selected: string[]): ContestReading => ({ contestId: 'gov', selected, marginal: [], overvote: false, undervotes: 1 - selected.length, writeIns: 0 });
    const cvrs = new Map<string, CvrSelections>([
      ['b1', new Map([['gov', { selected: ['a'] }]])],
      ['b2', new Map([['gov', { selected: ['b'] }]])],
      ['b3', new Map([['gov', { selected: ['write-in-1'] }]])],
    ]);
    const source = { selectionsFor: (k: string) => cvrs.get(k) };
    const ballots = [
      compareBallot('b1', [reading(['a'])], () => 1, source),
      compareBallot('b2', [reading(['a'])], () => 1, source),
      compareBallot('b3', [reading(['write-in-1'])], () => 1, source),
    ];
    const results = resultsTotalsByLayout(
      [
        { contest: 'Governor', option: 'Ann  Able', votes: 1 },
        { contest: 'GOVERNOR', option: 'Bo Best', votes: 3 }, // the summary says 3, the CVRs 1
        { contest: 'Governor', option: 'Write-in', votes: 1 },
        { contest: 'Governor', option: 'Overvotes', votes: 0 },
        { contest: 'Governor', option: 'Cy Nobody', votes: 2 },
        { contest: 'Mayor', option: 'Dee', votes: 9 },
      ],
      [{ id: 'gov', title: 'Governor', options: [{ id: 'a', name: 'Ann Able' }, { id: 'b', name: 'Bo Best' }] }],
    );
    expect(results.unmatched.map((r) => r.option)).toEqual(['Cy Nobody', 'Dee']);
    const lines = compareTotals(totalsOf(ballots, 'image'), totalsOf(ballots, 'cvr'), results.totals, grayOf(ballots));
    expect(lines).toEqual([
      { contestId: 'gov', optionId: 'a', image: 2, cvr: 1, results: 1, imageMinusCvr: 1, resultsMinusCvr: 0, gray: 0, imageMinusCvrBeyondGray: 1 },
      { contestId: 'gov', optionId: 'b', image: 0, cvr: 1, results: 3, imageMinusCvr: -1, resultsMinusCvr: 2, gray: 0, imageMinusCvrBeyondGray: -1 },
      { contestId: 'gov', optionId: 'write-in', image: 1, cvr: 1, results: 1, imageMinusCvr: 0, resultsMinusCvr: 0, gray: 0, imageMinusCvrBeyondGray: 0 },
    ]);
  });

  it('counts gray contests per option, and only differences beyond them stand out', () => {
    const reading = (selected: string[], marginal: string[] = []): ContestReading => ({ contestId: 'gov', selected, marginal, overvote: false, undervotes: 1 - selected.length, writeIns: 0 });
    const cvrs = new Map<string, CvrSelections>([
      ['b1', new Map([['gov', { selected: ['a'] }]])], // a light fill read marginal: gray
      ['b2', new Map([['gov', { selected: ['a'] }]])], // a flipped vote: disagree
      ['b3', new Map([['gov', { selected: ['b'] }]])],
    ]);
    const source = { selectionsFor: (k: string) => cvrs.get(k) };
    const ballots = [
      compareBallot('b1', [reading([], ['a'])], () => 1, source),
      compareBallot('b2', [reading(['b'])], () => 1, source),
      compareBallot('b3', [reading(['b'])], () => 1, source),
    ];
    expect(ballots.map((b) => b.contests[0]!.verdict)).toEqual(['gray', 'disagree', 'agree']);
    const lines = compareTotals(totalsOf(ballots, 'image'), totalsOf(ballots, 'cvr'), undefined, grayOf(ballots));
    expect(lines).toEqual([
      // a: CVR 2, image 0; the gray ballot explains one vote, the flip does not
      { contestId: 'gov', optionId: 'a', image: 0, cvr: 2, results: null, imageMinusCvr: -2, resultsMinusCvr: null, gray: 1, imageMinusCvrBeyondGray: -1 },
      { contestId: 'gov', optionId: 'b', image: 2, cvr: 1, results: null, imageMinusCvr: 1, resultsMinusCvr: null, gray: 0, imageMinusCvrBeyondGray: 1 },
    ]);
  });
});
