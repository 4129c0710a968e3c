/**
 * Measures a style's empty-oval level (styleBlank.ts) on pages of that style: each page's targets
 * are scored, its own blank cluster taken, and the pages whose ovals are mostly blank decide.
 */
import type { GrayImage } from './image.ts';
import type { Side, TargetPosition } from './layout.ts';
import { adaptiveThreshold } from './marks.ts';
import { type BlankReference, measureStyleBlank, type SheetBlank } from './styleBlank.ts';
import { scoreTargets, type TargetShape } from './targets.ts';
import type { TimingMarkGrid } from './timingMarks.ts';

export interface StylePage {
  readonly image: GrayImage;
  readonly grid: TimingMarkGrid;
  readonly side: Side;
}

export function blankReferenceFromPages(pages: readonly StylePage[], targets: readonly TargetPosition[], shape: TargetShape): BlankReference | undefined {
  const blanks: SheetBlank[] = [];
  for (const page of pages) {
    const onSide = targets.filter((t) => t.side === page.side);
    if (onSide.length === 0) continue;
    const scores = scoreTargets(page.image, page.grid, onSide, shape).filter((s) => s.found);
    const own = adaptiveThreshold(scores);
    blanks.push({ blank: own.blank, blankTargets: own.blankTargets, targets: scores.length });
  }
  return measureStyleBlank(blanks);
}
