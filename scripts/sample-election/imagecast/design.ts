/**
 * The ImageCast design wired into the generator: what to print per style, where marks go, and the
 * scanned sheet as ImageCast Central writes it — one 3-page TIFF (front, back, AuditMark page),
 * 1-bit CCITT modified Huffman, sometimes fed upside down.
 */
import type { AnnotationWriter } from '../annotation.ts';
import { contestById, type Election } from '../election.ts';
import type { MarkGeometry, TruthMark } from '../marks.ts';
import type { SheetPlan } from '../plan.ts';
import { Rng } from '../prng.ts';
import type { ScanTransform } from '../raster.ts';
import type { PrintDesign, SheetRenderer } from '../render.ts';
import type { ReportedContest } from '../truth.ts';
import { IMAGECAST, gridX, gridY } from './geometry.ts';
import type { ImagecastStyleLayout } from './layout.ts';
import { writeMhTiff } from './mhTiff.ts';
import { imagecastSideSvg } from './svg.ts';

/** Share of sheets fed into the scanner upside down (both sides come out turned 180 degrees). */
export const UPSIDE_DOWN_SHARE = 0.03;

function layoutOf(layouts: ReadonlyMap<string, ImagecastStyleLayout>, styleId: string): ImagecastStyleLayout {
  const l = layouts.get(styleId);
  if (l === undefined) throw new Error(`no ImageCast layout for ${styleId}`);
  return l;
}

export function imagecastPrintDesign(layouts: ReadonlyMap<string, ImagecastStyleLayout>): PrintDesign {
  return {
    sideSvg: (styleId, card, side, dpi) => {
      const layout = layoutOf(layouts, styleId);
      const c = layout.cards.find((x) => x.card === card);
      if (c === undefined) throw new Error(`no card ${card} in ${styleId}`);
      return imagecastSideSvg(side === 'front' ? c.front : c.back, layout.grid, dpi);
    },
    pageSize: (styleId, dpi) => {
      const layout = layoutOf(layouts, styleId);
      return { width: Math.round(layout.grid.pageWidthIn * dpi), height: Math.round(layout.grid.pageHeightIn * dpi) };
    },
    oval: IMAGECAST.oval,
  };
}

/** Targets on the style's grid; stray pen marks in a content column's name area, clear of the ovals. */
export function imagecastMarkGeometry(layout: ImagecastStyleLayout): MarkGeometry {
  const g = layout.grid;
  return {
    targetXY: (t) => [gridX(g, t.column), gridY(g, t.row)],
    strayPoint: (rng) => {
      const left = rng.pick([0.62, 3.12, 5.56]);
      return [left + 0.25 + rng.range(0, 0.6), gridY(g, rng.int(12, g.rows - 4)) + 0.1];
    },
  };
}

/** The AuditMark page's text, as ImageCast prints it: file, scan time, tabulator, batch, ballot (card) id, then what it counted. */
export function auditMarkLines(election: Election, sheet: SheetPlan, imageName: string, cardId: number, reported: readonly ReportedContest[]): string[] {
  const [year, month, day] = election.date.split('-');
  const seconds = sheet.recordId * 7 + sheet.batchId * 600;
  const hh = String(8 + Math.floor(seconds / 3600) % 12).padStart(2, '0');
  const mm = String(Math.floor(seconds / 60) % 60).padStart(2, '0');
  const ss = String(seconds % 60).padStart(2, '0');
  const lines = [
    `${imageName} scanned at: ${hh}:${mm}:${ss} on ${month}/${day}/${(year ?? '').slice(2)}.`,
    '',
    `Scanned on: ICC  Tabulator: ${sheet.tabulatorId}  Batch: ${sheet.batchId}`,
    `Ballot ID: ${cardId}`,
    '',
  ];
  for (const c of reported) {
    const contest = contestById(election, c.contestId);
    lines.push(contest.title);
    if (c.outcome === 'overvote') lines.push('   OVERVOTED CONTEST');
    else if (c.votes.length === 0) lines.push('   BLANK CONTEST');
    else for (const v of c.votes) lines.push(`   ${v.startsWith('write-in-') ? 'Write-in' : (contest.options.find((o) => o.id === v)?.name ?? v)}`);
  }
  return lines;
}

export interface ImagecastScan {
  readonly tiff: Buffer;
  readonly scan: { readonly front: ScanTransform; readonly back: ScanTransform; readonly upsideDown: boolean };
}

/** One sheet's 3-page MH TIFF: front, back (each scanned with the voter's marks) and the AuditMark page. */
export async function imagecastTiff(
  renderer: SheetRenderer,
  auditWriter: AnnotationWriter,
  seed: number,
  sheet: { readonly styleId: string; readonly card: number },
  dpi: number,
  marks: readonly TruthMark[],
  scanKey: string,
  inkKey: string,
  auditLines: readonly string[],
): Promise<ImagecastScan> {
  const front = await renderer.scanSide(sheet.styleId, sheet.card, 'front', dpi, marks, scanKey, inkKey, true);
  const back = await renderer.scanSide(sheet.styleId, sheet.card, 'back', dpi, marks, scanKey, inkKey, true);
  const upsideDown = Rng.derive(seed, 'upside-down', scanKey).chance(UPSIDE_DOWN_SHARE);
  if (upsideDown) {
    // fed top edge last: a 180-degree turn of each page is its pixels in reverse order
    front.image.data.reverse();
    back.image.data.reverse();
  }
  const audit = auditWriter.page(auditLines);
  const tiff = writeMhTiff([front.image, back.image, audit]);
  renderer.release(front.image);
  renderer.release(back.image);
  return { tiff, scan: { front: front.transform, back: back.transform, upsideDown } };
}
