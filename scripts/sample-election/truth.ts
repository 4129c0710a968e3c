import type { ContestTruth, SheetMarks, TruthMark } from './marks.ts';
import type { ScanTransform } from './raster.ts';
import type { SheetPlan } from './plan.ts';

/** What the exported CVR says for one contest of one sheet (intent, unless a discrepancy changed it). */
export interface ReportedContest {
  readonly contestId: string;
  readonly votes: readonly string[];
  readonly selections: readonly string[];
  readonly outcome: ContestTruth['outcome'];
}

export interface SheetRecord {
  readonly plan: SheetPlan;
  readonly marks: SheetMarks;
  /** null when the sheet was dropped from the CVR. */
  readonly reported: readonly ReportedContest[] | null;
  /** What the vendor's scanner counted on the marks, before any discrepancy (ES&S exports; see essScanner.ts). */
  readonly scanned?: readonly ReportedContest[];
}

export type Discrepancy =
  | {
      readonly kind: 'flip';
      readonly sheetId: string;
      readonly ballotId: string;
      readonly contestId: string;
      readonly ballotShows: string;
      readonly cvrRecords: string;
      readonly dominion: VendorRef['dominion'];
      readonly ess: VendorRef['ess'];
    }
  | { readonly kind: 'drop'; readonly sheetId: string; readonly ballotId: string; readonly dominion: VendorRef['dominion']; readonly ess: VendorRef['ess'] }
  | {
      readonly kind: 'dup';
      readonly sheetId: string;
      readonly ballotId: string;
      readonly duplicateSheetId: string;
      readonly dominion: VendorRef['dominion'];
      readonly ess: VendorRef['ess'];
      readonly duplicateDominion: VendorRef['dominion'];
      readonly duplicateEss: VendorRef['ess'];
    }
  | { readonly kind: 'totals'; readonly contestId: string; readonly optionId: string; readonly cvrTotal: number; readonly reportedTotal: number };

export interface VendorRef {
  readonly dominion: { readonly tabulatorId: number; readonly batchId: number; readonly recordId: number };
  readonly ess: { readonly cvrNumber: number };
}

export function vendorRef(p: SheetPlan): VendorRef {
  return { dominion: { tabulatorId: p.tabulatorId, batchId: p.batchId, recordId: p.recordId }, ess: { cvrNumber: p.cvrNumber } };
}

/** Per sheet image facts recorded in the ground truth. */
export interface ImageTruth {
  readonly vendor: 'dominion' | 'ess';
  /** Paths relative to the output folder; Dominion has one multipage TIFF, ES&S one JPEG per side. */
  readonly paths: readonly string[];
  /** Dominion TIFF pages: front, back, annotation. */
  readonly pages: readonly ('front' | 'back' | 'annotation' | 'bmd-card')[];
  readonly dpi: number;
  readonly encoding: 'tiff-g4-multipage' | 'tiff-mh-multipage' | 'jpeg-gray' | 'pdf-g4' | 'pdf-bmd-card';
  /** upsideDown: the sheet went through the scanner turned round, both pages 180 degrees (ImageCast design). */
  readonly scan: { readonly front: ScanTransform; readonly back: ScanTransform; readonly upsideDown?: boolean };
}

export interface SheetTruth {
  readonly sheetId: string;
  readonly card: number;
  readonly duplicateOf: string | null;
  readonly dominion: VendorRef['dominion'];
  readonly ess: VendorRef['ess'];
  readonly inCvr: boolean;
  readonly marks: readonly TruthMark[];
  readonly contests: readonly ContestTruth[];
  /** The contests as the ES&S scanner counted them (ES&S exports): what an honest CVR says. */
  readonly scannerContests?: readonly ReportedContest[];
  readonly images: readonly ImageTruth[];
}

export interface BallotTruth {
  readonly ballotId: string;
  readonly styleId: string;
  readonly styleNumber: number;
  readonly precinctId: string;
  readonly countingGroupId: 1 | 2;
  readonly sheets: readonly SheetTruth[];
}
