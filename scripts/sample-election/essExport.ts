/**
 * The ES&S Electionware ballot-image export, as counties deliver it (Tools › Export Ballot Images):
 * folders `<precinct>/<party or Nonpartisan>/` holding per sheet `<id>i.pdf` (the scan: front and
 * back pages, CCITT G4) and `<id>c.pdf` (a printout of that sheet's CVR, text only), ExpressVote
 * (BMD) cards among them as narrow one-page PDFs, and the whole export zipped with `\` separators.
 */
import JSZip from 'jszip';
import type { Election } from './election.ts';
import { GRID, columnX } from './layout.ts';
import type { TruthMark } from './marks.ts';
import { g4Strip, scanPdf, textPdf } from './pdf.ts';
import type { SheetPlan } from './plan.ts';
import { Rng } from './prng.ts';
import { rasterizeSvg } from './raster.ts';
import type { ReportedContest } from './truth.ts';

/** ES&S's ballot id in file names: the CVR number, zero-padded. */
export function essBallotId(cvrNumber: number): string {
  return String(cvrNumber).padStart(6, '0');
}

function folderName(text: string): string {
  return text.replace(/[\\/:*?"<>|]+/g, ' ').trim();
}

/** `<precinct name>/<party>` ("Nonpartisan" when the style has no party), as Electionware names them. */
export function essExportFolder(election: Election, sheet: SheetPlan): string {
  const precinct = election.precincts.find((p) => p.id === sheet.precinctId);
  const style = election.styles.find((s) => s.id === sheet.styleId);
  const party = election.parties.find((p) => p.id === style?.partyId);
  return `${folderName(precinct?.name ?? sheet.precinctId)}/${folderName(party?.name ?? 'Nonpartisan')}`;
}

/** The AccuVote oval column of each content column → the ES&S one (essDesign.ts). */
const OVAL_COLUMN = new Map([
  [10, 2],
  [21, 13],
  [31, 24],
]);

/**
 * The voter's marks placed on the ES&S design: a targeted mark moves with its oval (its jitter
 * kept); a write-in name, which the pen draws left of the given x, moves so that it lands right
 * of the ES&S oval, on the write-in line. Stray marks stay where they fell.
 */
export function essMarks(marks: readonly TruthMark[]): TruthMark[] {
  return marks.map((m) => {
    if (m.column === null) return m;
    const to = OVAL_COLUMN.get(m.column);
    if (to === undefined) return m;
    const dx = columnX(to) - columnX(m.column);
    if (m.kind === 'write-in-scribble') {
      const len = Math.min(1.6, 0.12 * (m.writeInName ?? 'x').length + 0.2);
      return { ...m, column: to, xIn: columnX(to) + GRID.oval.widthIn + 0.3 + len };
    }
    return { ...m, column: to, xIn: m.xIn + dx };
  });
}

/** About one ballot in twenty-five is voted on an ExpressVote: chosen per ballot, deterministically. */
export function isBmdBallot(seed: number, ballotId: string, cardsInStyle: number): boolean {
  return cardsInStyle === 1 && Rng.derive(seed, 'ess-bmd', ballotId).chance(0.04);
}

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** ExpressVote card: 4¼ × 11 in, a barcode over a printed summary of the choices, no ovals. */
export const BMD_CARD = { widthIn: 4.25, heightIn: 11 } as const;

function optionName(election: Election, contestId: string, optionId: string): string {
  if (optionId.startsWith('write-in-')) return 'Write-in';
  return election.contests.find((c) => c.id === contestId)?.options.find((o) => o.id === optionId)?.name ?? optionId;
}

function summaryLines(election: Election, contests: readonly ReportedContest[]): string[] {
  const lines: string[] = [];
  for (const r of contests) {
    const c = election.contests.find((x) => x.id === r.contestId);
    if (c === undefined) continue;
    lines.push(c.title);
    if (r.outcome === 'overvote') lines.push('   (overvoted)');
    else if (r.votes.length === 0) lines.push('   No selection');
    else for (const v of r.votes) lines.push(`   ${optionName(election, c.id, v)}`);
  }
  return lines;
}

/** The BMD card's printed side as SVG: the barcode encodes nothing real (its bars come from the sheet id). */
export function bmdCardSvg(election: Election, sheet: SheetPlan, contests: readonly ReportedContest[], dpi: number): string {
  const px = (inches: number): string => (inches * dpi).toFixed(2);
  const W = Math.round(BMD_CARD.widthIn * dpi);
  const H = Math.round(BMD_CARD.heightIn * dpi);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}">`, `<rect width="${W}" height="${H}" fill="#fff"/>`];
  const rng = Rng.derive(0, 'bmd-barcode', sheet.sheetId);
  let x = 0.35;
  while (x < BMD_CARD.widthIn - 0.45) {
    const w = rng.pick([0.012, 0.024, 0.036]);
    parts.push(`<rect x="${px(x)}" y="${px(0.4)}" width="${px(w)}" height="${px(0.55)}" fill="#000"/>`);
    x += w + rng.pick([0.012, 0.024, 0.036]);
  }
  const text = (xIn: number, yIn: number, s: string, pt: number, bold = false) =>
    parts.push(`<text x="${px(xIn)}" y="${px(yIn)}" font-family="Liberation Mono, DejaVu Sans Mono, monospace" font-size="${((pt / 72) * dpi).toFixed(2)}"${bold ? ' font-weight="bold"' : ''} fill="#000">${esc(s)}</text>`);
  text(0.35, 1.25, 'OFFICIAL BALLOT', 10, true);
  text(0.35, 1.45, election.title, 7);
  text(0.35, 1.62, `${election.precincts.find((p) => p.id === sheet.precinctId)?.name ?? ''} - Style ${sheet.styleId}`, 7);
  summaryLines(election, contests)
    .slice(0, 60)
    .forEach((line, i) => text(0.35, 1.95 + i * 0.15, line.slice(0, 44), 7, !line.startsWith(' ')));
  parts.push('</svg>');
  return parts.join('\n');
}

/** An ExpressVote card as ES&S exports it: one bitonal page in an `<id>i.pdf`. */
export async function bmdCardPdf(election: Election, sheet: SheetPlan, contests: readonly ReportedContest[], dpi: number): Promise<Buffer> {
  const raster = await rasterizeSvg(bmdCardSvg(election, sheet, contests, dpi), dpi);
  const bitonal = Buffer.from(raster.data.map((v) => (v < 160 ? 0 : 255)));
  const g4 = await g4Strip({ ...raster, data: bitonal });
  return scanPdf([{ widthPx: raster.width, heightPx: raster.height, g4, widthIn: BMD_CARD.widthIn, heightIn: BMD_CARD.heightIn }]);
}

/** `<id>c.pdf`: the sheet's cast vote record printed as text (what the EMS recorded, not an image). */
export function cvrPrintoutPdf(election: Election, sheet: SheetPlan, contests: readonly ReportedContest[] | null): Buffer {
  const precinct = election.precincts.find((p) => p.id === sheet.precinctId)?.name ?? sheet.precinctId;
  const head = [`Cast Vote Record: ${sheet.cvrNumber}`, `Precinct: ${precinct}`, `Ballot Style: ${sheet.styleId} card ${sheet.card}`, ''];
  return textPdf([...head, ...(contests === null ? ['(not in the cast vote records)'] : summaryLines(election, contests))].slice(0, 56));
}

export interface ZipMember {
  /** Path inside the export, `/`-separated. */
  readonly path: string;
  readonly bytes: Buffer;
}

/**
 * The export as one zip with Windows separators in the member names (`Pct 1\Nonpartisan\000001i.pdf`),
 * as Electionware writes it; fixed dates, stored (PDFs of G4 pages do not compress).
 */
export async function essExportZip(members: readonly ZipMember[], date: Date): Promise<Buffer> {
  const zip = new JSZip();
  for (const m of [...members].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    zip.file(m.path.replace(/\//g, '\\'), m.bytes, { date, binary: true, createFolders: false, compression: 'STORE' });
  }
  return zip.generateAsync({ type: 'nodebuffer', platform: 'DOS' });
}
