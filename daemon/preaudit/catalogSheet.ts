import type { SheetJob } from './pool.ts';

/** One sheet of the catalog's ballot images (service.ts lists them; zipSheets.ts expands an ES&S zip into them). */
export interface CatalogSheet {
  readonly job: SheetJob;
  readonly imageKey: string | null;
  readonly fileVersionIds: readonly number[];
  /** From an ES&S export (`<id>i.pdf`, `<id>F/R.pbm`, a zip's member): not learned from, set apart by the reader. */
  readonly essExport?: true;
}
