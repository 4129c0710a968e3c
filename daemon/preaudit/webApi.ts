/** What the web UI reads and asks of the pre-audit; web/deps.ts re-exports these for the web layer. */
import type { Result } from '../core/result.ts';
import type { HandAssignment, PreauditServiceStatus } from './service.ts';

/** The pre-audit service's own status, shown as it is. */
export type PreauditStatus = PreauditServiceStatus;

export interface DisagreementSummary {
  readonly id: number;
  /** The ballot's id as the EMS names it (CVR id / image name). */
  readonly ballotId: string;
  readonly contest: string;
  /** Options the CVR records as voted in this contest. */
  readonly cvrChoices: readonly string[];
  /** Options the pre-audit read as marked on the image. */
  readonly imageChoices: readonly string[];
  /** file_versions.id of the ballot image (served by /api/images/:id). */
  readonly imageId: number;
  /** Page of a multi-page TIFF (Dominion puts front and back in one file); 0 = first. */
  readonly imagePage: number;
  /** A sheet inside an ES&S export zip (imageId is the zip's): the member holding the page (served by /api/images/:id?member=). */
  readonly imageMember?: string;
}

export interface TargetOverlay {
  readonly contest: string;
  readonly option: string;
  /** Box in image pixels (the image as stored in the vault). */
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** What the pre-audit read on the image. */
  readonly marked: boolean;
  /** Fill score 0..1 when known. */
  readonly score: number | null;
  /** What the CVR says for this option. */
  readonly cvrMarked: boolean;
}

export interface DisagreementDetail extends DisagreementSummary {
  readonly imageWidth: number;
  readonly imageHeight: number;
  readonly targets: readonly TargetOverlay[];
  readonly note: string | null;
  /** The scanner's own record of this ballot (Dominion's AuditMark page), when the reader kept it aside. */
  readonly auditMark?: AuditMarkPage | null;
  /** How the sheet's ballot style was known, in words; null when not kept (read before it was). */
  readonly styleKnownBy?: string | null;
  /** ES&S prints each name right of its oval (the close-up widens to the right); the others left of the target. */
  readonly namesRightOfTargets?: boolean;
}

/** A page of a sheet's image file that is the scanner's own record of the ballot (served by /api/images/:id?page=). */
export interface AuditMarkPage {
  readonly imageId: number;
  /** 0 = first page of the file. */
  readonly page: number;
  readonly fileName: string;
}

/** A ballot style the pre-audit learned from the images, as last learned. */
export interface LearnedStyleSummary {
  readonly styleId: string;
  /** What the ballot prints ("style 3 card 1", or its bottom-row codes). */
  readonly printed: string;
  /** mapped: read with its learned layout; needs-person: OCR could not place every target, not read. */
  readonly status: 'mapped' | 'needs-person';
  /** Who mapped it by hand; null when OCR mapped it (or it still waits). */
  readonly mappedBy: string | null;
  /** How its sheets are told apart: ES&S by where the ovals are printed (no code is read), the others by their printed codes. */
  readonly recognisedBy: 'printed-ovals' | 'printed-code';
  /** Voting targets of the learned layout; while it waits for a person, the targets found on its pages (ES&S: its printed ovals). */
  readonly targets: number;
  /** Contests of the learned layout; null while it waits for a person (not known until mapped). */
  readonly contests: number | null;
  /** How sure OCR was of its mapping, 0..1: the weakest name match that placed a target (0 while a target is unplaced); null when a person mapped it. */
  readonly mappingConfidence?: number | null;
  /** Sample sheets of this style it was learned from. */
  readonly sampleSheets: number;
  readonly sheetsRead: number;
  /** Sheets set aside until a person maps the style. */
  readonly sheetsWaiting: number;
  readonly reason: string | null;
  /** Targets OCR could not place (the first 20): where, what it read, why. */
  readonly unresolved: readonly { side: string; column: number; row: number; text: string; reason: string }[];
  readonly learnedAt: string;
}

/** What a person needs to map a style by hand: the sample pages with numbered targets, and the choices. */
export interface StyleMappingForm {
  readonly styleId: string;
  readonly printed: string;
  readonly reason: string | null;
  readonly sheetsWaiting: number;
  /** The AccuVote family prints each contest across the page (an office per row); others down a column. */
  readonly contestsAcross?: boolean;
  /** ES&S prints each name right of its oval; the others print it left of the target. */
  readonly namesRightOfTargets?: boolean;
  /** The sample page of each side OCR read (catalog image and page), in image pixels. */
  /** `member`: for a sheet inside an ES&S export zip (imageId is the zip's), the member holding the page. */
  readonly pages: readonly { side: string; imageId: number; imagePage: number; member?: string; width: number; height: number }[];
  /** Every target of the style, numbered front first, by column then row. */
  readonly targets: readonly {
    number: number;
    side: 'front' | 'back';
    column: number;
    row: number;
    /** Box on its side's sample page, when known. */
    box: { x: number; y: number; width: number; height: number } | null;
    /** What OCR read beside it, for a target it could not place. */
    text: string | null;
    /** The matcher's placement, for a target it placed. */
    current: { contestId: string; optionId: string } | null;
  }[];
  /** The imported contests: options, and write-in lines as options `write-in-0`, `write-in-1`, … */
  readonly contests: readonly { id: string; title: string; options: readonly { id: string; name: string }[] }[];
}

/** One contest's comparisons over every ballot read (issue #20, the evidence view). */
export interface ContestSummaryRow {
  readonly contestId: string;
  readonly contest: string;
  readonly agree: number;
  readonly disagree: number;
  readonly gray: number;
  /** Ballots read that have no CVR to compare with. */
  readonly noCvr: number;
}

export const evidenceDownloadKinds = ['xlsx', 'evidence', 'arlo', 'independent-cvr'] as const;
export type EvidenceDownloadKind = (typeof evidenceDownloadKinds)[number];

export interface EvidenceFile {
  readonly fileName: string;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export interface PreauditProvider {
  status(): PreauditStatus;
  /** Newest first. */
  disagreements(limit: number): readonly DisagreementSummary[];
  disagreement(id: number): DisagreementDetail | undefined;
  /** The ballot styles as last learned (mapped first, then those waiting for a person). */
  styles(): readonly LearnedStyleSummary[];
  /** The mapping form of a style waiting for a person; undefined when it is not waiting. */
  styleMapping(styleId: string): StyleMappingForm | undefined;
  /** A person's mapping of that style (the pre-audit service checks and stores it). */
  mapStyle(styleId: string, assignments: readonly HandAssignment[], actor: string): Result<{ readonly targets: number; readonly sheetsToRead: number }>;
  /** Per contest: agree / disagree / gray / no CVR, contests with disagreements first. */
  contestSummary?(): readonly ContestSummaryRow[];
  /** A report file built now from the stored results. */
  evidenceFile?(kind: EvidenceDownloadKind): Promise<Result<EvidenceFile>>;
}
