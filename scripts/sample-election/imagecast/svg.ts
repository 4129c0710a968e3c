/** The printed, unmarked side of an ImageCast-design ballot as SVG (pixel units at `dpi`). */
import type { ImagecastGrid } from './geometry.ts';
import { IMAGECAST, gridX, gridY } from './geometry.ts';
import type { ImagecastSide } from './layout.ts';

/**
 * Greys of the dropout ink, just lighter than the scanner's black cut (185) so only a broken
 * trace survives the paper noise: ovals keep about half their outline, box lines much less (as on
 * real ImageCast scans).
 */
export const DROPOUT_OVAL_GREY = 186;
export const DROPOUT_RULE_GREY = 191;

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function imagecastSideSvg(side: ImagecastSide, grid: ImagecastGrid, dpi: number): string {
  const px = (inches: number): string => (inches * dpi).toFixed(2);
  const W = Math.round(grid.pageWidthIn * dpi);
  const H = Math.round(grid.pageHeightIn * dpi);
  const L = grid.pageHeightIn;
  const I = IMAGECAST;
  const grey = (v: number): string => `rgb(${v},${v},${v})`;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`);
  parts.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  const rect = (x: number, y: number, w: number, h: number): void => {
    parts.push(`<rect x="${px(x)}" y="${px(y)}" width="${px(w)}" height="${px(h)}" fill="#000"/>`);
  };
  // top timing row: corner blocks at both ends, bars between
  const topY = I.barTopIn;
  rect(I.cornerBlock.leftXIn, topY, I.cornerBlock.widthIn, I.barHeightIn);
  rect(I.cornerBlock.rightXIn, topY, I.cornerBlock.rightWidthIn, I.barHeightIn);
  for (let k = 0; k < I.topBars; k++) rect(I.firstBarXIn + k * I.pitchXIn, topY, I.barWidthIn, I.barHeightIn);
  // bottom timing row: one corner block, bottom left; one more bar where the top has its right block
  const bottomY = L - I.bottomMarginIn - I.barHeightIn;
  rect(I.cornerBlock.leftXIn, bottomY, I.cornerBlock.widthIn, I.barHeightIn);
  for (let k = 0; k < I.bottomBars; k++) rect(I.firstBarXIn + k * I.pitchXIn, bottomY, I.barWidthIn, I.barHeightIn);
  // side squares
  const sq = I.square;
  for (let r = 0; r < grid.rows; r++) {
    const yy = sq.firstTopIn + r * sq.pitchYIn;
    rect(sq.leftXIn, yy, sq.sizeIn, sq.sizeIn);
    rect(sq.rightXIn, yy, sq.sizeIn, sq.sizeIn);
  }
  // the cross-hair: top right on the front, bottom right on the back (where the front's would be after turning the sheet over)
  const ch = I.crossHair;
  // (on the back it sits right of the closing text, below the last side square)
  const chX = side.side === 'front' ? ch.xIn : ch.backXIn;
  const chY = side.side === 'front' ? ch.yIn : L - ch.backFromBottomIn;
  const r = ch.sizeIn / 2;
  parts.push(`<circle cx="${px(chX)}" cy="${px(chY)}" r="${px(r * 0.55)}" fill="none" stroke="#000" stroke-width="${px(0.014)}"/>`);
  parts.push(`<path d="M ${px(chX - r)} ${px(chY)} H ${px(chX + r)} M ${px(chX)} ${px(chY - r)} V ${px(chY + r)}" stroke="#000" stroke-width="${px(0.014)}"/>`);
  const plusY = side.side === 'front' ? L - I.code.topFromBottomIn + 0.25 : 0.35;
  parts.push(`<path d="M ${px(0.4)} ${px(plusY)} H ${px(0.46)} M ${px(0.43)} ${px(plusY - 0.03)} V ${px(plusY + 0.03)}" stroke="#000" stroke-width="${px(0.012)}"/>`);
  // ballot code: tall start bar, a short bar per 1 bit on bottom-bar columns, tall end bar, the card id sideways
  const codeTop = L - I.code.topFromBottomIn;
  rect(I.code.startXIn, codeTop, I.barWidthIn, I.code.tallHeightIn);
  side.codeBits.forEach((bit, i) => {
    if (bit === 1) rect(I.firstBarXIn + i * I.pitchXIn, codeTop, I.barWidthIn, I.code.shortHeightIn);
  });
  const endX = I.firstBarXIn + side.codeBits.length * I.pitchXIn;
  rect(endX, codeTop, I.barWidthIn, I.code.tallHeightIn);
  const idX = endX + 0.22;
  const idY = codeTop + 0.17;
  parts.push(`<text x="${px(idX)}" y="${px(idY)}" transform="rotate(-90 ${px(idX)} ${px(idY)})" text-anchor="middle" font-family="Liberation Sans, Arial, sans-serif" font-size="${px(5 / 72)}" fill="#000">${side.cardId}</text>`);

  for (const rule of side.dropoutRules) {
    parts.push(`<line x1="${px(rule.x0In)}" y1="${px(rule.y0In)}" x2="${px(rule.x1In)}" y2="${px(rule.y1In)}" stroke="${grey(DROPOUT_RULE_GREY)}" stroke-width="${px(rule.widthIn)}"/>`);
  }
  for (const rule of side.rules) {
    parts.push(`<line x1="${px(rule.x0In)}" y1="${px(rule.y0In)}" x2="${px(rule.x1In)}" y2="${px(rule.y1In)}" stroke="#000" stroke-width="${px(rule.widthIn)}"/>`);
  }
  for (const t of side.texts) {
    parts.push(
      `<text x="${px(t.xIn)}" y="${px(t.yIn)}" font-family="Liberation Sans, Arial, DejaVu Sans, sans-serif" font-size="${px(t.sizePt / 72)}" font-weight="${t.weight}"${t.italic === true ? ' font-style="italic"' : ''} text-anchor="${t.anchor}" fill="#000">${esc(t.text)}</text>`,
    );
  }
  const ov = grid.oval;
  for (const target of side.targets) {
    parts.push(`<ellipse cx="${px(gridX(grid, target.column))}" cy="${px(gridY(grid, target.row))}" rx="${px(ov.widthIn / 2)}" ry="${px(ov.heightIn / 2)}" fill="none" stroke="${grey(DROPOUT_OVAL_GREY)}" stroke-width="${px(ov.strokeIn)}"/>`);
  }
  parts.push('</svg>');
  return parts.join('\n');
}
