/**
 * The ES&S Electionware ballot-image export as a zip (how counties hand it over): folders
 * `<precinct>/<party>/` of `<id>i.pdf` sheets, `<id>c.pdf` CVR printouts and, in older exports,
 * `<id>F.pbm` / `<id>R.pbm` sides. Member names may use `\` (yauzl turns it into `/`). Listed from
 * the central directory under zip-bomb limits; a member is inflated only when read, with a cap.
 */
import yauzl from 'yauzl';
import { imageKeyFromFileName } from '../importer/imageKeys.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { MAX_PDF_BYTES } from './pdfPages.ts';

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

/** AuditEngine asks for ≤ 50,000 ballots a zip: two files each and slack. */
const MAX_ENTRIES = 250_000;
/** A scanned sheet does not compress much (G4 data): a high ratio on a large member is a bomb. */
const MAX_RATIO = 50;

function refused(label: string, why: string): OperatorError {
  return operatorError(
    'preaudit-ess-zip-refused',
    `${label} is not an ES&S ballot-image export ballotsafe can read: ${why}.`,
    'The file is kept as captured. Export the ballot images from Electionware again and check where this file came from.',
  );
}

function open(path: string): Promise<yauzl.ZipFile | Error> {
  return new Promise((resolve) => {
    yauzl.open(path, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false, autoClose: false }, (e, zip) => {
      resolve(e !== null || zip === undefined ? (e ?? new Error('unreadable zip')) : zip);
    });
  });
}

function entries(zip: yauzl.ZipFile, max: number): Promise<yauzl.Entry[] | Error> {
  return new Promise((resolve) => {
    const out: yauzl.Entry[] = [];
    zip.on('entry', (e: yauzl.Entry) => {
      out.push(e);
      if (out.length > max) resolve(out);
      else zip.readEntry();
    });
    zip.on('end', () => resolve(out));
    zip.on('error', (e: Error) => resolve(e));
    zip.readEntry();
  });
}

function checkEntry(e: yauzl.Entry): string | undefined {
  if (e.uncompressedSize > MAX_PDF_BYTES) return `"${e.fileName}" unpacks to ${Math.round(e.uncompressedSize / 1e6).toLocaleString('en-US')} MB, far more than a ballot image`;
  if (e.uncompressedSize > 1_000_000 && e.uncompressedSize > MAX_RATIO * Math.max(1, e.compressedSize)) return `"${e.fileName}" is packed far tighter than a scan can be (possible zip bomb)`;
  return undefined;
}

/** An opened export: its listing (from the zip's directory alone) and its members, read one by one. */
export interface EssZip {
  readonly listing: EssZipListing;
  /** One member's bytes, inflated with a cap (yauzl also stops past its declared size). */
  read(member: string): Promise<Result<Buffer>>;
  close(): void;
}

function listing(list: readonly yauzl.Entry[], label: string): Result<EssZipListing> {
  const groups = new Map<string, { front: string[]; back: string[] }>();
  const others: string[] = [];
  let cvrPrintouts = 0;
  for (const e of list) {
    if (e.fileName.endsWith('/')) continue;
    const bad = checkEntry(e);
    if (bad !== undefined) return err(refused(label, bad));
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

/** Opens an ES&S export zip: refuses it, naming the file, when its directory is not an export's. */
export async function openEssZip(path: string, label: string): Promise<Result<EssZip>> {
  const zip = await open(path);
  if (zip instanceof Error) return err(refused(label, 'it is not a readable zip file'));
  const list = await entries(zip, MAX_ENTRIES);
  const fail = (e: OperatorError) => {
    zip.close();
    return err(e);
  };
  // yauzl refuses absolute names and names climbing out with "..": not an export then.
  if (list instanceof Error) return fail(refused(label, `its list of files is damaged (${list.message.split('\n')[0] ?? ''})`));
  if (list.length > MAX_ENTRIES) return fail(refused(label, `it holds more than ${MAX_ENTRIES.toLocaleString('en-US')} files`));
  const listed = listing(list, label);
  if (!listed.ok) return fail(listed.error);
  const byName = new Map(list.map((e) => [e.fileName, e]));
  return ok({
    listing: listed.value,
    close: () => zip.close(),
    read: (member) => {
      const entry = byName.get(member);
      if (entry === undefined) return Promise.resolve(err(refused(label, `it has no file "${member}"`)));
      return new Promise<Result<Buffer>>((resolve) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e !== null || stream === undefined) {
            resolve(err(refused(label, `"${member}" cannot be unpacked`)));
            return;
          }
          const chunks: Buffer[] = [];
          let n = 0;
          stream.on('data', (c: Buffer) => {
            n += c.length;
            if (n > MAX_PDF_BYTES) {
              stream.destroy();
              resolve(err(refused(label, `"${member}" unpacks to far more than a ballot image`)));
            } else chunks.push(c);
          });
          stream.on('end', () => resolve(ok(Buffer.concat(chunks))));
          stream.on('error', () => resolve(err(refused(label, `"${member}" is damaged`))));
        });
      });
    },
  });
}
