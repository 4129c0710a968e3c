/**
 * Reading a publication bundle: the statement, minisign key and signature files, sha256sum
 * manifests, and comparing a folder's hashes with a manifest. Shared by the CLI tests and the
 * offline verification page (bundled into it), so nothing here may use Node: plain TS, atob only.
 */

export const statementFileNames = {
  statement: 'statement.txt',
  signature: 'statement.txt.minisig',
  releaseManifest: 'manifest-sha256.txt',
  driveManifest: 'drive-manifest-sha256.txt',
  publicKey: 'ballotsafe-appliance.pub',
  page: 'verify.html',
} as const;

export interface Statement {
  readonly election: string;
  readonly snapshot: number;
  readonly rootHash: string;
  readonly keyId: string;
  readonly taken: string;
  /** Bundle file name → SHA-256, from the signed "Files of this publication" lines. */
  readonly files: ReadonlyMap<string, string>;
}

function field(text: string, label: string): string | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${label}: `));
  return line?.slice(label.length + 2).trim();
}

export function parseStatement(text: string): Statement | string {
  if (!text.startsWith('ballotsafe publication statement\n')) return 'this is not a ballotsafe publication statement';
  const election = field(text, 'Election');
  const snapshot = Number(field(text, 'Snapshot'));
  const rootHash = field(text, 'Root hash');
  const keyId = field(text, 'Key id');
  const taken = field(text, 'Taken (local time)') ?? field(text, 'Taken (UTC)') ?? '';
  if (election === undefined || !Number.isInteger(snapshot) || rootHash === undefined || !/^[0-9a-f]{64}$/.test(rootHash) || keyId === undefined) {
    return 'the statement is missing its election, snapshot number, root hash or key id';
  }
  const files = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64}) {2}([^/\\]+)$/.exec(line);
    if (m?.[1] !== undefined && m[2] !== undefined) files.set(m[2], m[1]);
  }
  return { election, snapshot, rootHash, keyId, taken, files };
}

function fromBase64(text: string): Uint8Array | undefined {
  try {
    return Uint8Array.from(atob(text.trim()), (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/** minisign's display form of a key id: the 8 bytes read as a little-endian number, in hex. */
export function keyIdText(keyId: Uint8Array): string {
  return [...keyId]
    .reverse()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

export interface MinisignPublicKey {
  readonly keyId: Uint8Array;
  readonly raw: Uint8Array;
}

/** A .pub file or its "RW..." line alone. */
export function parsePublicKey(text: string): MinisignPublicKey | undefined {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !l.startsWith('untrusted comment:'));
  const blob = line === undefined ? undefined : fromBase64(line);
  if (blob?.length !== 42 || blob[0] !== 0x45 || blob[1] !== 0x64) return undefined;
  return { keyId: blob.slice(2, 10), raw: blob.slice(10, 42) };
}

export interface MinisignSignature {
  /** "ED": the file's BLAKE2b-512 is signed (what the appliance writes); "Ed": the file itself. */
  readonly prehashed: boolean;
  readonly keyId: Uint8Array;
  readonly signature: Uint8Array;
  readonly trustedComment: string;
  readonly globalSignature: Uint8Array;
}

export function parseSignature(text: string): MinisignSignature | string {
  const [, sigLine, trustedLine, globalLine] = text.split(/\r?\n/);
  if (sigLine === undefined || trustedLine === undefined || globalLine === undefined) return 'the signature file is cut short';
  const blob = fromBase64(sigLine);
  if (blob?.length !== 74) return 'the signature file is damaged';
  const alg = String.fromCharCode(blob[0] ?? 0, blob[1] ?? 0);
  if (alg !== 'ED' && alg !== 'Ed') return 'the signature file is of an unknown kind';
  if (!trustedLine.startsWith('trusted comment: ')) return 'the signature file is damaged (no trusted comment)';
  const globalSignature = fromBase64(globalLine);
  if (globalSignature?.length !== 64) return 'the signature file is damaged';
  return { prehashed: alg === 'ED', keyId: blob.slice(2, 10), signature: blob.slice(10), trustedComment: trustedLine.slice('trusted comment: '.length), globalSignature };
}

/** sha256sum lines (with coreutils' leading-backslash form); bad lines are counted, not guessed. */
export function parseSha256sum(text: string): { entries: Map<string, string>; badLines: number } {
  const entries = new Map<string, string>();
  let badLines = 0;
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    const escaped = line.startsWith('\\');
    const m = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(escaped ? line.slice(1) : line);
    if (m?.[1] === undefined || m[2] === undefined) {
      badLines += 1;
      continue;
    }
    const path = escaped ? m[2].replace(/\\(\\|n|r)/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\')) : m[2];
    entries.set(path, m[1].toLowerCase());
  }
  return { entries, badLines };
}

/**
 * The manifest keyed as a browser names files: browsers hand over a backslash in a Linux file name
 * as a folder separator, so `a\\b` arrives as `a/b`.
 */
export function asBrowserSees(manifest: ReadonlyMap<string, string>): Map<string, string> {
  return new Map([...manifest].map(([path, hash]) => [path.replace(/\\/g, '/'), hash]));
}

/**
 * How many leading folders to drop from the browser's paths so they line up with the manifest:
 * the browser starts each path with the chosen folder's name, and people choose the drive, the
 * election folder or the restored folder. Picks the cut that matches the most files.
 */
export function pathCut(paths: readonly string[], manifest: ReadonlyMap<string, string>): number {
  const votes = new Map<number, number>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let cut = 0; cut < parts.length; cut++) {
      if (manifest.has(parts.slice(cut).join('/'))) {
        votes.set(cut, (votes.get(cut) ?? 0) + 1);
        break;
      }
    }
  }
  let best = 1;
  let bestVotes = -1;
  for (const [cut, n] of votes) if (n > bestVotes) [best, bestVotes] = [cut, n];
  return best;
}

export function cutPath(path: string, cut: number): string {
  return path.split('/').slice(cut).join('/');
}

/** Files a drive also holds that a publication does not cover (they change with every snapshot). */
export function isDriveBookkeeping(path: string, publishedBags: ReadonlySet<string>): boolean {
  if (/^(README\.txt|ballotsafe-appliance\.pub|cumulative-(index\.tsv|manifest-sha256\.txt)(\.minisig)?)$/.test(path)) return true;
  const m = /^snapshots\/([^/]+)\/(.*)$/.exec(path);
  if (m?.[1] === undefined) return false;
  // A later snapshot's folder, or a bag's signature and completion marker (checked by the signature).
  return !publishedBags.has(m[1]) || m[2] === 'tagmanifest-sha256.txt.minisig' || m[2] === 'SNAPSHOT-COMPLETE.txt';
}

/** The bag folder names a drive manifest covers. */
export function bagsOf(manifest: ReadonlyMap<string, string>): Set<string> {
  const out = new Set<string>();
  for (const p of manifest.keys()) {
    const m = /^snapshots\/([^/]+)\//.exec(p);
    if (m?.[1] !== undefined) out.add(m[1]);
  }
  return out;
}

export interface Comparison {
  readonly matched: string[];
  readonly changed: string[];
  readonly missing: string[];
  readonly extra: string[];
  /** Drive files outside the publication (later snapshots, signatures, cumulative files). */
  readonly notCovered: string[];
}

/** Compares hashed files (manifest-relative path → SHA-256) with the manifest. */
export function compareWithManifest(manifest: ReadonlyMap<string, string>, hashed: ReadonlyMap<string, string>, isDrive: boolean): Comparison {
  const bags = bagsOf(manifest);
  const result: Comparison = { matched: [], changed: [], missing: [], extra: [], notCovered: [] };
  for (const [path, hash] of hashed) {
    const want = manifest.get(path);
    if (want === undefined) (isDrive && isDriveBookkeeping(path, bags) ? result.notCovered : result.extra).push(path);
    else (want === hash ? result.matched : result.changed).push(path);
  }
  for (const path of manifest.keys()) if (!hashed.has(path)) result.missing.push(path);
  for (const list of Object.values(result) as string[][]) list.sort();
  return result;
}
