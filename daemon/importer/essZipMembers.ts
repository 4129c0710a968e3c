/**
 * What the members of an ES&S Electionware ballot-image zip are, by their names and sizes alone
 * (pure: no file, no db): `<precinct>/<party>/<id>i.pdf` sheets, `<id>c.pdf` CVR printouts and, in
 * older exports, `<id>F.pbm` / `<id>R.pbm` sides. Phase 1 (importer/zipImageRows) and the
 * pre-audit (preaudit/essZip.ts) list a zip by these same rules, so both count the same sheets.
 */
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { imageKeyFromFileName } from './imageKeys.ts';

export type EssMemberRole = 'sheet-pdf' | 'cvr-printout' | 'side-front' | 'side-back' | 'other';

/** What an export member is, by its name (ES&S's suffix letters before the extension). */
export function essMemberRole(name: string): EssMemberRole {
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1).toLowerCase();
  if (/\di\.pdf$/.test(base)) return 'sheet-pdf';
  if (/\dc\.pdf$/.test(base)) return 'cvr-printout';
  if (/\df\.pbm$/.test(base)) return 'side-front';
  if (/\dr\.pbm$/.test(base)) return 'side-back';
  return 'other';
}

export interface EssZipSheet {
  /** The CVR join key (`c:<ballot id>`), as for captured image files. */
  readonly imageKey: string;
  /** Member names of the sheet's images, front first. */
  readonly members: readonly string[];
}

export interface EssZipListing {
  readonly sheets: readonly EssZipSheet[];
  readonly cvrPrintouts: number;
  /** Members that are neither ballot images nor CVR printouts (listed, never read). */
  readonly others: readonly string[];
}

/** A central-directory entry as listed (yauzl.Entry has these). */
export interface ZipEntryBrief {
  readonly fileName: string;
  readonly uncompressedSize: number;
  readonly compressedSize: number;
}

/** AuditEngine asks for ≤ 50,000 ballots a zip: two files each and slack. */
export const MAX_ZIP_ENTRIES = 250_000;
/** A ballot image is at most this when unpacked (a PDF of a few 200 dpi pages is ~35–140 KB). */
export const MAX_MEMBER_BYTES = 16 * 1024 * 1024;
/** A scanned sheet does not compress much (G4 data): a high ratio on a large member is a bomb. */
const MAX_RATIO = 50;

export function essZipRefused(label: string, why: string): OperatorError {
  return operatorError(
    'preaudit-ess-zip-refused',
    `${label} is not an ES&S ballot-image export ballotsafe can read: ${why}.`,
    'The file is kept as captured. Export the ballot images from Electionware again and check where this file came from.',
  );
}

function checkEntry(e: ZipEntryBrief): string | undefined {
  if (e.uncompressedSize > MAX_MEMBER_BYTES) return `"${e.fileName}" unpacks to ${Math.round(e.uncompressedSize / 1e6).toLocaleString('en-US')} MB, far more than a ballot image`;
  if (e.uncompressedSize > 1_000_000 && e.uncompressedSize > MAX_RATIO * Math.max(1, e.compressedSize)) return `"${e.fileName}" is packed far tighter than a scan can be (possible zip bomb)`;
  return undefined;
}

/** The export's sheets from its directory; refused, naming the member, when one could be a bomb. */
export function essZipListing(list: readonly ZipEntryBrief[], label: string): Result<EssZipListing> {
  const groups = new Map<string, { front: string[]; back: string[] }>();
  const others: string[] = [];
  let cvrPrintouts = 0;
  for (const e of list) {
    if (e.fileName.endsWith('/')) continue;
    const bad = checkEntry(e);
    if (bad !== undefined) return err(essZipRefused(label, bad));
    const role = essMemberRole(e.fileName);
    const key = role === 'other' ? null : imageKeyFromFileName(e.fileName);
    if (role === 'cvr-printout') cvrPrintouts++;
    if (role === 'other' || role === 'cvr-printout' || key === null) {
      if (role !== 'cvr-printout') others.push(e.fileName);
      continue;
    }
    // A sheet is its folder and ballot id: the same id in two precinct folders is two sheets.
    const group = `${e.fileName.slice(0, e.fileName.lastIndexOf('/') + 1)}\u0000${key}`;
    const g = groups.get(group) ?? { front: [], back: [] };
    (role === 'side-back' ? g.back : g.front).push(e.fileName);
    groups.set(group, g);
  }
  const sheets = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, g]) => ({ imageKey: group.slice(group.indexOf('\u0000') + 1), members: [...g.front.sort(), ...g.back.sort()] }));
  return ok({ sheets, cvrPrintouts, others });
}

/**
 * A zip sheet's reading key (preaudit/zipSheets.ts): `zip:<zip's file version id>:<member>+<member>`.
 * Both sides of the layer line build and parse it here.
 */
export function zipSheetKey(zipVersionId: number, members: readonly string[]): string {
  return `zip:${zipVersionId}:${members.join('+')}`;
}

/** The zip's version id and the members of a zip sheet key; undefined for any other key. */
export function parseZipSheetKey(key: string): { zipVersionId: number; members: string[] } | undefined {
  const m = /^zip:(\d+):(.+)$/s.exec(key);
  if (m === null) return undefined;
  // Members end in .pdf or .pbm; a '+' elsewhere is part of a name ("Wds 1+2").
  return { zipVersionId: Number(m[1]), members: (m[2] ?? '').split(/(?<=\.(?:pdf|pbm))\+/i) };
}
