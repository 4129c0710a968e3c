/**
 * The ES&S hand-marked ballot design (DS200/DS850 family), drawn for the sample election's
 * Electionware-shaped export: a dashed border of timing marks around the page, the ballot style
 * printed top right, ovals to the LEFT of the option names, shaded contest headers, no code row.
 * Contest placement (rows, content columns, card/side breaks) is the AccuVote layout's, so voters'
 * marks, the truth files and the CVR stay the same election; only the print and the target column
 * differ. Pure: election + layout in, layout and SVG out.
 */
import { contestById, type BallotStyle, type Election } from './election.ts';
import { pageSizePx } from './raster.ts';
import type { PrintDesign } from './render.ts';
import { GRID, columnX, rowY, type CardLayout, type SideLayout, type StyleLayout, type Target, type TextItem, type RuleItem } from './layout.ts';

/** Content columns of the ES&S print: oval at the left, names from just right of it to the column's end. */
const ESS_CONTENT = [
  { ovalColumn: 2, endColumn: 10.6 },
  { ovalColumn: 13, endColumn: 21.6 },
  { ovalColumn: 24, endColumn: 32.6 },
] as const;
/** The AccuVote layout's oval columns, by content column (layout.ts CONTENT). */
const ACCUVOTE_OVAL_COLUMNS = [10, 21, 31];
const TITLE_WRAP = 30;
const DESC_WRAP = 50;

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

function contentOf(target: Target): number {
  const i = ACCUVOTE_OVAL_COLUMNS.indexOf(target.column);
  if (i < 0) throw new Error(`target at column ${target.column} is not in an AccuVote content column`);
  return i;
}

function essSide(election: Election, style: BallotStyle, acc: SideLayout, card: number, cards: number): SideLayout {
  const texts: TextItem[] = [];
  const rules: RuleItem[] = [];
  const precinctNames = style.precinctIds.map((id) => election.precincts.find((p) => p.id === id)?.name ?? id).join(', ');
  const party = election.parties.find((p) => p.id === style.partyId);
  // The style number, top right, as ES&S prints it on every side.
  texts.push({ xIn: columnX(32.4), yIn: rowY(1.1), text: `Ballot Style ${String(style.number).padStart(3, '0')}`, sizePt: 9, weight: 'bold', anchor: 'end' });
  if (acc.side === 'front') {
    texts.push({ xIn: columnX(1), yIn: rowY(1.1), text: 'OFFICIAL BALLOT', sizePt: 12, weight: 'bold', anchor: 'start' });
    texts.push({ xIn: columnX(1), yIn: rowY(2.3), text: `${election.title.toUpperCase()} \u2014 ${election.date}`, sizePt: 9, weight: 'bold', anchor: 'start' });
    texts.push({ xIn: columnX(1), yIn: rowY(3.3), text: `${election.jurisdiction} \u2014 ${precinctNames}`, sizePt: 8, weight: 'normal', anchor: 'start' });
    if (party !== undefined) texts.push({ xIn: columnX(32.4), yIn: rowY(2.3), text: `${party.name.toUpperCase()} PARTY`, sizePt: 9, weight: 'bold', anchor: 'end' });
    texts.push({ xIn: columnX(1), yIn: rowY(4.6), text: 'To vote, fill in the oval completely to the LEFT of your choice.', sizePt: 8, weight: 'normal', anchor: 'start' });
    texts.push({ xIn: columnX(1), yIn: rowY(5.6), text: 'To vote for a person not listed, fill in the oval and write the name on the line.', sizePt: 8, weight: 'normal', anchor: 'start' });
  } else {
    texts.push({ xIn: columnX(1), yIn: rowY(1.1), text: `${election.title} \u2014 card ${card} back`, sizePt: 8, weight: 'normal', anchor: 'start' });
  }
  const targets: Target[] = acc.targets.map((t) => {
    const cc = ESS_CONTENT[contentOf(t)] ?? ESS_CONTENT[0];
    return {
      ...t,
      column: cc.ovalColumn,
      ...(t.writeInArea === undefined ? {} : { writeInArea: { column0: cc.ovalColumn + 1, row0: t.row - 1, column1: Math.floor(cc.endColumn), row1: t.row } }),
    };
  });
  for (const block of acc.contests) {
    const c = contestById(election, block.contestId);
    const cc = ESS_CONTENT[block.contentColumn] ?? ESS_CONTENT[0];
    const x = columnX(cc.ovalColumn - 0.6);
    let row = block.firstRow;
    for (const line of wrap(c.title, TITLE_WRAP)) {
      texts.push({ xIn: x, yIn: rowY(row) + 0.04, text: line, sizePt: 9.5, weight: 'bold', anchor: 'start' });
      row++;
    }
    const voteFor = c.type === 'yesno' ? 'Vote Yes or No' : `Vote for ${c.voteFor}`;
    texts.push({ xIn: x, yIn: rowY(row) + 0.03, text: voteFor, sizePt: 7.5, weight: 'normal', anchor: 'start', italic: true });
    row++;
    if (c.description !== null) {
      for (const line of wrap(c.description, DESC_WRAP)) {
        texts.push({ xIn: x, yIn: rowY(row) + 0.03, text: line, sizePt: 7, weight: 'normal', anchor: 'start' });
        row++;
      }
    }
    const xName = columnX(cc.ovalColumn) + GRID.oval.widthIn / 2 + 0.07;
    for (const t of targets.filter((tt) => tt.contestId === c.id)) {
      if (t.type === 'write-in') {
        rules.push({ x0In: xName, y0In: rowY(t.row) + 0.06, x1In: columnX(cc.endColumn), y1In: rowY(t.row) + 0.06, widthIn: 0.008 });
        texts.push({ xIn: xName, yIn: rowY(t.row + 0.75), text: 'write-in', sizePt: 6, weight: 'normal', anchor: 'start', italic: true });
        continue;
      }
      const o = c.options.find((oo) => oo.id === t.optionId);
      if (o === undefined) continue;
      texts.push({ xIn: xName, yIn: rowY(t.row) + 0.045, text: o.name, sizePt: 9, weight: 'bold', anchor: 'start' });
      const p = o.partyId === null ? undefined : election.parties.find((pp) => pp.id === o.partyId);
      if (p !== undefined) texts.push({ xIn: xName, yIn: rowY(t.row + 0.75), text: p.name, sizePt: 6.5, weight: 'normal', anchor: 'start' });
    }
  }
  texts.push({ xIn: columnX(1), yIn: rowY(50.6), text: `Card ${card} of ${cards} \u00b7 ${acc.side === 'front' ? 'Front \u2014 vote both sides' : 'Back'}`, sizePt: 8, weight: 'bold', anchor: 'start' });
  return { side: acc.side, contests: acc.contests, targets, codeBits: acc.codeBits, texts, rules };
}

/** The ES&S-design layout of a style, from its AccuVote layout (same contests, rows and cards). */
export function essStyleLayout(election: Election, style: BallotStyle, accuvote: StyleLayout): StyleLayout {
  const cards: CardLayout[] = accuvote.cards.map((c) => ({
    card: c.card,
    front: essSide(election, style, c.front, c.card, accuvote.cards.length),
    back: essSide(election, style, c.back, c.card, accuvote.cards.length),
  }));
  return { ...accuvote, cards };
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Timing marks of the dashed border: short dashes along each edge, one every half grid pitch. */
const DASH = { alongIn: 0.06, acrossIn: 0.045 } as const;

/** The printed, unmarked ES&S-design side as SVG in pixel units at `dpi`. */
export function essSideSvg(side: SideLayout, dpi: number): string {
  const px = (inches: number): string => (inches * dpi).toFixed(2);
  const W = Math.round(GRID.pageWidthIn * dpi);
  const H = Math.round(GRID.pageHeightIn * dpi);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  // Shading prints as a halftone on a bitonal scan: a fine dot screen, not a solid grey.
  parts.push(`<defs><pattern id="shade" width="${px(0.02)}" height="${px(0.02)}" patternUnits="userSpaceOnUse"><rect width="${px(0.01)}" height="${px(0.01)}" fill="#000"/></pattern></defs>`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  // The dashed border: a dash every half grid pitch along all four edges.
  const left = columnX(0);
  const right = columnX(GRID.columns - 1);
  const top = rowY(0);
  const bottom = rowY(GRID.rows - 1);
  for (let c = 0; c <= 2 * (GRID.columns - 1); c++) {
    const x = left + (c * GRID.pitchXIn) / 2;
    for (const y of [top, bottom]) parts.push(`<rect x="${px(x - DASH.alongIn / 2)}" y="${px(y - DASH.acrossIn / 2)}" width="${px(DASH.alongIn)}" height="${px(DASH.acrossIn)}" fill="#000"/>`);
  }
  for (let r = 1; r < 2 * (GRID.rows - 1); r++) {
    const y = top + (r * GRID.pitchYIn) / 2;
    for (const x of [left, right]) parts.push(`<rect x="${px(x - DASH.acrossIn / 2)}" y="${px(y - DASH.alongIn / 2)}" width="${px(DASH.acrossIn)}" height="${px(DASH.alongIn)}" fill="#000"/>`);
  }
  // Shaded contest headers: from above the title to just above the first oval.
  for (const block of side.contests) {
    const first = side.targets.filter((t) => t.contestId === block.contestId).reduce((m, t) => Math.min(m, t.row), Infinity);
    if (!Number.isFinite(first)) continue;
    const cc = ESS_CONTENT[block.contentColumn] ?? ESS_CONTENT[0];
    const x0 = columnX(cc.ovalColumn - 0.8);
    const x1 = columnX(cc.endColumn);
    const y0 = rowY(block.firstRow - 0.8);
    const y1 = rowY(first - 1) + 0.07;
    parts.push(`<rect x="${px(x0)}" y="${px(y0)}" width="${px(x1 - x0)}" height="${px(y1 - y0)}" fill="url(#shade)" stroke="#000" stroke-width="${px(0.012)}"/>`);
  }
  for (const rule of side.rules) {
    parts.push(`<line x1="${px(rule.x0In)}" y1="${px(rule.y0In)}" x2="${px(rule.x1In)}" y2="${px(rule.y1In)}" stroke="#000" stroke-width="${px(rule.widthIn)}"/>`);
  }
  for (const t of side.texts) {
    const size = ((t.sizePt / 72) * dpi).toFixed(2);
    parts.push(
      `<text x="${px(t.xIn)}" y="${px(t.yIn)}" font-family="Liberation Sans, DejaVu Sans, sans-serif" font-size="${size}" font-weight="${t.weight}"${t.italic === true ? ' font-style="italic"' : ''} text-anchor="${t.anchor}" fill="#000">${esc(t.text)}</text>`,
    );
  }
  const ov = GRID.oval;
  for (const target of side.targets) {
    parts.push(`<ellipse cx="${px(columnX(target.column))}" cy="${px(rowY(target.row))}" rx="${px(ov.widthIn / 2)}" ry="${px(ov.heightIn / 2)}" fill="none" stroke="#000" stroke-width="${px(ov.strokeIn)}"/>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** The ES&S design as the renderer draws it: each side from its ES&S layout, letter-size pages, the AccuVote-size oval. */
export function essPrintDesign(layouts: ReadonlyMap<string, StyleLayout>): PrintDesign {
  return {
    sideSvg: (styleId, card, side, dpi) => {
      const c = layouts.get(styleId)?.cards.find((x) => x.card === card);
      if (c === undefined) throw new Error(`no ES&S layout for ${styleId} card ${card}`);
      return essSideSvg(side === 'front' ? c.front : c.back, dpi);
    },
    pageSize: (_styleId, dpi) => pageSizePx(dpi),
  };
}
