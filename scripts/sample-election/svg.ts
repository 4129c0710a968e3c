import { GRID, columnX, rowY, type SideLayout } from './layout.ts';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The printed, unmarked side as SVG in pixel units at `dpi`. */
export function sideSvg(side: SideLayout, dpi: number): string {
  const px = (inches: number): string => (inches * dpi).toFixed(2);
  const W = Math.round(GRID.pageWidthIn * dpi);
  const H = Math.round(GRID.pageHeightIn * dpi);
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  // Timing marks: every column on the top and bottom rows, every row on the left and right columns.
  const tm = GRID.timingMark;
  const mark = (c: number, r: number): void => {
    parts.push(`<rect x="${px(columnX(c) - tm.widthIn / 2)}" y="${px(rowY(r) - tm.heightIn / 2)}" width="${px(tm.widthIn)}" height="${px(tm.heightIn)}" fill="#000"/>`);
  };
  for (let c = 0; c < GRID.columns; c++) {
    mark(c, 0);
    mark(c, GRID.rows - 1);
  }
  for (let r = 1; r < GRID.rows - 1; r++) {
    mark(0, r);
    mark(GRID.columns - 1, r);
  }
  for (const rule of side.rules) {
    parts.push(`<line x1="${px(rule.x0In)}" y1="${px(rule.y0In)}" x2="${px(rule.x1In)}" y2="${px(rule.y1In)}" stroke="#000" stroke-width="${px(rule.widthIn)}"/>`);
  }
  for (const t of side.texts) {
    const size = ((t.sizePt / 72) * dpi).toFixed(2);
    parts.push(
      `<text x="${px(t.xIn)}" y="${px(t.yIn)}" font-family="Liberation Sans Narrow, Liberation Sans, DejaVu Sans Condensed, sans-serif" font-size="${size}" font-weight="${t.weight}"${t.italic === true ? ' font-style="italic"' : ''} text-anchor="${t.anchor}" fill="#000">${esc(t.text)}</text>`,
    );
  }
  const ov = GRID.oval;
  for (const target of side.targets) {
    parts.push(`<ellipse cx="${px(columnX(target.column))}" cy="${px(rowY(target.row))}" rx="${px(ov.widthIn / 2)}" ry="${px(ov.heightIn / 2)}" fill="none" stroke="#000" stroke-width="${px(ov.strokeIn)}"/>`);
  }
  const sq = GRID.codeSquareIn;
  side.codeBits.forEach((bit, i) => {
    if (bit !== 1) return;
    parts.push(`<rect x="${px(columnX(GRID.codeFirstColumn + i) - sq / 2)}" y="${px(rowY(GRID.codeRow) - sq / 2)}" width="${px(sq)}" height="${px(sq)}" fill="#000"/>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}
