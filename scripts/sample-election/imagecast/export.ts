/**
 * Where ImageCast Central puts an export, as in a real project backup: `Results/TabulatorNNNNN/
 * BatchNNN/Images/<tab>_<batch>_<record>.tif` and one `Results/CVR_Export_<yyyymmddhhmmss>.zip`
 * holding CvrExport.json (every session) with Configuration.json and the manifests.
 */
import JSZip from 'jszip';

export const IMAGECAST_RESULTS_DIR = 'dominion/Results';

export function cvrZipName(at: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `CVR_Export_${at.getUTCFullYear()}${p(at.getUTCMonth() + 1)}${p(at.getUTCDate())}${p(at.getUTCHours())}${p(at.getUTCMinutes())}${p(at.getUTCSeconds())}.zip`;
}

interface CvrExportJson {
  readonly Version: string;
  readonly ElectionId: string;
  readonly Sessions: readonly unknown[];
}

/** One zip, byte-identical for identical input (fixed entry dates, sorted names). */
export async function imagecastCvrZip(batchExports: readonly unknown[], manifests: ReadonlyMap<string, unknown>, configuration: unknown, fixedDate: Date): Promise<Buffer> {
  const exports = batchExports as readonly CvrExportJson[];
  const first = exports[0];
  const cvr = { Version: first?.Version ?? '', ElectionId: first?.ElectionId ?? '', Sessions: exports.flatMap((e) => e.Sessions) };
  const files = new Map<string, string>([...manifests].map(([name, value]) => [name, JSON.stringify(value)]));
  files.set('Configuration.json', JSON.stringify(configuration));
  files.set('CvrExport.json', JSON.stringify(cvr));
  const zip = new JSZip();
  // JSZip stores local time in the DOS date fields; a Date built from local parts keeps it stable
  const dosDate = new Date(fixedDate.getUTCFullYear(), fixedDate.getUTCMonth(), fixedDate.getUTCDate(), 12, 0, 0);
  for (const name of [...files.keys()].sort()) zip.file(name, files.get(name) ?? '', { date: dosDate, createFolders: false });
  return zip.generateAsync({ type: 'nodebuffer', compression: 'DEFLATE', compressionOptions: { level: 6 }, platform: 'DOS' });
}
