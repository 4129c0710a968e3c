import { contestById, type Election } from './election.ts';
import { GRID, columnX, rowY, type CardLayout, type Side, type Target } from './layout.ts';
import type { HandEdge, Pen } from './raster.ts';
import { Rng } from './prng.ts';

export const MARK_KINDS = ['full', 'partial', 'check', 'x', 'light', 'hesitation-dot', 'erasure', 'stray', 'write-in-scribble', 'circle', 'line-through'] as const;
export type MarkKind = (typeof MARK_KINDS)[number];

/**
 * One thing the voter's pen left on the sheet. Targeted marks name the target; a stray mark has
 * column/row null and a position in page inches.
 */
export interface TruthMark {
  readonly kind: MarkKind;
  readonly side: Side;
  readonly column: number | null;
  readonly row: number | null;
  readonly contestId: string | null;
  readonly optionId: string | null;
  readonly writeInIndex: number | null;
  /** Did the voter mean this as a vote for that target? */
  readonly intended: boolean;
  /** A careful human could read it either way; a reader may legitimately differ here. */
  readonly ambiguous: boolean;
  /** Rough share of the oval's inside that is inked (0..1). */
  readonly fill: number;
  readonly writeInName: string | null;
  readonly xIn: number;
  readonly yIn: number;
}

export type ContestOutcome = 'voted' | 'undervote' | 'blank' | 'overvote';

/** The voter's intent per contest. `votes` holds option ids and `write-in-<index>` for write-ins. */
export interface ContestTruth {
  readonly contestId: string;
  readonly voteFor: number;
  /** Targets the voter meant to mark, overvotes included. */
  readonly selections: readonly string[];
  /** Valid votes: selections unless overvoted (then none). */
  readonly votes: readonly string[];
  readonly outcome: ContestOutcome;
  readonly ambiguous: boolean;
  readonly writeInNames: Readonly<Record<string, string>>;
}

export interface SheetMarks {
  readonly marks: readonly TruthMark[];
  readonly contests: readonly ContestTruth[];
}

const WRITE_IN_NAMES = ['Westley', 'Buttercup', 'Fezzik', 'Inigo Montoya', 'Miracle Max', 'Valerie', 'Mickey Mouse', 'Ada Lovelace', 'Grace Hopper', 'R. Feynman'];

export function targetKey(t: Target): string {
  return t.type === 'write-in' ? `write-in-${t.writeInIndex ?? 0}` : (t.optionId ?? '');
}

/** Where a design puts targets and stray marks (page inches); the AccuVote grid unless a design says otherwise. */
export interface MarkGeometry {
  readonly targetXY: (t: Target) => readonly [number, number];
  /** A point in the text area of a content column, never on a target. */
  readonly strayPoint: (rng: Rng) => readonly [number, number];
}

export const ACCUVOTE_MARK_GEOMETRY: MarkGeometry = {
  targetXY: (t) => [columnX(t.column), rowY(t.row)],
  strayPoint: (rng) => {
    const col = rng.pick([3, 14, 25]);
    const row = rng.int(10, 46);
    return [columnX(col) + rng.range(0, 0.5), rowY(row) + 0.1];
  },
};

/** Decides what the voter does on one sheet (card) of a ballot. */
export function voteSheet(election: Election, card: CardLayout, rng: Rng, geometry: MarkGeometry = ACCUVOTE_MARK_GEOMETRY): SheetMarks {
  const marks: TruthMark[] = [];
  const contests: ContestTruth[] = [];
  const targets = [...card.front.targets, ...card.back.targets];
  const contestIds = [...new Set(targets.map((t) => t.contestId))];
  for (const contestId of contestIds) {
    const contest = contestById(election, contestId);
    const ts = targets.filter((t) => t.contestId === contestId);
    const options = ts.filter((t) => t.type === 'option');
    const writeIns = ts.filter((t) => t.type === 'write-in');
    const behaviour = rng.weighted<ContestOutcome>([
      ['voted', 0.84],
      ['undervote', contest.voteFor > 1 ? 0.06 : 0.0],
      ['blank', 0.07],
      ['overvote', 0.03],
    ]);
    let chosen: Target[] = [];
    if (behaviour !== 'blank') {
      const n = behaviour === 'overvote' ? Math.min(ts.length, contest.voteFor + 1) : behaviour === 'undervote' ? rng.int(1, contest.voteFor - 1) : contest.voteFor;
      // popular options first: a rough, seed-stable preference so totals are not uniform
      const weightsOf = (t: Target): number => 1 + ((t.optionId ?? '').length % 5) + (options.indexOf(t) === 0 ? 2 : 0);
      const pool = [...options];
      while (chosen.length < n && pool.length > 0) {
        const pickT = rng.weighted(pool.map((t) => [t, weightsOf(t)] as const));
        chosen.push(pickT);
        pool.splice(pool.indexOf(pickT), 1);
      }
      if (writeIns.length > 0 && rng.chance(0.06) && chosen.length > 0) {
        chosen[chosen.length - 1] = writeIns[Math.min(writeIns.length - 1, chosen.length - 1)] as Target;
      }
      chosen = [...new Set(chosen)];
    }
    let ambiguous = false;
    const names: Record<string, string> = {};
    for (const t of chosen) {
      const kind = rng.weighted<MarkKind>([
        ['full', 0.62],
        ['partial', 0.1],
        ['check', 0.08],
        ['x', 0.07],
        ['light', 0.08],
      ]);
      // A share of marks is drawn faint or small on purpose and labelled ambiguous.
      const amb = (kind === 'light' || kind === 'partial' || kind === 'check') && rng.chance(0.25);
      ambiguous ||= amb;
      const fill = kind === 'full' ? 0.95 : kind === 'light' ? (amb ? 0.9 : 0.9) : kind === 'partial' ? (amb ? 0.2 : 0.5) : kind === 'check' ? (amb ? 0.1 : 0.25) : 0.3;
      marks.push(targetMark(t, kind, true, amb, fill, null, geometry));
      if (t.type === 'write-in') {
        const name = rng.pick(WRITE_IN_NAMES);
        names[targetKey(t)] = name;
        marks.push(targetMark(t, 'write-in-scribble', true, false, 0, name, geometry));
      }
    }
    // Unintended marks on targets the voter did not choose.
    const unchosen = ts.filter((t) => !chosen.includes(t));
    if (unchosen.length > 0 && rng.chance(0.03)) marks.push(targetMark(rng.pick(unchosen), 'hesitation-dot', false, false, 0.05, null, geometry));
    if (unchosen.length > 0 && behaviour !== 'blank' && rng.chance(0.03)) {
      const amb = rng.chance(0.3);
      ambiguous ||= amb;
      marks.push(targetMark(rng.pick(unchosen), 'erasure', false, amb, amb ? 0.5 : 0.3, null, geometry));
    }
    const selections = chosen.map(targetKey);
    const outcome: ContestOutcome = selections.length === 0 ? 'blank' : selections.length > contest.voteFor ? 'overvote' : selections.length < contest.voteFor ? 'undervote' : 'voted';
    contests.push({
      contestId,
      voteFor: contest.voteFor,
      selections,
      votes: outcome === 'overvote' ? [] : selections,
      outcome,
      ambiguous,
      writeInNames: names,
    });
  }
  for (const side of ['front', 'back'] as const) {
    if (rng.chance(0.04)) {
      // stray pen mark in the text area of a content column, never on a target
      const [xIn, yIn] = geometry.strayPoint(rng);
      marks.push({ kind: 'stray', side, column: null, row: null, contestId: null, optionId: null, writeInIndex: null, intended: false, ambiguous: false, fill: 0, writeInName: null, xIn, yIn });
    }
  }
  return { marks, contests };
}

export function targetMark(t: Target, kind: MarkKind, intended: boolean, ambiguous: boolean, fill: number, writeInName: string | null, geometry: MarkGeometry): TruthMark {
  const [xIn, yIn] = geometry.targetXY(t);
  return {
    kind,
    side: t.side,
    column: t.column,
    row: t.row,
    contestId: t.contestId,
    optionId: t.optionId,
    writeInIndex: t.type === 'write-in' ? (t.writeInIndex ?? 0) : null,
    intended,
    ambiguous,
    fill,
    writeInName,
    xIn,
    yIn,
  };
}

/**
 * The wobbly outline of a fill drawn by hand: a few slow waves around the oval, up to a few pixels
 * at 200 dpi, never dented far inside it. Two voters' fills differ in shape as real ones do (the
 * real Dominion demo's neat fills differ in 8 % of their ink to a pixel), so a rescan of one paper
 * can be told from another voter's identical choice (importer/sameInk.ts).
 */
function handEdge(rng: Rng): HandEdge {
  const waves = [1, 2, 3, 4, 5].map((k) => ({ k, a: rng.range(0.04, 0.14), phase: rng.range(0, 2 * Math.PI) }));
  const reach = waves.reduce((s, w) => s + w.a, 0);
  return { at: (angle) => Math.max(0.8, 1 + waves.reduce((s, w) => s + w.a * Math.cos(w.k * angle + w.phase), 0)), min: 0.8, max: 1 + reach };
}

/** Draws one mark with its own small jitter (seeded per mark), on an oval of the design's size. */
export function drawMark(pen: Pen, m: TruthMark, rng: Rng, oval: { readonly widthIn: number; readonly heightIn: number } = GRID.oval): void {
  const rx = oval.widthIn / 2;
  const ry = oval.heightIn / 2;
  const cx = m.xIn + rng.range(-0.01, 0.01);
  const cy = m.yIn + rng.range(-0.008, 0.008);
  const ink = rng.int(10, 45);
  switch (m.kind) {
    case 'full':
      pen.fillEllipse(cx, cy, rx * rng.range(0.95, 1.12), ry * rng.range(0.95, 1.15), ink, undefined, handEdge(rng));
      break;
    case 'light':
      pen.fillEllipse(cx, cy, rx * 1.02, ry * 1.02, m.ambiguous ? rng.int(205, 220) : rng.int(150, 180));
      break;
    case 'partial': {
      // fills the left part of the oval up to a share
      const edge = cx - rx + 2 * rx * m.fill;
      pen.fillEllipse(cx, cy, rx * 1.05, ry * 1.05, ink, (x) => x <= edge);
      break;
    }
    case 'check': {
      const s = m.ambiguous ? 0.45 : 1;
      // each hand puts a check's corners a little elsewhere
      const j = () => rng.range(-0.08, 0.08) * s;
      pen.stroke(
        [
          [cx - rx * (0.7 + j()) * s, cy + ry * j()],
          [cx - rx * (0.15 + j()) * s, cy + ry * (0.8 + j()) * s],
          [cx + rx * (1.1 + j()) * s, cy - ry * (1.4 + j()) * s],
        ],
        0.02,
        ink,
      );
      break;
    }
    case 'x': {
      // each hand's strokes start and end a little elsewhere
      const j = () => 1 + rng.range(-0.12, 0.12);
      pen.stroke(
        [
          [cx - rx * j(), cy - ry * j()],
          [cx + rx * j(), cy + ry * j()],
        ],
        0.02,
        ink,
      );
      pen.stroke(
        [
          [cx - rx * j(), cy + ry * j()],
          [cx + rx * j(), cy - ry * j()],
        ],
        0.02,
        ink,
      );
      break;
    }
    case 'circle': {
      // a loop drawn around the oval that cuts through its ends (test decks: a voter circles the choice)
      const pts: [number, number][] = [];
      const tilt = rng.range(-0.3, 0.3);
      for (let k = 0; k <= 40; k++) {
        const a = (k / 40) * 2 * Math.PI * 1.08 + tilt;
        pts.push([cx + Math.cos(a) * rx * 0.8, cy + Math.sin(a) * ry * 1.6]);
      }
      pen.stroke(pts, 0.02, ink);
      break;
    }
    case 'line-through': {
      // one stroke across the oval, past both ends
      const dy = rng.range(-0.25, 0.25) * ry;
      pen.stroke(
        [
          [cx - rx * 1.4, cy + dy],
          [cx + rx * 1.4, cy + dy + rng.range(-0.15, 0.15) * ry],
        ],
        0.02,
        ink,
      );
      break;
    }
    case 'hesitation-dot':
      pen.fillEllipse(cx + rng.range(-0.03, 0.03), cy, 0.012, 0.012, ink);
      break;
    case 'erasure': {
      // what is left after rubbing out a filled oval: a grey smudge with streaks
      pen.fillEllipse(cx, cy, rx * 1.1, ry * 1.1, m.ambiguous ? rng.int(150, 175) : rng.int(200, 225));
      for (let k = 0; k < 3; k++) {
        const dy = rng.range(-ry, ry);
        pen.stroke(
          [
            [cx - rx * 1.2, cy + dy],
            [cx + rx * 1.2, cy + dy + rng.range(-0.02, 0.02)],
          ],
          0.008,
          rng.int(190, 215),
        );
      }
      break;
    }
    case 'stray': {
      const pts: [number, number][] = [];
      let x = m.xIn;
      let y = m.yIn;
      for (let k = 0; k < 5; k++) {
        pts.push([x, y]);
        x += rng.range(0.05, 0.2);
        y += rng.range(-0.08, 0.08);
      }
      pen.stroke(pts, 0.015, ink);
      break;
    }
    case 'write-in-scribble': {
      // a cursive-looking zigzag above the write-in line, left of the oval
      const len = Math.min(1.6, 0.12 * (m.writeInName ?? 'x').length + 0.2);
      const x1 = m.xIn - rx - 0.15;
      const x0 = x1 - len;
      const base = m.yIn + 0.03;
      const pts: [number, number][] = [];
      for (let x = x0; x <= x1; x += 0.025) pts.push([x, base - 0.02 - Math.abs(Math.sin(x * 57 + rng.range(0, 1))) * 0.08 * rng.range(0.6, 1)]);
      pen.stroke(pts, 0.012, ink);
      break;
    }
  }
}
