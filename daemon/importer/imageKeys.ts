import { basename } from 'node:path';

/**
 * Ballot images and CVR records are joined on a normalized key:
 * - Dominion names images `<tabulator>_<batch>_<record>` (zero-padded, e.g. 92302_00017_000002.tif,
 *   sometimes with a side suffix); the key drops the padding: `d:92302_17_2`.
 * - ES&S and NIST records are found by CVR number: `c:<number>` (images named e.g. 000123.tif,
 *   cvr_123.tif or 123_front.tif; ES&S Electionware: 000123i.pdf, older 000123F.pbm / 000123R.pbm).
 */
const dominionPattern = /^(\d+)_(\d+)_(\d+)(?:[^0-9].*)?$/;
const cvrNumberPattern = /^(?:cvr|ballot|img|image)?[_-]?0*(\d+)(?:[_-][A-Za-z0-9]+|[icfr])?$/i;

function stripZeros(digits: string): string {
  const s = digits.replace(/^0+/, '');
  return s === '' ? '0' : s;
}

export function dominionImageKey(tabulator: string | number, batch: string | number, record: string | number): string {
  return `d:${stripZeros(String(tabulator))}_${stripZeros(String(batch))}_${stripZeros(String(record))}`;
}

/** Key from Dominion's ImageMask, e.g. `D:\\...\\Images\\92302_00017_000002*.*`. */
export function imageKeyFromMask(mask: string): string | null {
  const last = mask.split(/[\\/]/).pop() ?? '';
  const stem = last.split('*')[0] ?? '';
  const m = dominionPattern.exec(stem);
  return m === null ? null : dominionImageKey(m[1] as string, m[2] as string, m[3] as string);
}

export function cvrNumberImageKey(cvrNumber: string | number): string | null {
  const s = String(cvrNumber).trim();
  return /^\d+$/.test(s) ? `c:${stripZeros(s)}` : s === '' ? null : `c:${s}`;
}

/** The key an image file name stands for, or null when its name follows neither convention. */
export function imageKeyFromFileName(path: string): string | null {
  const name = basename(path.replace(/\\/g, '/'));
  const stem = name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : name;
  const d = dominionPattern.exec(stem);
  if (d !== null) return dominionImageKey(d[1] as string, d[2] as string, d[3] as string);
  const c = cvrNumberPattern.exec(stem);
  if (c !== null) return `c:${stripZeros(c[1] as string)}`;
  return null;
}

/** A key in words for a screen: `d:10104_1_49` → "tabulator 10104, batch 1, ballot 49"; `c:123` → "CVR record 123". */
export function imageKeyInWords(key: string): string {
  const d = /^d:(\d+)_(\d+)_(\d+)$/.exec(key);
  if (d !== null) return `tabulator ${d[1] ?? ''}, batch ${d[2] ?? ''}, ballot ${d[3] ?? ''}`;
  const c = /^c:(.+)$/.exec(key);
  if (c !== null) return `CVR record ${c[1] ?? ''}`;
  return key;
}
