import type { FileKind } from '../core/config.ts';

const imageExt = new Set(['tif', 'tiff', 'jpg', 'jpeg', 'png', 'pdf', 'pbm']);

/**
 * What kind of election file a path holds. Vendor names decide first (Dominion's
 * CvrExport*.json and *Manifest.json, election*.json), then the root's configured default
 * (a pollbook share's PDFs are pollbooks, not ballots), then the extension.
 */
export function classifyFile(relPath: string, defaultKind?: FileKind): FileKind {
  const base = (relPath.slice(relPath.lastIndexOf('/') + 1)).toLowerCase();
  const dot = base.lastIndexOf('.');
  const ext = dot > 0 ? base.slice(dot + 1) : '';

  if (/^cvrexport.*\.json$/.test(base)) return 'cvr';
  if (/manifest\.json$/.test(base) || /^election.*\.json$/.test(base)) return 'election-definition';
  if (ext === 'eif' || /^eif[^a-z]/.test(base)) return 'election-definition';
  // ES&S exports `<id>c.pdf` beside each `<id>i.pdf`: a printout of that ballot's CVR, not an image.
  if (/\dc\.pdf$/.test(base)) return 'other';
  if (defaultKind !== undefined) return defaultKind;
  if (/pollbook/.test(base)) return 'pollbook';
  if (imageExt.has(ext)) return 'ballot-image';
  if (ext === 'csv' || (ext === 'xlsx' && base.startsWith('cvr')) || (ext === 'xml' && base.startsWith('cvr'))) return 'cvr';
  if (ext === 'log' || ext === 'evt' || /\.log\.\d+$/.test(base)) return 'log';
  return 'other';
}
