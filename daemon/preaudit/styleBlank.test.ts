import { describe, expect, it } from 'vitest';
import { adaptiveThreshold, classifySheetTargets, type TargetFeatures } from './marks.ts';
import { blankAgainstStyle, measureStyleBlank, PRINTED_OVAL_BLANK } from './styleBlank.ts';

const pen = (v: number, extra: Partial<TargetFeatures> = {}): TargetFeatures => ({ fill: v, solid: v, coverage: v, halo: 0, centre: v, ...extra });
/** Pen strokes that cross the oval off its middle (circle arcs, the ends of a line) leave the centre clear. */
const offCentre = (v: number) => pen(v, { centre: 0 });
const place = (features: TargetFeatures, i: number) => ({ features, side: 'front', column: i % 3 });

/** A logic-and-accuracy sheet: every oval carries a mark of some kind, none is blank. */
function deckSheet(): { features: TargetFeatures; kind: string }[] {
  const of = (kind: string, n: number, f: (i: number) => TargetFeatures) => Array.from({ length: n }, (_, i) => ({ features: f(i), kind }));
  return [
    ...of('dot', 6, (i) => pen(0.05 + i * 0.002, { centre: 0.3 })),
    ...of('circle', 6, (i) => offCentre(0.12 + i * 0.006)),
    ...of('line-through', 3, (i) => pen(0.2 + i * 0.02, { centre: 0.15 })),
    ...of('check', 3, (i) => pen(0.236 + i * 0.02)),
    ...of('x', 2, () => pen(0.36)),
    ...of('fill', 2, () => pen(0.95)),
  ];
}

describe('the blank level comes from the style, not from the sheet\'s lowest scores', () => {
  it('reads a sheet with no blank oval right: checks and X votes, circles and line-throughs at least gray, dots not votes', () => {
    const sheet = deckSheet();
    const t = adaptiveThreshold(sheet.map((s) => s.features));
    expect(t.blank.solid).toBeLessThanOrEqual(0.012); // the dots' 0.05 was taken as blank before
    expect(t.heldToStyle).toBe(true);
    const classes = classifySheetTargets(sheet.map((s, i) => place(s.features, i)), t);
    const byKind = (kind: string) => classes.filter((_, i) => sheet[i]!.kind === kind);
    expect(byKind('check')).toEqual(['marked', 'marked', 'marked']);
    expect(byKind('x')).toEqual(['marked', 'marked']);
    expect(byKind('fill')).toEqual(['marked', 'marked']);
    for (const k of ['circle', 'line-through']) expect(byKind(k).every((c) => c !== 'unmarked'), k).toBe(true);
    expect(byKind('dot').every((c) => c === 'unmarked')).toBe(true);
  });

  it('takes the style\'s measured level when given one: a scanner that leaves every blank oval toned', () => {
    const toned = (i: number) => pen(0.06 + (i % 3) * 0.004);
    // several ordinary sheets of the style: most ovals blank at the toned level
    const sheets = Array.from({ length: 5 }, () => adaptiveThreshold([...Array.from({ length: 20 }, (_, i) => toned(i)), pen(0.95), pen(0.9)]));
    const style = measureStyleBlank(sheets.map((s) => ({ blank: s.blank, blankTargets: s.blankTargets, targets: 22 })));
    expect(style?.sheets).toBe(5);
    expect(style?.level.solid).toBeCloseTo(0.064, 2);
    // a deck sheet on that scanner: held to the style's toned level, not to the printed oval's 0
    const deck = [...Array.from({ length: 4 }, (_, i) => toned(i)), ...deckSheet().map((s) => pen(s.features.solid + 0.064, { centre: s.features.centre }))];
    const t = adaptiveThreshold(deck, undefined, style);
    expect(t.blank.solid).toBeGreaterThan(0.05);
    expect(t.blank.solid).toBeLessThanOrEqual(style!.level.solid + 0.012);
  });

  it('a sheet whose own blank cluster is lower than the style\'s keeps its own level', () => {
    const t = adaptiveThreshold([...Array.from({ length: 20 }, () => pen(0.001)), pen(0.9)], undefined, { level: pen(0.05), sheets: 10 });
    expect(t.blank.solid).toBeCloseTo(0.001, 4);
    expect(t.heldToStyle).toBe(false);
  });

  it('measures nothing from sheets that are mostly marked, and holds each feature separately', () => {
    expect(measureStyleBlank([{ blank: pen(0.05), blankTargets: 3, targets: 20 }])).toBeUndefined();
    expect(measureStyleBlank([])).toBeUndefined();
    const held = blankAgainstStyle({ fill: 0.2, solid: 0.001, coverage: 0.3, halo: 0.004, centre: 0.05 }, PRINTED_OVAL_BLANK);
    expect(held).toEqual({ fill: 0.012, solid: 0.001, coverage: 0.012, halo: 0.004, centre: 0.012 });
  });
});
