/**
 * Places a ballot style on the ImageCast design: contests flow down three content columns, front
 * then back, card after card; the option name is printed left of its oval, the oval sits on a grid
 * intersection (a timing-bar column and a side-square row). Headings in English and Spanish.
 */
import { contestById, type BallotStyle, type Election } from '../election.ts';
import type { CardLayout, ContestBlock, RuleItem, Side, SideLayout, StyleLayout, Target, TextItem } from '../layout.ts';
import { encodeImagecastCode, gridX, gridY, imagecastCardId, imagecastGrid, PAPER_LENGTHS_IN, type ImagecastGrid, type PaperLength } from './geometry.ts';

/** Extra print the ImageCast design has beyond the shared side layout. */
export interface ImagecastSide extends SideLayout {
  /** Box and separator lines printed in the dropout colour: the scanner keeps only a broken trace. */
  readonly dropoutRules: readonly RuleItem[];
  /** The card id printed sideways beside the code row's end bar. */
  readonly cardId: number;
}

export interface ImagecastCard extends CardLayout {
  readonly front: ImagecastSide;
  readonly back: ImagecastSide;
}

export interface ImagecastStyleLayout extends StyleLayout {
  readonly design: 'imagecast';
  readonly paperLengthIn: PaperLength;
  readonly grid: ImagecastGrid;
  readonly cards: readonly ImagecastCard[];
}

/** Content columns: where the contest box starts (inches) and the grid column of its ovals. */
const CONTENT = [
  { boxLeftIn: 0.62, ovalColumn: 7 },
  { boxLeftIn: 3.12, ovalColumn: 15 },
  { boxLeftIn: 5.56, ovalColumn: 23 },
] as const;
const FIRST_ROW = { front: 10, back: 0 } as const;

const SPANISH: Readonly<Record<string, string>> = {
  President: 'Presidente', and: 'y', Vice: 'Vice', 'United States Senator': 'Senador de los Estados Unidos', Representative: 'Representante',
  Representatives: 'Representantes', in: 'en', Congress: 'el Congreso', Governor: 'Gobernador', State: 'Estatal', Senator: 'Senador',
  District: 'Distrito', Sheriff: 'Alguacil', County: 'del Condado', Commissioners: 'Comisionados', Judge: 'Juez', of: 'de', Probate: 'Sucesiones',
  School: 'Escolar', Board: 'Junta', Members: 'Miembros', Constitutional: 'Constitucional', Amendment: 'Enmienda', Question: 'Pregunta',
  Article: 'Artículo', Convention: 'Convención', Moderator: 'Moderador', Library: 'Biblioteca', Trustees: 'Fideicomisarios', Budget: 'Presupuesto',
  Committee: 'Comité', Democratic: 'Demócrata', Republican: 'Republicano',
};

/** A rough Spanish heading: whole phrase if known, else word by word (a sample ballot, not a translation service). */
export function spanishTitle(title: string): string {
  if (SPANISH[title] !== undefined) return SPANISH[title];
  return title
    .replace(/[()]/g, '')
    .split(/\s+/)
    .map((w) => SPANISH[w] ?? w)
    .join(' ');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line.length > 0 && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line.length > 0 ? `${line} ${word}` : word;
  }
  if (line.length > 0) lines.push(line);
  return lines;
}

const TITLE_WRAP = 30;
const DESC_WRAP = 46;
const VOTE_FOR_WORDS = ['one', 'two', 'three', 'four', 'five'];
const VOTE_FOR_ES = ['uno', 'dos', 'tres', 'cuatro', 'cinco'];

interface Heading {
  readonly lines: readonly { text: string; italic: boolean; weight: 'bold' | 'normal'; sizePt: number }[];
  readonly description: readonly string[];
}

function heading(election: Election, contestId: string): Heading {
  const c = contestById(election, contestId);
  const n = c.voteFor - 1;
  const voteFor = c.type === 'yesno' ? '(Vote yes or no) - (Vote sí o no)' : `(Vote for ${VOTE_FOR_WORDS[n] ?? c.voteFor}) - (Vote por ${VOTE_FOR_ES[n] ?? c.voteFor})`;
  return {
    lines: [
      ...wrap(c.title, TITLE_WRAP).map((text) => ({ text, italic: false, weight: 'bold' as const, sizePt: 9.5 })),
      ...wrap(spanishTitle(c.title), TITLE_WRAP).map((text) => ({ text, italic: true, weight: 'bold' as const, sizePt: 9.5 })),
      { text: voteFor, italic: false, weight: 'normal', sizePt: 8 },
    ],
    description: c.description === null ? [] : wrap(c.description, DESC_WRAP),
  };
}

function blockRows(election: Election, contestId: string): number {
  const c = contestById(election, contestId);
  const h = heading(election, contestId);
  // heading lines, description lines, then a target every two rows (the first one row below the heading)
  return h.lines.length + h.description.length + 2 * (c.options.length + c.writeIns);
}

interface Placed {
  readonly contestId: string;
  readonly card: number;
  readonly side: Side;
  readonly contentColumn: number;
  readonly firstRow: number;
}

/** The paper length of a style: the three lengths rotate over style numbers, so an election has all three. */
export function paperLengthFor(styleNumber: number): PaperLength {
  return PAPER_LENGTHS_IN[(styleNumber - 1) % PAPER_LENGTHS_IN.length] as PaperLength;
}

export function layoutImagecastStyle(election: Election, style: BallotStyle): ImagecastStyleLayout {
  const paperLengthIn = paperLengthFor(style.number);
  const grid = imagecastGrid(paperLengthIn);
  const lastRow = grid.rows - 2;
  const placed: Placed[] = [];
  let card = 1;
  let side: Side = 'front';
  let contentColumn = 0;
  let row: number = FIRST_ROW.front;
  for (const contestId of style.contestIds) {
    const height = blockRows(election, contestId);
    for (;;) {
      if (row + height - 1 <= lastRow) break;
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
  const cards: ImagecastCard[] = [];
  for (let c = 1; c <= card; c++) {
    const build = (s: Side): ImagecastSide => buildSide(election, style, grid, placed.filter((p) => p.card === c && p.side === s), c, card, s);
    cards.push({ card: c, front: build('front'), back: build('back') });
  }
  return { design: 'imagecast', styleId: style.id, styleNumber: style.number, precinctIds: style.precinctIds, paperLengthIn, grid, cards };
}

function buildSide(election: Election, style: BallotStyle, grid: ImagecastGrid, blocks: readonly Placed[], card: number, cards: number, side: Side): ImagecastSide {
  const texts: TextItem[] = [];
  const rules: RuleItem[] = [];
  const dropoutRules: RuleItem[] = [];
  const targets: Target[] = [];
  const contests: ContestBlock[] = [];
  const y = (row: number): number => gridY(grid, row);
  const box = (x0: number, y0: number, x1: number, y1: number, into: RuleItem[], widthIn: number): void => {
    into.push({ x0In: x0, y0In: y0, x1In: x1, y1In: y0, widthIn }, { x0In: x1, y0In: y0, x1In: x1, y1In: y1, widthIn }, { x0In: x1, y0In: y1, x1In: x0, y1In: y1, widthIn }, { x0In: x0, y0In: y1, x1In: x0, y1In: y0, widthIn });
  };
  const party = election.parties.find((p) => p.id === style.partyId);

  if (side === 'front') {
    const title = party === undefined ? `${election.title} \\ Boleta Oficial` : `${election.title} \u2014 ${party.name} \\ ${spanishTitle(party.name)}`;
    texts.push({ xIn: 4.25, yIn: y(0) + 0.09, text: title, sizePt: 14, weight: 'bold', anchor: 'middle' });
    const top = y(1) - 0.05;
    const bottom = y(8) + 0.1;
    box(0.62, top, 7.63, bottom, rules, 0.012);
    rules.push({ x0In: 5.45, y0In: top, x1In: 5.45, y1In: bottom, widthIn: 0.012 });
    const left = [
      ['Making selections:', 'bold', false],
      ['Hacer selecciones:', 'bold', true],
      ['Fill in the oval to the RIGHT of your choice completely. Do not cross out', 'normal', false],
      ['your vote. If you make a mistake, ask a poll worker for another ballot.', 'normal', false],
      ['Llene completamente el óvalo a la DERECHA de su opción. No tache su voto.', 'normal', true],
      ['Si comete un error, pida a un trabajador electoral otra boleta.', 'normal', true],
    ] as const;
    left.forEach(([text, weight, italic], i) => texts.push({ xIn: 0.7, yIn: y(1.35 + i) + 0.04, text, sizePt: weight === 'bold' ? 9.5 : 8, weight, anchor: 'start', italic }));
    const right = [
      ['Optional write-in:', 'bold', false],
      ['Por escrito opcional:', 'bold', true],
      ['To vote for a person not listed,', 'normal', false],
      ['print the name on the line and', 'normal', false],
      ['fill in the oval.', 'normal', false],
      ['Escriba el nombre y llene el óvalo.', 'normal', true],
    ] as const;
    right.forEach(([text, weight, italic], i) => texts.push({ xIn: 5.53, yIn: y(1.35 + i) + 0.04, text, sizePt: weight === 'bold' ? 9.5 : 8, weight, anchor: 'start', italic }));
  }

  for (const p of blocks) {
    const c = contestById(election, p.contestId);
    const cc = CONTENT[p.contentColumn] ?? CONTENT[0];
    const ovalX = gridX(grid, cc.ovalColumn);
    const boxRight = ovalX + 0.17;
    const h = heading(election, c.id);
    let row = p.firstRow;
    const headTop = y(row) - 0.17;
    for (const line of h.lines) {
      texts.push({ xIn: (cc.boxLeftIn + boxRight) / 2, yIn: y(row) + 0.05, text: line.text, sizePt: line.sizePt, weight: line.weight, anchor: 'middle', italic: line.italic });
      row++;
    }
    box(cc.boxLeftIn, headTop, boxRight, y(row - 1) + 0.12, rules, 0.012);
    for (const line of h.description) {
      texts.push({ xIn: cc.boxLeftIn + 0.06, yIn: y(row) + 0.04, text: line, sizePt: 7.5, weight: 'normal', anchor: 'start' });
      row++;
    }
    const order = style.optionOrder[c.id] ?? c.options.map((o) => o.id);
    const nameX = cc.boxLeftIn + 0.06;
    for (const optionId of order) {
      const o = c.options.find((x) => x.id === optionId);
      if (o === undefined) continue;
      texts.push({ xIn: nameX, yIn: y(row) + 0.05, text: o.name, sizePt: 9.5, weight: 'normal', anchor: 'start' });
      const op = o.partyId === null ? undefined : election.parties.find((pp) => pp.id === o.partyId);
      if (op !== undefined) texts.push({ xIn: nameX + 0.1, yIn: y(row + 0.7), text: `${op.name} \\ ${spanishTitle(op.name)}`, sizePt: 6.5, weight: 'normal', anchor: 'start', italic: true });
      dropoutRules.push({ x0In: cc.boxLeftIn, y0In: y(row + 1), x1In: boxRight, y1In: y(row + 1), widthIn: 0.01 });
      targets.push({ side, column: cc.ovalColumn, row, contestId: c.id, optionId: o.id, type: 'option' });
      row += 2;
    }
    for (let w = 0; w < c.writeIns; w++) {
      texts.push({ xIn: nameX + 0.02, yIn: y(row) - 0.02, text: 'Write In', sizePt: 7.5, weight: 'normal', anchor: 'start' });
      texts.push({ xIn: nameX + 0.02, yIn: y(row) + 0.13, text: 'Por Escrito', sizePt: 7.5, weight: 'normal', anchor: 'start', italic: true });
      rules.push({ x0In: nameX + 0.6, y0In: y(row) + 0.12, x1In: ovalX - 0.15, y1In: y(row) + 0.12, widthIn: 0.008 });
      dropoutRules.push({ x0In: cc.boxLeftIn, y0In: y(row + 1), x1In: boxRight, y1In: y(row + 1), widthIn: 0.01 });
      targets.push({
        side,
        column: cc.ovalColumn,
        row,
        contestId: c.id,
        optionId: null,
        type: 'write-in',
        writeInIndex: w,
        writeInArea: { column0: Math.max(0, cc.ovalColumn - 6), row0: row - 1, column1: cc.ovalColumn - 1, row1: row },
      });
      row += 2;
    }
    // the box's sides around the options, in dropout ink
    dropoutRules.push({ x0In: cc.boxLeftIn, y0In: headTop, x1In: cc.boxLeftIn, y1In: y(row - 1), widthIn: 0.01 }, { x0In: boxRight, y0In: headTop, x1In: boxRight, y1In: y(row - 1), widthIn: 0.01 });
    contests.push({ contestId: c.id, side, contentColumn: p.contentColumn, firstRow: p.firstRow, lastRow: row - 2 });
  }

  const bottom = grid.pageHeightIn;
  texts.push({ xIn: 7.6, yIn: bottom - 0.86, text: side === 'front' || card < cards ? 'TURN OVER - VOTE BOTH SIDES' : 'END OF BALLOT', sizePt: 8.5, weight: 'bold', anchor: 'end' });
  texts.push({ xIn: 7.6, yIn: bottom - 0.7, text: side === 'front' || card < cards ? 'VOLTEA - VOTE AMBOS LADOS' : 'FIN DE LA BOLETA', sizePt: 8.5, weight: 'bold', anchor: 'end', italic: true });
  texts.push({ xIn: 4.25, yIn: 0.25, text: `Sample ballot made by the ballotsafe generator \u00b7 Card ${card} of ${cards}`, sizePt: 5.5, weight: 'normal', anchor: 'middle' });
  return { side, contests, targets, codeBits: encodeImagecastCode(style.number, card, side), texts, rules, dropoutRules, cardId: imagecastCardId(style.number, card) };
}

/** Machine-readable layout for truth/layouts (no print text). */
export function imagecastLayoutJson(layout: ImagecastStyleLayout): unknown {
  const side = (s: ImagecastSide): unknown => ({ side: s.side, codeBits: s.codeBits, cardId: s.cardId, contests: s.contests, targets: s.targets });
  return {
    styleId: layout.styleId,
    styleNumber: layout.styleNumber,
    precinctIds: layout.precinctIds,
    design: 'imagecast',
    paperLengthIn: layout.paperLengthIn,
    grid: layout.grid,
    cards: layout.cards.map((c) => ({ card: c.card, front: side(c.front), back: side(c.back) })),
  };
}
