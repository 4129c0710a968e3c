/**
 * One learned style as the Pre-audit page lists it. A style waiting for a person has a placeholder
 * layout with no targets: its row counts the targets found on its pages (an ES&S style's printed
 * ovals), and its contests are not known until a person maps it (null, never 0).
 */
import { isEssLayout } from './essLearn.ts';
import { handMappingFrom, layoutFrom, unresolvedFrom } from './store.ts';
import type { LearnedStyleRow } from './viewStore.ts';
import type { LearnedStyleSummary } from './webApi.ts';

export function learnedStyleSummary(r: LearnedStyleRow, sheets: { readonly read: number; readonly waiting: number }): LearnedStyleSummary {
  const layout = layoutFrom(r.layout_json);
  const unresolved = unresolvedFrom(r.unresolved_json);
  const waiting = r.status === 'needs-person';
  // Waiting: the targets OCR placed and those it could not, or where an ES&S style's ovals are printed.
  const found = layout.printedPlaces?.length ?? handMappingFrom(r.mapping_json).placed.length + unresolved.length;
  return {
    styleId: r.style_id,
    printed: r.printed,
    status: r.status,
    mappedBy: r.mapped_by,
    recognisedBy: isEssLayout({ styleId: r.style_id }) ? 'printed-ovals' : 'printed-code',
    targets: waiting ? found : layout.targets.length,
    contests: waiting ? null : layout.contests.length,
    mappingConfidence: r.mapped_by === null ? (layout.mappingConfidence ?? null) : null,
    sampleSheets: r.pages,
    sheetsRead: sheets.read,
    sheetsWaiting: sheets.waiting,
    reason: r.reason,
    unresolved: unresolved.slice(0, 20).map((u) => ({ side: u.side, column: u.column, row: u.row, text: u.text, reason: u.reason })),
    learnedAt: r.learned_at,
  };
}
