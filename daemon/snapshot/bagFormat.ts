/**
 * Text formats of a snapshot bag (BagIt, RFC 8493) and of the per-drive cumulative index.
 * Everything here is pure: strings in, strings out.
 */

export const bagitTxt = 'BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n';
export const manifestName = 'manifest-sha256.txt';
export const tagManifestName = 'tagmanifest-sha256.txt';
export const signatureName = 'tagmanifest-sha256.txt.minisig';
export const filesTsvName = 'ballotsafe-files.tsv';
export const bagInfoName = 'bag-info.txt';
export const bagitName = 'bagit.txt';
/** Written last: a bag folder without it is incomplete and never counts. */
export const completeMarkerName = 'SNAPSHOT-COMPLETE.txt';
export const cumulativeIndexName = 'cumulative-index.tsv';
export const cumulativeManifestName = 'cumulative-manifest-sha256.txt';
export const driveReadmeName = 'README.txt';
/** Signatures of the cumulative files (minisign, appliance key); written after each of them. */
export const cumulativeIndexSignatureName = `${cumulativeIndexName}.minisig`;
export const cumulativeManifestSignatureName = `${cumulativeManifestName}.minisig`;

/**
 * The trusted comment signed with a cumulative file: it ties the file to the newest snapshot it
 * describes, so an older (genuine) cumulative file cannot stand in for a newer one.
 */
export function cumulativeTrustedComment(election: string, file: string, bags: ReadonlyArray<{ bagName: string; rootHash: string }>): string {
  const latest = bags[bags.length - 1];
  return `ballotsafe election:${election} file:${file} snapshots:${bags.length} latest:${latest?.bagName ?? 'none'} root:${latest?.rootHash ?? 'none'}`;
}

/** Tag files listed in the tag manifest, in this order. */
export const taggedFiles = [bagitName, bagInfoName, manifestName, filesTsvName] as const;

/**
 * One manifest line in the format both `sha256sum -c` and BagIt read. Stored names never hold `%`,
 * CR, LF or `\` (see names.ts), so the two formats agree; a name that did would get sha256sum's
 * backslash form, which BagIt tools would not read, so refuse it instead.
 */
export function manifestLine(sha256: string, path: string): string {
  if (/[%\r\n\\]/.test(path)) throw new Error(`path not storable in a manifest: ${JSON.stringify(path)}`);
  return `${sha256}  ${path}\n`;
}

export interface ManifestEntry {
  readonly sha256: string;
  readonly path: string;
}

/** Parses sha256sum/BagIt manifest text; understands sha256sum's leading-backslash escapes. */
export function parseManifest(text: string): { entries: ManifestEntry[]; badLines: string[] } {
  const entries: ManifestEntry[] = [];
  const badLines: string[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const escaped = line.startsWith('\\');
    const body = escaped ? line.slice(1) : line;
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(body);
    if (m?.[1] === undefined || m[2] === undefined) {
      badLines.push(line);
      continue;
    }
    let path = m[2];
    if (escaped) path = path.replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\'));
    else path = path.replace(/%0A/gi, '\n').replace(/%0D/gi, '\r').replace(/%25/g, '%');
    entries.push({ sha256: m[1].toLowerCase(), path });
  }
  return { entries, badLines };
}

/** bag-info.txt: `Label: value` lines (values are single-line). */
export function formatBagInfo(fields: ReadonlyArray<readonly [string, string | number]>): string {
  return fields.map(([k, v]) => `${k}: ${String(v).replace(/[\r\n]+/g, ' ')}\n`).join('');
}

export function parseBagInfo(text: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    map.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  return map;
}

/** TSV cell escaping: backslash, tab, CR and LF as \\ \t \r \n. */
export function tsvCell(value: string | number): string {
  return String(value).replace(/[\\\t\r\n]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\r' ? '\\r' : '\\n'));
}

export function tsvUncell(cell: string): string {
  return cell.replace(/\\(\\|t|r|n)/g, (_, c: string) => (c === 't' ? '\t' : c === 'r' ? '\r' : c === 'n' ? '\n' : '\\'));
}

/** One captured file version as recorded in a bag (ballotsafe-files.tsv) and the cumulative index. */
export interface FileRecord {
  readonly catalogId: number;
  readonly rootLabel: string;
  /** The catalog's relative path (original name, capture's %XX convention for non-UTF-8 bytes). */
  readonly relPath: string;
  /** Path inside the bag, `data/...`, as stored on the drive. */
  readonly payloadPath: string;
  readonly sha256: string;
  readonly size: number;
  readonly mtimeNs: string;
  readonly kind: string;
  readonly capturedAt: string;
}

export const filesTsvHeader = ['catalog_id', 'root_label', 'rel_path', 'payload_path', 'sha256', 'size', 'mtime_ns', 'kind', 'captured_at'];

export function formatFilesTsv(records: readonly FileRecord[]): string {
  let out = `${filesTsvHeader.join('\t')}\n`;
  for (const r of records) {
    out += `${[r.catalogId, r.rootLabel, r.relPath, r.payloadPath, r.sha256, r.size, r.mtimeNs, r.kind, r.capturedAt].map(tsvCell).join('\t')}\n`;
  }
  return out;
}

export function parseFilesTsv(text: string): FileRecord[] | string {
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines[0] !== filesTsvHeader.join('\t')) return 'header line is wrong';
  const out: FileRecord[] = [];
  for (const [i, line] of lines.slice(1).entries()) {
    const c = line.split('\t').map(tsvUncell);
    if (c.length !== filesTsvHeader.length) return `line ${i + 2} has ${c.length} columns`;
    const [catalogId, rootLabel, relPath, payloadPath, sha256, size, mtimeNs, kind, capturedAt] = c as [string, string, string, string, string, string, string, string, string];
    out.push({ catalogId: Number(catalogId), rootLabel, relPath, payloadPath, sha256, size: Number(size), mtimeNs, kind, capturedAt });
  }
  return out;
}

/** Cumulative index: every file on the drive with the snapshot (bag) that holds it. */
export function formatCumulativeIndex(bags: ReadonlyArray<{ sequence: number; bagName: string; records: readonly FileRecord[] }>): string {
  let out = `sequence\tbag\t${filesTsvHeader.join('\t')}\n`;
  for (const bag of bags) {
    for (const r of bag.records) {
      out += `${[bag.sequence, bag.bagName, r.catalogId, r.rootLabel, r.relPath, r.payloadPath, r.sha256, r.size, r.mtimeNs, r.kind, r.capturedAt].map(tsvCell).join('\t')}\n`;
    }
  }
  return out;
}

/** sha256sum-checkable from the election folder: every payload file of every complete snapshot. */
export function formatCumulativeManifest(bags: ReadonlyArray<{ bagName: string; records: readonly FileRecord[] }>): string {
  let out = '';
  for (const bag of bags) for (const r of bag.records) out += manifestLine(r.sha256, `snapshots/${bag.bagName}/${r.payloadPath}`);
  return out;
}

export function bagNameFor(sequence: number, at: Date): string {
  const iso = at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${String(sequence).padStart(6, '0')}-${iso}`;
}

export const bagNamePattern = /^(\d{6})-(\d{8}T\d{6}Z)$/;

export function driveReadme(election: string, keyIdHexText: string): string {
  return `This drive holds verifiable copies of the election "${election}" written by a ballotsafe appliance.

Layout (inside ballotsafe/${election}/):
  snapshots/<sequence>-<UTC time>/   one BagIt bag (RFC 8493) per snapshot, oldest first
    data/<source>/<path>             the captured files (names escaped for FAT/exFAT: "^XX" is the
                                     UTF-8 byte XX in hex; ballotsafe-files.tsv lists every original name)
    manifest-sha256.txt              SHA-256 of every data file
    tagmanifest-sha256.txt           SHA-256 of the other text files; its own SHA-256 is the
                                     snapshot's published root hash
    tagmanifest-sha256.txt.minisig   Ed25519 signature of the tag manifest (minisign format)
    bag-info.txt                     sequence, time, appliance, counts, and the root hash of the
                                     previous snapshot (the chain)
    SNAPSHOT-COMPLETE.txt            written last; a folder without it is an unfinished copy
  cumulative-index.tsv               every file captured to date and the snapshot that holds it
  cumulative-manifest-sha256.txt     SHA-256 of every data file of every snapshot
  *.minisig beside them              their signatures, naming the newest snapshot they describe
  ballotsafe-appliance.pub           the appliance's public key (key id ${keyIdHexText})

Check it with standard tools on any Linux machine (apt-get install coreutils minisign).
The first command must print nothing: a link, named pipe or device on this drive means it was
tampered with (and could make the other commands hang); stop there and keep the drive.

  cd ballotsafe/${election}
  find . ! -type f ! -type d
  minisign -Vqm cumulative-manifest-sha256.txt -p ballotsafe-appliance.pub || echo "FAILED: cumulative manifest signature"
  for bag in snapshots/*/; do
    (cd "$bag" && minisign -Vm tagmanifest-sha256.txt -p ../../ballotsafe-appliance.pub && sha256sum -c --quiet tagmanifest-sha256.txt \\
      && { [ ! -s manifest-sha256.txt ] || sha256sum -c --quiet manifest-sha256.txt; }) || echo "FAILED: $bag"
  done
  sha256sum snapshots/*/tagmanifest-sha256.txt               # root hashes, to compare with the published ones

A snapshot taken when no new file had arrived has an empty manifest-sha256.txt (sha256sum
refuses an empty list, hence the "[ ! -s ... ]"); the signed tag manifest still checks that it is empty.

Compare the key id above with the one the county published; better, check with the published
public key itself (minisign -P <key> instead of -p ...). With ballotsafe installed,
"ballotsafe verify <this drive> --key <published key> --expect <published root hash>" does all of
this and also checks the chain, that no file is missing or extra, and the cumulative index.
`;
}
