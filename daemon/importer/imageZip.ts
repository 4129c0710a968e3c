/**
 * An EMS's ballot-image export as one zip (ES&S Electionware: `<precinct>/<party>/<id>i.pdf`,
 * often 5–10 GB and tens of thousands of files) is evidence the pre-audit reads where it sits,
 * not a CVR archive: it must not be refused as "a zip without CVRs" or trip the CVR zip's size
 * limits. Told apart by its central directory's names only; nothing is inflated.
 */
import yauzl from 'yauzl';

const cvrEntry = /(^|[/\\])cvrexport(_\d+)?\.json$/i;
const tableEntry = /\.(csv|xlsx|xml|json)$/i;
const imageEntry = /\.(pdf|tiff?|jpe?g|png|pbm)$/i;

/** A reason recorded for such a zip (kept, not imported; counted as sheets by the pre-audit). */
export const ballotImageZipReason = 'a zip of ballot images; the pre-audit reads the scans inside it, so there is nothing to import';

/**
 * True when the archive holds ballot images and no file a CVR import reads (a Dominion CvrExport,
 * a CSV/XLSX/XML/JSON table). Unreadable archives are not images (false): the CVR zip reader then
 * says what is wrong with them.
 */
export function isBallotImageZip(path: string, maxEntries = 2_000_000): Promise<boolean> {
  return new Promise((resolve) => {
    yauzl.open(path, { lazyEntries: true, strictFileNames: false, autoClose: true }, (e, zip) => {
      if (e !== null || zip === undefined) {
        resolve(false);
        return;
      }
      let images = 0;
      let seen = 0;
      const done = (answer: boolean) => {
        zip.close();
        resolve(answer);
      };
      zip.on('entry', (entry: yauzl.Entry) => {
        seen++;
        const name = entry.fileName;
        if (cvrEntry.test(name) || (tableEntry.test(name) && !/(^|[/\\])__MACOSX[/\\]/.test(name))) return done(false);
        if (imageEntry.test(name)) images++;
        if (seen >= maxEntries) return done(images > 0);
        zip.readEntry();
      });
      zip.on('end', () => resolve(images > 0));
      zip.on('error', () => resolve(false));
      zip.readEntry();
    });
  });
}
