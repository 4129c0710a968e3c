/**
 * Opens an ES&S ballot-image zip and lists its central directory (nothing inflated), under the
 * zip-bomb limits of essZipMembers.ts. The importer lists it for phase 1's image count; the
 * pre-audit (preaudit/essZip.ts) keeps the zip open to read the members it lists.
 */
import yauzl from 'yauzl';
import { err, ok, type OperatorError, type Result } from '../core/result.ts';
import { essZipListing, essZipRefused, MAX_ZIP_ENTRIES, type EssZipListing } from './essZipMembers.ts';

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

export interface EssZipDirectory {
  /** Still open: the caller reads members from it, then closes it. */
  readonly zip: yauzl.ZipFile;
  readonly entries: readonly yauzl.Entry[];
  readonly listing: EssZipListing;
}

/** The zip's directory and listing; refused, naming the file, when it is not an export's (closed then). */
export async function readEssZipDirectory(path: string, label: string): Promise<Result<EssZipDirectory>> {
  const zip = await open(path);
  if (zip instanceof Error) return err(essZipRefused(label, 'it is not a readable zip file'));
  const list = await entries(zip, MAX_ZIP_ENTRIES);
  const fail = (e: OperatorError) => {
    zip.close();
    return err(e);
  };
  // yauzl refuses absolute names and names climbing out with "..": not an export then.
  if (list instanceof Error) return fail(essZipRefused(label, `its list of files is damaged (${list.message.split('\n')[0] ?? ''})`));
  if (list.length > MAX_ZIP_ENTRIES) return fail(essZipRefused(label, `it holds more than ${MAX_ZIP_ENTRIES.toLocaleString('en-US')} files`));
  const listed = essZipListing(list, label);
  if (!listed.ok) return fail(listed.error);
  return ok({ zip, entries: list, listing: listed.value });
}
