import { createHash } from 'node:crypto';
import { manifestLine, parseManifest, tagManifestName, type FileRecord } from '../snapshot/bagFormat.ts';
import type { PlannedFile } from '../restore/restorePlan.ts';
import { statementFileNames } from './statementFormat.ts';

/**
 * The publication bundle of one snapshot, as text: a statement (counts, root hash, chain, key id and
 * the SHA-256 of every other bundle file) to be signed, and two sha256sum manifests. Hashes and
 * counts only: nothing in it reveals a ballot or a vote. Pure: no fs, db or logger.
 *
 *  - manifest-sha256.txt: the export as it stood at the snapshot, `<source>/<original path>`, the
 *    layout `ballotsafe restore` and the audit ZIPs produce (`sha256sum -c` inside that folder).
 *  - drive-manifest-sha256.txt: every file of snapshots 1..N as laid out on a drive, from the
 *    election folder (`sha256sum -c` inside ballotsafe/<election>/).
 */

export interface PublishedSnapshot {
  readonly sequence: number;
  readonly bagName: string;
  readonly rootHash: string;
  /** The signed tag manifest (its SHA-256 is rootHash): gives the hashes of the bag's tag files. */
  readonly tagManifest: string;
  readonly records: readonly FileRecord[];
}

export interface PublicationInput {
  readonly election: string;
  /** Snapshots 1..N of the chain, oldest first; the last one is published. */
  readonly chain: readonly PublishedSnapshot[];
  /** The export as it stood at N (restore's plan of the same chain). */
  readonly release: readonly PlannedFile[];
  readonly keyIdHex: string;
  /** IANA time zone for the local time (the county's). */
  readonly timeZone: string;
  /** SHA-256 of verify.html, so the page is covered by the signature too. */
  readonly pageSha256: string;
}

export interface Publication {
  readonly statement: string;
  readonly trustedComment: string;
  /** Bytes: original names are bytes on Linux (a name that is not UTF-8 stays as it was). */
  readonly releaseManifest: Buffer;
  readonly driveManifest: string;
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** `000002-20261104T030000Z` → the Date it names (the UTC time the snapshot was taken). */
export function bagTime(bagName: string): Date | undefined {
  const m = /^\d{6}-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(bagName);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
}

/** One sha256sum line for a path given as bytes (backslash form for `\` and LF, as coreutils writes). */
function releaseLine(hash: string, path: Buffer): Buffer {
  const text = path.toString('latin1');
  if (!/[\\\n\r]/.test(text)) return Buffer.concat([Buffer.from(`${hash}  `), path, Buffer.from('\n')]);
  const escaped = Buffer.from(text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r'), 'latin1');
  return Buffer.concat([Buffer.from(`\\${hash}  `), escaped, Buffer.from('\n')]);
}

export function releaseManifest(release: readonly PlannedFile[]): Buffer {
  return Buffer.concat(release.map((f) => releaseLine(f.record.sha256, f.target)));
}

/** Payload files plus the signed tag files of every bag, as `sha256sum -c` reads them from the election folder. */
export function driveManifest(chain: readonly PublishedSnapshot[]): string {
  let out = '';
  for (const s of chain) {
    const prefix = `snapshots/${s.bagName}/`;
    for (const e of parseManifest(s.tagManifest).entries) out += manifestLine(e.sha256, prefix + e.path);
    out += manifestLine(s.rootHash, prefix + tagManifestName);
    for (const r of s.records) out += manifestLine(r.sha256, prefix + r.payloadPath);
  }
  return out;
}

interface Tally {
  files: number;
  bytes: number;
}

function tallies(records: Iterable<FileRecord>): Map<string, Tally> {
  const out = new Map<string, Tally>();
  for (const r of records) {
    const key = `${r.rootLabel}\t${r.kind}`;
    const t = out.get(key) ?? { files: 0, bytes: 0 };
    t.files += 1;
    t.bytes += r.size;
    out.set(key, t);
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Columns padded to line up; `numeric` columns are right-aligned. */
function table(rows: ReadonlyArray<readonly string[]>, numeric: readonly number[]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => `  ${r.map((c, i) => (numeric.includes(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd()).join('\n');
}

function localTime(at: Date, timeZone: string): string {
  const text = new Intl.DateTimeFormat('en-US', { timeZone, dateStyle: 'long', timeStyle: 'short', hourCycle: 'h23' }).format(at);
  return `${text} (${timeZone})`;
}

export function trustedCommentFor(election: string, sequence: number, rootHash: string): string {
  return `ballotsafe publication election:${election} snapshot:${sequence} root:${rootHash}`;
}

export function buildPublication(input: PublicationInput): Publication {
  const last = input.chain[input.chain.length - 1];
  if (last === undefined) throw new Error('buildPublication needs at least one snapshot');
  const taken = bagTime(last.bagName);
  if (taken === undefined) throw new Error(`bag name ${last.bagName} has no time`);
  const release = releaseManifest(input.release);
  const drive = driveManifest(input.chain);
  const previous = input.chain[input.chain.length - 2];
  const releaseBytes = input.release.reduce((n, f) => n + f.record.size, 0);
  const driveFiles = input.chain.reduce((n, s) => n + s.records.length, 0);
  const driveBytes = input.chain.reduce((n, s) => n + s.records.reduce((m, r) => m + r.size, 0), 0);
  const perKind = [...tallies(input.release.map((f) => f.record))].map(([key, t]) => [...key.split('\t'), String(t.files), String(t.bytes)]);
  const chainRows = input.chain.map((s, i) => [String(s.sequence), s.bagName, s.rootHash, input.chain[i - 1]?.rootHash ?? 'none']);
  const lines = [
    'ballotsafe publication statement',
    '',
    'This statement describes one snapshot of the election files kept by the county on two drives.',
    'It holds only counts and SHA-256 hashes: it reveals no ballot, image or vote.',
    'It is signed with the appliance key (statement.txt.minisig, minisign format).',
    '',
    `Election: ${input.election}`,
    `Snapshot: ${last.sequence}`,
    `Snapshot folder: ${last.bagName}`,
    `Taken (UTC): ${taken.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`,
    `Taken (local time): ${localTime(taken, input.timeZone)}`,
    `Root hash: ${last.rootHash}`,
    `Previous root hash: ${previous?.rootHash ?? 'none (first snapshot)'}`,
    `Key id: ${input.keyIdHex}`,
    `Files in the export: ${input.release.length}`,
    `Bytes in the export: ${releaseBytes}`,
    `Files on the drives up to this snapshot: ${driveFiles}`,
    `Bytes on the drives up to this snapshot: ${driveBytes}`,
    `Files new in this snapshot: ${last.records.length}`,
    '',
    'The export as it stood at this snapshot, per source and kind (newest version of each file):',
    table([['source', 'kind', 'files', 'bytes'], ...perKind], [2, 3]),
    '',
    'The chain of snapshots (each names the root hash of the one before it):',
    table([['snapshot', 'folder', 'root hash', 'previous root hash'], ...chainRows], [0]),
    '',
    'Files of this publication (check with: grep -E "^[0-9a-f]{64}  " statement.txt | sha256sum -c):',
    `${sha256(release)}  ${statementFileNames.releaseManifest}`,
    `${sha256(drive)}  ${statementFileNames.driveManifest}`,
    `${input.pageSha256}  ${statementFileNames.page}`,
    '',
  ];
  return { statement: lines.join('\n'), trustedComment: trustedCommentFor(input.election, last.sequence, last.rootHash), releaseManifest: release, driveManifest: drive };
}
