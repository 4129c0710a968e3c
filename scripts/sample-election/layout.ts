import { contestById, type Election, type BallotStyle } from './election.ts';

/**
 * Ballot geometry in the NH AccuVote family: letter paper, a timing-mark grid of 34 columns x 53
 * rows along all four edges, every target (oval) centred exactly on a grid intersection.
 * All lengths are in inches; multiply by dpi for pixels.
 */
export const GRID = {
  columns: 34,
  rows: 53,
  pageWidthIn: 8.5,
  pageHeightIn: 11,
  /** Centre of column 0 / row 0. */
  originXIn: 0.3,
  originYIn: 0.5,
  pitchXIn: 7.9 / 33,
  pitchYIn: 10.0 / 52,
  timingMark: { widthIn: 0.15, heightIn: 0.055 },
  oval: { widthIn: 0.19, heightIn: 0.125, strokeIn: 0.012 },
  /** Style code: bit i is a filled square at (codeFirstColumn + i, codeRow); 0 is left blank. */
  codeRow: 51,
  codeFirstColumn: 2,
  codeBits: 24,
  codeSquareIn: 0.12,
} as const;

export type Grid = typeof GRID;
export type Side = 'front' | 'back';

export function columnX(column: number): number {
  return GRID.originXIn + column * GRID.pitchXIn;
}

export function rowY(row: number): number {
  return GRID.originYIn + row * GRID.pitchYIn;
}

/** One target; `optionId` is null on write-in lines (then writeInIndex says which line). */
export interface Target {
  readonly side: Side;
  readonly column: number;
  readonly row: number;
  readonly contestId: string;
  readonly optionId: string | null;
  readonly type: 'option' | 'write-in';
  readonly writeInIndex?: number;
  /** Where a write-in name is written: grid box (inclusive) left of the oval, above the line. */
  readonly writeInArea?: { readonly column0: number; readonly row0: number; readonly column1: number; readonly row1: number };
}

export interface ContestBlock {
  readonly contestId: string;
  readonly side: Side;
  /** Content column 0..2 (left, middle, right). */
  readonly contentColumn: number;
  readonly firstRow: number;
  readonly lastRow: number;
}

/** Text the renderer prints; kept out of the exported layout JSON. */
export interface TextItem {
  readonly xIn: number;
  readonly yIn: number;
  readonly text: string;
  readonly sizePt: number;
  readonly weight: 'normal' | 'bold';
  readonly anchor: 'start' | 'end' | 'middle';
  readonly italic?: boolean;
}

export interface RuleItem {
  readonly x0In: number;
  readonly y0In: number;
  readonly x1In: number;
  readonly y1In: number;
  readonly widthIn: number;
}

export interface SideLayout {
  readonly side: Side;
  readonly contests: readonly ContestBlock[];
  readonly targets: readonly Target[];
  /** The style code printed in the code row: bit i at column codeFirstColumn + i. */
  readonly codeBits: readonly number[];
  readonly texts: readonly TextItem[];
  readonly rules: readonly RuleItem[];
}

export interface CardLayout {
  /** 1-based card (sheet) number within the style. */
  readonly card: number;
  readonly front: SideLayout;
  readonly back: SideLayout;
}

export interface StyleLayout {
  readonly styleId: string;
  readonly styleNumber: number;
  readonly precinctIds: readonly string[];
  readonly cards: readonly CardLayout[];
}

/** Content columns: text runs from textStart to just left of the oval column. */
const CONTENT = [
  { textStartColumn: 1, ovalColumn: 10 },
  { textStartColumn: 12, ovalColumn: 21 },
  { textStartColumn: 23, ovalColumn: 31 },
] as const;
const FIRST_ROW = { front: 8, back: 2 } as const;
const LAST_OPTION_ROW = 48;

/**
 * Style code bits: [0..11] style number, [12..14] card number, [15] side (1 = back),
 * [16..19] count of ones in bits 0..15 (mod 16), [20..23] the fixed sync pattern 1,0,1,1.
 */
export function encodeStyleCode(styleNumber: number, card: number, side: Side): number[] {
  if (styleNumber < 1 || styleNumber > 4095 || card < 1 || card > 7) throw new Error('style code out of range');
  const bits: number[] = [];
  for (let i = 11; i >= 0; i--) bits.push((styleNumber >> i) & 1);
  for (let i = 2; i >= 0; i--) bits.push((card >> i) & 1);
  bits.push(side === 'back' ? 1 : 0);
  const ones = bits.reduce((s, b) => s + b, 0) % 16;
  for (let i = 3; i >= 0; i--) bits.push((ones >> i) & 1);
  bits.push(1, 0, 1, 1);
  return bits;
}

export function decodeStyleCode(bits: readonly number[]): { styleNumber: number; card: number; side: Side } | null {
  if (bits.length !== GRID.codeBits) return null;
  const num = (from: number, to: number): number => bits.slice(from, to).reduce((v, b) => v * 2 + b, 0);
  const ones = bits.slice(0, 16).reduce((s, b) => s + b, 0) % 16;
  if (num(16, 20) !== ones || bits[20] !== 1 || bits[21] !== 0 || bits[22] !== 1 || bits[23] !== 1) return null;
  return { styleNumber: num(0, 12), card: num(12, 15), side: bits[15] === 1 ? 'back' : 'front' };
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line.length > 0 ? `${line} ${word}` : word;
    }
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

interface Placed {
  readonly contestId: string;
  readonly card: number;
  readonly side: Side;
  readonly contentColumn: number;
  readonly firstRow: number;
}

/** Places the style's contests column by column, side by side, card by card. */
export function layoutStyle(election: Election, style: BallotStyle): StyleLayout {
  const placed: Placed[] = [];
  let card = 1;
  let side: Side = 'front';
  let contentColumn = 0;
  let row: number = FIRST_ROW.front;
  for (const contestId of style.contestIds) {
    const height = blockHeight(election, contestId);
    for (;;) {
      if (row + height - 1 <= LAST_OPTION_ROW) break;
      contentColumn++;
      if (contentColumn > 2) {
        contentColumn = 0;
        if (side === 'front') side = 'back';
        else {
          side = 'front';
          card++;
        }
      }
      row = FIRST_ROW[side];
    }
    placed.push({ contestId, card, side, contentColumn, firstRow: row });
    row += height + 1;
  }
  const cards: CardLayout[] = [];
  for (let c = 1; c <= card; c++) {
    cards.push({
      card: c,
      front: buildSide(election, style, placed.filter((p) => p.card === c && p.side === 'front'), c, card, 'front'),
      back: buildSide(election, style, placed.filter((p) => p.card === c && p.side === 'back'), c, card, 'back'),
    });
  }
  return { styleId: style.id, styleNumber: style.number, precinctIds: style.precinctIds, cards };
}

const TITLE_WRAP = 30;
const DESC_WRAP = 50;

function blockHeight(election: Election, contestId: string): number {
  const c = contestById(election, contestId);
  const titleRows = wrap(c.title, TITLE_WRAP).length;
  const descRows = c.description === null ? 0 : wrap(c.description, DESC_WRAP).length;
  const targets = c.options.length + c.writeIns;
  // title, vote-for line, description, then one target every two rows
  return titleRows + 1 + descRows + 2 * targets - 1;
}

function buildSide(election: Election, style: BallotStyle, blocks: readonly Placed[], card: number, cards: number, side: Side): SideLayout {
  const texts: TextItem[] = [];
  const rules: RuleItem[] = [];
  const targets: Target[] = [];
  const contests: ContestBlock[] = [];
  const precinctNames = style.precinctIds.map((id) => election.precincts.find((p) => p.id === id)?.name ?? id).join(', ');

  if (side === 'front') {
    const x = columnX(1);
    texts.push({ xIn: x, yIn: rowY(1), text: 'INSTRUCTIONS TO VOTERS', sizePt: 10, weight: 'bold', anchor: 'start' });
    texts.push({ xIn: x, yIn: rowY(2), text: 'To vote, completely fill in the oval to the RIGHT of your choice.', sizePt: 8, weight: 'normal', anchor: 'start' });
    texts.push({ xIn: x, yIn: rowY(3), text: 'Vote for no more than the number stated for each office.', sizePt: 8, weight: 'normal', anchor: 'start' });
    texts.push({ xIn: x, yIn: rowY(4), text: 'To vote for a person not listed, write the name on the line and fill in the oval.', sizePt: 8, weight: 'normal', anchor: 'start' });
    texts.push({ xIn: x, yIn: rowY(5), text: 'If you make a mistake, ask for a new ballot. Do not erase.', sizePt: 8, weight: 'normal', anchor: 'start' });
    const xr = columnX(27);
    texts.push({ xIn: xr, yIn: rowY(1), text: 'OFFICIAL BALLOT', sizePt: 12, weight: 'bold', anchor: 'middle' });
    texts.push({ xIn: xr, yIn: rowY(2) + 0.05, text: election.title.toUpperCase(), sizePt: 10, weight: 'bold', anchor: 'middle' });
    texts.push({ xIn: xr, yIn: rowY(3) + 0.05, text: election.jurisdiction, sizePt: 9, weight: 'normal', anchor: 'middle' });
    texts.push({ xIn: xr, yIn: rowY(4) + 0.05, text: `${precinctNames} \u2014 ${election.date}`, sizePt: 9, weight: 'normal', anchor: 'middle' });
    const party = election.parties.find((p) => p.id === style.partyId);
    if (party !== undefined) texts.push({ xIn: xr, yIn: rowY(5) + 0.08, text: `${party.name.toUpperCase()} PARTY BALLOT`, sizePt: 11, weight: 'bold', anchor: 'middle' });
    rules.push({ x0In: columnX(1) - 0.05, y0In: rowY(6.5), x1In: columnX(32) + 0.05, y1In: rowY(6.5), widthIn: 0.03 });
  } else {
    texts.push({ xIn: columnX(1), yIn: rowY(1), text: `${election.title} \u2014 ${precinctNames} \u2014 card ${card} back`, sizePt: 8, weight: 'normal', anchor: 'start' });
  }
  // content column separators
  for (const col of [11, 22]) rules.push({ x0In: columnX(col) + 0.02, y0In: rowY(FIRST_ROW[side] - 0.5), x1In: columnX(col) + 0.02, y1In: rowY(LAST_OPTION_ROW + 1), widthIn: 0.01 });

  for (const p of blocks) {
    const c = contestById(election, p.contestId);
    const cc = CONTENT[p.contentColumn] ?? CONTENT[0];
    const xText = columnX(cc.textStartColumn) - 0.05;
    const xName = columnX(cc.ovalColumn) - GRID.oval.widthIn / 2 - 0.06;
    let row = p.firstRow;
    rules.push({ x0In: xText, y0In: rowY(row - 0.6), x1In: columnX(cc.ovalColumn) + 0.15, y1In: rowY(row - 0.6), widthIn: 0.02 });
    for (const line of wrap(c.title, TITLE_WRAP)) {
      texts.push({ xIn: xText, yIn: rowY(row) + 0.04, text: line, sizePt: 9.5, weight: 'bold', anchor: 'start' });
      row++;
    }
    const voteFor = c.type === 'yesno' ? 'Vote yes or no' : c.voteFor === 1 ? 'Vote for not more than 1' : `Vote for not more than ${c.voteFor}`;
    texts.push({ xIn: xText, yIn: rowY(row) + 0.03, text: voteFor, sizePt: 7.5, weight: 'normal', anchor: 'start', italic: true });
    row++;
    if (c.description !== null) {
      for (const line of wrap(c.description, DESC_WRAP)) {
        texts.push({ xIn: xText, yIn: rowY(row) + 0.03, text: line, sizePt: 7, weight: 'normal', anchor: 'start' });
        row++;
      }
    }
    const order = style.optionOrder[c.id] ?? c.options.map((o) => o.id);
    for (const optionId of order) {
      const o = c.options.find((x) => x.id === optionId);
      if (o === undefined) continue;
      texts.push({ xIn: xName, yIn: rowY(row) + 0.045, text: o.name, sizePt: 9, weight: 'bold', anchor: 'end' });
      const party = o.partyId === null ? undefined : election.parties.find((pp) => pp.id === o.partyId);
      if (party !== undefined) texts.push({ xIn: xName, yIn: rowY(row + 0.75), text: party.name, sizePt: 6.5, weight: 'normal', anchor: 'end' });
      targets.push({ side, column: cc.ovalColumn, row, contestId: c.id, optionId: o.id, type: 'option' });
      row += 2;
    }
    for (let w = 0; w < c.writeIns; w++) {
      rules.push({ x0In: xText + 0.3, y0In: rowY(row) + 0.06, x1In: xName, y1In: rowY(row) + 0.06, widthIn: 0.008 });
      texts.push({ xIn: xText + 0.3, yIn: rowY(row + 0.75), text: 'write-in', sizePt: 6, weight: 'normal', anchor: 'start', italic: true });
      targets.push({
        side,
        column: cc.ovalColumn,
        row,
        contestId: c.id,
        optionId: null,
        type: 'write-in',
        writeInIndex: w,
        writeInArea: { column0: cc.textStartColumn + 1, row0: row - 1, column1: cc.ovalColumn - 1, row1: row },
      });
      row += 2;
    }
    contests.push({ contestId: c.id, side, contentColumn: p.contentColumn, firstRow: p.firstRow, lastRow: row - 2 });
  }

  const codeBits = encodeStyleCode(style.number, card, side);
  texts.push({
    xIn: columnX(1),
    yIn: rowY(49.8),
    text: `Style ${String(style.number).padStart(4, '0')} \u00b7 Card ${card} of ${cards} \u00b7 ${side === 'front' ? 'Front' : 'Back'}${side === 'front' ? ' \u2014 turn over' : ''}`,
    sizePt: 8,
    weight: 'bold',
    anchor: 'start',
  });
  texts.push({ xIn: columnX(32), yIn: rowY(49.8), text: `${style.id} / ${precinctNames}`, sizePt: 7, weight: 'normal', anchor: 'end' });
  return { side, contests, targets, codeBits, texts, rules };
}

/** The machine-readable layout exported beside the ground truth (no print text). */
export function layoutJson(layout: StyleLayout): unknown {
  const side = (s: SideLayout): unknown => ({
    side: s.side,
    codeBits: s.codeBits,
    contests: s.contests,
    targets: s.targets,
  });
  return {
    styleId: layout.styleId,
    styleNumber: layout.styleNumber,
    precinctIds: layout.precinctIds,
    grid: GRID,
    cards: layout.cards.map((c) => ({ card: c.card, front: side(c.front), back: side(c.back) })),
  };
}
