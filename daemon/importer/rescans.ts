/**
 * Phase 1's "same ballot scanned twice under another id": a rescan has new image bytes (so the
 * image-hash check misses it) and a new CVR record id, but the same paper carries the same marks,
 * and no two voters fill every oval alike. The pre-audit's stored readings (the fill of every
 * target) are compared with findLikelyDuplicates, and the ink of each mark with findSameInk (one
 * mark is enough: no two hands draw it alike to a pixel); sheets not read yet cannot be compared,
 * and the report says how many were. The pre-audit sits above the importer in the layers, so its readings
 * come in through `ReadSheets`, implemented by its store (preaudit/viewStore.ts) and wired by the caller.
 */
import { CatalogStore } from '../capture/catalogStore.ts';
import type { Db } from '../core/db/database.ts';
import { parseZipSheetKey } from './essZipMembers.ts';
import { findLikelyDuplicates, type SheetFingerprint } from './likelyDuplicates.ts';
import { findSameInk, type InkedSheet, inksDiffer } from './sameInk.ts';
import { zipMemberName } from './zipImages.ts';

export interface RescannedSheet {
  /** The image files of each of the two sheets (`<root>:<zip path> > <member>` inside an export zip). */
  readonly first: readonly string[];
  readonly second: readonly string[];
  /** Their catalog file versions, in the same order (to show the pictures): the zip's, for a zip member. */
  readonly firstIds: readonly number[];
  readonly secondIds: readonly number[];
  /** For a sheet inside an export zip: its members, in the same order (the picture is the zip's member). */
  readonly firstMembers?: readonly string[];
  readonly secondMembers?: readonly string[];
}

/** A sheet the pre-audit has read: its key (as catalogSheets keys it), its style, and the fill of every target in page order. */
export interface ReadSheet {
  readonly sheetKey: string;
  readonly styleId: string;
  readonly fills: readonly number[];
  /** Per target, as `fills`: its ink when it carries a mark (sameInk.ts); absent on readings stored before it was kept. */
  readonly inks?: readonly (string | undefined)[];
  /**
   * False for a design whose scans do not tell one voter's marks from another's (ES&S's
   * black-and-white scans: two voters' filled ovals match within SAME_INK, and the same paper
   * scanned twice differs by more): such a sheet is not compared, and counted as not checked.
   */
  readonly marksTellHands?: boolean;
}

/** The sheets the pre-audit has read so far (none when it has read nothing). */
export type ReadSheets = () => readonly ReadSheet[];

export interface RescanCheck {
  /** Sheets whose marks were read by the pre-audit, hence compared. */
  readonly sheetsCompared: number;
  /** Sheets read but not compared: their design's marks do not tell voters apart (ReadSheet.marksTellHands). */
  readonly sheetsNotComparable: number;
  readonly pairs: readonly RescannedSheet[];
}

interface SheetFiles {
  names: string[];
  ids: number[];
  members?: string[];
}

/**
 * The catalog's names and ids of a sheet's files: its key ends in `#<file version ids>` (catalogSheets),
 * or is `zip:<zip's version id>:<members>` for a sheet inside an export zip (zipSheets).
 */
function catalogFiles(catalog: CatalogStore, sheetKey: string): SheetFiles | undefined {
  const zipped = parseZipSheetKey(sheetKey);
  if (zipped !== undefined) {
    const z = catalog.getVersion(zipped.zipVersionId);
    // A reading of a zip since re-exported or removed is not a sheet of the catalog any more.
    if (z === undefined || z.status !== 'current') return undefined;
    return { names: zipped.members.map((m) => zipMemberName(z.rootLabel, z.relPath, m)), ids: zipped.members.map(() => z.id), members: zipped.members };
  }
  const m = /#(\d+(?:\+\d+)*)$/.exec(sheetKey);
  if (m === null) return undefined;
  const names: string[] = [];
  const ids: number[] = [];
  for (const id of (m[1] ?? '').split('+')) {
    const f = catalog.getVersion(Number(id));
    // A reading of files since replaced is not a sheet of the catalog any more.
    if (f === undefined || f.status !== 'current') return undefined;
    names.push(`${f.rootLabel}:${f.relPath}`);
    ids.push(f.id);
  }
  return { names, ids };
}

export function findRescannedSheets(db: Db, readSheets: ReadSheets): RescanCheck {
  const catalog = new CatalogStore(db);
  const files = new Map<string, SheetFiles>();
  const fingerprints: SheetFingerprint[] = [];
  const inked: InkedSheet[] = [];
  let sheetsNotComparable = 0;
  for (const sheet of readSheets()) {
    if (sheet.marksTellHands === false) {
      sheetsNotComparable++;
      continue;
    }
    const found = catalogFiles(catalog, sheet.sheetKey);
    if (found === undefined) continue;
    files.set(sheet.sheetKey, found);
    fingerprints.push({ ballotKey: sheet.sheetKey, styleId: sheet.styleId, fills: sheet.fills });
    if (sheet.inks !== undefined) inked.push({ ballotKey: sheet.sheetKey, styleId: sheet.styleId, inks: sheet.inks });
  }
  const inksOf = new Map(inked.map((s) => [s.ballotKey, s.inks]));
  // Two voters' full fills read alike; their strokes do not: a pairing by fills the ink refutes is dropped.
  const byFills = findLikelyDuplicates(fingerprints).filter(([a, b]) => !inksDiffer(inksOf.get(a) ?? [], inksOf.get(b) ?? []));
  const pairs = mergePairs(byFills, findSameInk(inked)).map(([a, b]): RescannedSheet => {
    const [fa, fb] = [files.get(a), files.get(b)];
    return {
      first: fa?.names ?? [a],
      second: fb?.names ?? [b],
      firstIds: fa?.ids ?? [],
      secondIds: fb?.ids ?? [],
      ...(fa?.members !== undefined ? { firstMembers: fa.members } : {}),
      ...(fb?.members !== undefined ? { secondMembers: fb.members } : {}),
    };
  });
  return { sheetsCompared: fingerprints.length, sheetsNotComparable, pairs };
}

/** Pairs found by either check, each once. */
function mergePairs(...found: [string, string][][]): [string, string][] {
  const seen = new Set<string>();
  return found.flat().filter(([a, b]) => {
    const key = a < b ? `${a}\n${b}` : `${b}\n${a}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
