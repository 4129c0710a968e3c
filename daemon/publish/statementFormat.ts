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
 * Lines the picked folder's files up with the manifest. Manifest paths are `<top>/<rest>`: `<top>` is
 * a source's label (restore and the audit ZIPs name its folder so) or `snapshots` on a drive. The
 * browser starts each path with the folder the user picked, and a copy of an EMS share may keep a
 * source under another folder name; so each picked folder is matched to the `<top>` whose files it
 * holds (most files wins, one folder per top). Returns picked path → manifest-style path.
 */
export function alignPaths(paths: readonly string[], manifest: ReadonlyMap<string, string>): Map<string, string> {
  const topsByRest = new Map<string, string[]>();
  for (const path of manifest.keys()) {
    const slash = path.indexOf('/');
    if (slash <= 0) continue;
    const rest = path.slice(slash + 1);
    const tops = topsByRest.get(rest) ?? [];
    tops.push(path.slice(0, slash));
    topsByRest.set(rest, tops);
  }
  const votes = new Map<string, number>();
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 0; i < parts.length - 1; i++) {
      const tops = topsByRest.get(parts.slice(i + 1).join('/'));
      if (tops === undefined) continue;
      const folder = parts.slice(0, i + 1).join('/');
      for (const top of tops) votes.set(`${folder}\u0000${top}`, (votes.get(`${folder}\u0000${top}`) ?? 0) + 1);
      break;
    }
  }
  const folderTop = new Map<string, string>();
  const usedTops = new Set<string>();
  for (const [key] of [...votes].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))) {
    const [folder = '', top = ''] = key.split('\u0000');
    if (folderTop.has(folder) || usedTops.has(top)) continue;
    folderTop.set(folder, top);
    usedTops.add(top);
  }
  // Files outside every matched folder are named from those folders' common parent.
  const parents = new Set([...folderTop.keys()].map((f) => f.slice(0, Math.max(0, f.lastIndexOf('/')))));
  const base = parents.size === 1 ? [...parents][0] ?? '' : '';
  const out = new Map<string, string>();
  for (const p of paths) {
    let mapped: string | undefined;
    for (let cut = p.lastIndexOf('/'); cut > 0 && mapped === undefined; cut = p.lastIndexOf('/', cut - 1)) {
      const top = folderTop.get(p.slice(0, cut));
      if (top !== undefined) mapped = top + p.slice(cut);
    }
    out.set(p, mapped ?? (base !== '' && p.startsWith(`${base}/`) ? p.slice(base.length + 1) : p.slice(p.indexOf('/') + 1)));
  }
  return out;
}

/**
 * Files a drive also holds that a publication does not cover: everything outside the published
 * snapshot folders (cumulative files, README, key, drive identity, later snapshots), and each
 * bag's signature and completion marker, which change nothing the manifests vouch for.
 */
export function isDriveBookkeeping(path: string, publishedBags: ReadonlySet<string>): boolean {
  const m = /^snapshots\/([^/]+)\/(.*)$/.exec(path);
  if (m?.[1] === undefined) return true;
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
