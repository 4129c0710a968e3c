/**
 * The ES&S Electionware ballot-image export as a zip (how counties hand it over): folders
 * `<precinct>/<party>/` of `<id>i.pdf` sheets, `<id>c.pdf` CVR printouts and, in older exports,
 * `<id>F.pbm` / `<id>R.pbm` sides. Member names may use `\` (yauzl turns it into `/`). Listed from
 * the central directory under zip-bomb limits; a member is inflated only when read, with a cap.
 */
import { err, ok, type Result } from '../core/result.ts';
import { readEssZipDirectory } from '../importer/essZipDirectory.ts';
import { essZipRefused as refused, type EssZipListing } from '../importer/essZipMembers.ts';
import { MAX_PDF_BYTES } from './pdfPages.ts';

// The member rules live with the importer, which lists the same zips for phase 1.
export { essMemberRole, type EssMemberRole, type EssZipListing, type EssZipSheet } from '../importer/essZipMembers.ts';

/** An opened export: its listing (from the zip's directory alone) and its members, read one by one. */
export interface EssZip {
  readonly listing: EssZipListing;
  /** One member's bytes, inflated with a cap (yauzl also stops past its declared size). */
  read(member: string): Promise<Result<Buffer>>;
  close(): void;
}

/** Opens an ES&S export zip: refuses it, naming the file, when its directory is not an export's. */
export async function openEssZip(path: string, label: string): Promise<Result<EssZip>> {
  const dir = await readEssZipDirectory(path, label);
  if (!dir.ok) return dir;
  const { zip, entries: list } = dir.value;
  const byName = new Map(list.map((e) => [e.fileName, e]));
  return ok({
    listing: dir.value.listing,
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
