import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import {
  bagInfoName,
  bagitName,
  bagitTxt,
  bagNamePattern,
  completeMarkerName,
  cumulativeIndexName,
  cumulativeIndexSignatureName,
  cumulativeManifestName,
  cumulativeManifestSignatureName,
  cumulativeTrustedComment,
  driveReadmeName,
  filesTsvName,
  formatCumulativeIndex,
  formatCumulativeManifest,
  manifestName,
  parseBagInfo,
  parseFilesTsv,
  parseManifest,
  signatureName,
  tagManifestName,
  type FileRecord,
} from './bagFormat.ts';
import { isRealDirectory, isSafeRelativePath, readBounded, walkTree, type Unsafe } from './bagReader.ts';
import { defaultHashWorkers, hashFiles } from './hashPool.ts';
import { keyIdHex, parsePublicKeyFile, publicKeyFileName, verifyMinisign, type PublicKey } from './minisign.ts';
import { counted } from '../core/words.ts';

/**
 * Checks drives without the daemon or the database: every bag complete, every hash, nothing extra,
 * the chain, the signatures and the signed cumulative files. Problems name the exact file.
 * The drive may be forged: each bag's signature is checked before anything it lists is read, and
 * only regular files beneath the bag are read, each no further than its size.
 */

export type ProblemKind = 'BAD' | 'MISSING' | 'EXTRA' | 'INCOMPLETE' | 'CHAIN' | 'SIGNATURE' | 'INDEX' | 'FORMAT';

export interface Problem {
  readonly kind: ProblemKind;
  /** Path relative to the folder given to verify. */
  readonly path: string;
  readonly detail: string;
}

/** What the drive must match beyond being consistent with itself. */
export interface VerifyPins {
  /** Every signature is checked with this key, whatever public key the drive carries. */
  readonly key?: PublicKey;
  /** Only a key id: the drive's own key must have it (weaker: anyone can give a new key the same id). */
  readonly keyId?: string;
  /** Root hashes (SHA-256 of a tag manifest) that must be in the drive's signed chain. */
  readonly expectRootHashes?: readonly string[];
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly problems: readonly Problem[];
  readonly elections: number;
  readonly bags: number;
  readonly files: number;
  readonly bytes: number;
  /** Root hash (SHA-256 of the tag manifest) per complete bag with a valid signature, by path. */
  readonly rootHashes: ReadonlyArray<{ path: string; rootHash: string }>;
  /** The key id of the public key on the drive, per election folder (null: none there). */
  readonly driveKeys: ReadonlyArray<{ path: string; keyId: string | null }>;
  readonly pins: { readonly keyId: string | null; readonly byKeyIdOnly: boolean; readonly expectRootHashes: readonly string[] };
  /** Every complete snapshot whose signature held, with its signed file list (restore reads these). */
  readonly snapshots: readonly VerifiedSnapshot[];
}

/** A snapshot whose tag manifest's signature held; `records` are its signed ballotsafe-files.tsv. */
export interface VerifiedSnapshot {
  /** The election folder holding it (absolute when verify was given an absolute path). */
  readonly electionDir: string;
  readonly bagName: string;
  readonly sequence: number;
  readonly rootHash: string;
  readonly records: readonly FileRecord[];
}

/** Largest small text file (bag declaration, bag-info, marker, tag manifest, public key, signature). */
const smallFileLimit = 64 * 1024;
/** A manifest or file list may hold this much per listed file (hash, escaped path up to 4 KiB, columns). */
const perFileLimit = 16 * 1024;
const listLimit = (files: number) => Math.min(2 ** 30, smallFileLimit + files * perFileLimit);

const bagRootFiles = new Set([bagitName, bagInfoName, manifestName, tagManifestName, signatureName, filesTsvName, completeMarkerName, 'data']);
const electionFiles = new Set(['snapshots', driveReadmeName, publicKeyFileName, cumulativeIndexName, cumulativeManifestName, cumulativeIndexSignatureName, cumulativeManifestSignatureName]);

interface BagResult {
  readonly name: string;
  readonly sequence: number;
  readonly full: boolean;
  readonly previous: string;
  readonly rootHash: string;
  readonly records: readonly FileRecord[];
}

class Verifier {
  readonly problems: Problem[] = [];
  files = 0;
  bytes = 0;
  bags = 0;
  readonly rootHashes: Array<{ path: string; rootHash: string }> = [];
  readonly driveKeys: Array<{ path: string; keyId: string | null }> = [];
  readonly snapshots: VerifiedSnapshot[] = [];
  private readonly pendingJobs: Array<{ path: string; expected: string; maxBytes: number }> = [];

  constructor(
    private readonly top: string,
    private readonly concurrency: number,
    private readonly pins: VerifyPins,
  ) {}

  problem(kind: ProblemKind, abs: string, detail: string): void {
    this.problems.push({ kind, path: relative(this.top, abs) || '.', detail });
  }

  private unsafe(abs: string, u: Unsafe, missingKind: ProblemKind = 'MISSING'): void {
    this.problem(u.kind === 'missing' ? missingKind : u.kind === 'unsafe-path' ? 'FORMAT' : 'BAD', abs, u.kind === 'not-regular' ? `${u.detail}; not read` : u.detail);
  }

  /** A small file beneath a checked folder, or undefined (reported) when absent or unsafe. */
  private async small(abs: string, what: string, limit = smallFileLimit): Promise<Buffer | undefined> {
    const r = await readBounded(abs, limit);
    if (r.ok) return r.value;
    if (r.unsafe.kind === 'missing') this.problem('MISSING', abs, `${what} missing`);
    else this.unsafe(abs, r.unsafe);
    return undefined;
  }

  async verifyBag(dir: string, pub: PublicKey | undefined): Promise<BagResult | undefined> {
    const name = basename(dir);
    const marker = await readBounded(join(dir, completeMarkerName), smallFileLimit);
    if (!marker.ok) {
      if (marker.unsafe.kind === 'missing') this.problem('INCOMPLETE', dir, 'no completion marker: an interrupted copy, not a snapshot (connecting this drive for the next snapshot finishes it)');
      else this.unsafe(join(dir, completeMarkerName), marker.unsafe);
      return undefined;
    }
    this.bags++;
    // The signature first: nothing the bag lists is read unless the tag manifest is signed.
    const tagManifest = await this.small(join(dir, tagManifestName), 'tag manifest');
    if (tagManifest === undefined) return undefined;
    const sig = await this.small(join(dir, signatureName), 'signature');
    if (sig === undefined) return undefined;
    if (pub === undefined) {
      this.problem('SIGNATURE', join(dir, signatureName), `cannot be checked: no usable ${publicKeyFileName}; nothing else in this snapshot was read`);
      return undefined;
    }
    const check = verifyMinisign(pub, tagManifest, sig.toString('utf8'));
    if (!check.ok) {
      // Nothing else in this bag is read: its contents are not vouched for.
      this.problem('SIGNATURE', join(dir, signatureName), check.reason);
      return undefined;
    }
    const rootHash = createHash('sha256').update(tagManifest).digest('hex');
    this.rootHashes.push({ path: relative(this.top, dir) || '.', rootHash });
    if (!marker.value.toString('utf8').includes(`Root-Hash: ${rootHash}`)) this.problem('BAD', join(dir, completeMarkerName), `names a different root hash than the tag manifest's (${rootHash})`);

    // Tag files: only plain names in the bag's top folder; bag-info first (its file count bounds the lists).
    const tags = parseManifest(tagManifest.toString('utf8'));
    for (const bad of tags.badLines) this.problem('FORMAT', join(dir, tagManifestName), `unreadable line: ${JSON.stringify(bad.slice(0, 200))}`);
    const listed = new Set(tags.entries.map((e) => e.path));
    const content = new Map<string, Buffer>();
    let fileCount = Number.POSITIVE_INFINITY;
    const ordered = [...tags.entries].sort((a, b) => Number(b.path === bagInfoName) - Number(a.path === bagInfoName));
    for (const e of ordered) {
      if (!isSafeRelativePath(e.path) || e.path.includes('/') || e.path === completeMarkerName || e.path === signatureName || e.path === tagManifestName) {
        this.problem('FORMAT', join(dir, tagManifestName), `names ${JSON.stringify(e.path.slice(0, 200))}, which is not a tag file of this bag; not read`);
        continue;
      }
      const limit = e.path === manifestName || e.path === filesTsvName ? listLimit(fileCount) : smallFileLimit;
      const got = await readBounded(join(dir, e.path), Number.isFinite(limit) ? limit : 2 ** 30);
      if (!got.ok) {
        if (got.unsafe.kind === 'missing') this.problem('MISSING', join(dir, e.path), 'listed in the tag manifest but not on the drive');
        else this.unsafe(join(dir, e.path), got.unsafe);
        continue;
      }
      if (createHash('sha256').update(got.value).digest('hex') !== e.sha256) {
        this.problem('BAD', join(dir, e.path), 'SHA-256 differs from the signed tag manifest; its contents were not used');
        continue;
      }
      content.set(e.path, got.value);
      if (e.path === bagInfoName) fileCount = Number(parseBagInfo(got.value.toString('utf8')).get('Ballotsafe-File-Count') ?? NaN) || Number.POSITIVE_INFINITY;
    }
    for (const required of [bagitName, bagInfoName, manifestName, filesTsvName]) {
      if (!listed.has(required)) this.problem('FORMAT', join(dir, tagManifestName), `does not list ${required}`);
    }
    const bagit = content.get(bagitName);
    if (bagit !== undefined && bagit.toString('utf8') !== bagitTxt) this.problem('FORMAT', join(dir, bagitName), 'not a BagIt 1.0 UTF-8 declaration');
    // Nothing extra (and nothing but files and the data folder) in the bag root.
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!bagRootFiles.has(entry.name) && !listed.has(entry.name)) this.problem('EXTRA', join(dir, entry.name), 'not part of the snapshot');
      else if (entry.name === 'data' ? !entry.isDirectory() : !entry.isFile()) this.problem('BAD', join(dir, entry.name), entry.name === 'data' ? 'is not a real folder; not read' : 'is not a regular file; not read');
    }

    const info = parseBagInfo(content.get(bagInfoName)?.toString('utf8') ?? '');
    const sequence = Number(info.get('Ballotsafe-Sequence') ?? NaN);
    const m = bagNamePattern.exec(name);
    if (m?.[1] !== undefined && Number(m[1]) !== sequence) this.problem('FORMAT', join(dir, bagInfoName), `sequence ${sequence} does not match the folder name`);

    // Payload: only regular files found beneath data/ without following links are read.
    const manifestText = content.get(manifestName)?.toString('utf8');
    let records: FileRecord[] = [];
    if (manifestText !== undefined) {
      const manifest = parseManifest(manifestText);
      for (const bad of manifest.badLines) this.problem('FORMAT', join(dir, manifestName), `unreadable line: ${JSON.stringify(bad.slice(0, 200))}`);
      const inManifest = new Set<string>();
      for (const e of manifest.entries) {
        if (!e.path.startsWith('data/') || !isSafeRelativePath(e.path)) this.problem('FORMAT', join(dir, manifestName), `path outside data/: ${JSON.stringify(e.path.slice(0, 200))}; not read`);
        else inManifest.add(e.path);
      }
      const dataDir = join(dir, 'data');
      const tree = (await isRealDirectory(dataDir)) ? await walkTree(dataDir, 'data') : { files: new Map<string, { size: number }>(), strange: [] };
      const strange = new Set<string>();
      for (const s of tree.strange) {
        strange.add(s.rel);
        this.problem('BAD', join(dir, s.rel), `is ${s.what}, not a file; not read`);
      }
      let payloadBytes = 0;
      for (const [rel, { size }] of tree.files) {
        if (!inManifest.has(rel)) this.problem('EXTRA', join(dir, rel), 'on the drive but not in the manifest');
        else payloadBytes += size;
      }
      for (const e of manifest.entries) {
        if (!inManifest.has(e.path) || strange.has(e.path)) continue;
        const found = tree.files.get(e.path);
        if (found === undefined) this.problem('MISSING', join(dir, e.path), 'listed in the manifest but not on the drive');
        else this.pendingJobs.push({ path: join(dir, e.path), expected: e.sha256, maxBytes: found.size });
      }
      const oxum = info.get('Payload-Oxum');
      const expectedOxum = `${payloadBytes}.${manifest.entries.length}`;
      if (oxum !== expectedOxum && [...inManifest].every((p) => tree.files.has(p))) this.problem('BAD', join(dir, bagInfoName), `Payload-Oxum is ${oxum ?? 'missing'}, the payload is ${expectedOxum}`);

      // The file list (original names) must describe exactly the manifest.
      const tsvText = content.get(filesTsvName)?.toString('utf8');
      if (tsvText !== undefined) {
        const tsv = parseFilesTsv(tsvText);
        if (typeof tsv === 'string') this.problem('FORMAT', join(dir, filesTsvName), tsv);
        else {
          records = tsv;
          const a = tsv.map((r) => `${r.sha256}  ${r.payloadPath}`).sort().join('\n');
          const b = manifest.entries.map((e) => `${e.sha256}  ${e.path}`).sort().join('\n');
          if (a !== b) this.problem('FORMAT', join(dir, filesTsvName), 'does not list the same files as the manifest');
        }
      }
    }
    return { name, sequence, full: info.get('Ballotsafe-Full') === 'yes', previous: info.get('Ballotsafe-Previous-Tagmanifest-SHA256') ?? '', rootHash, records };
  }

  /** The key to check signatures with: the pinned one, else the drive's own (after the key-id pin). */
  async electionKey(dir: string): Promise<PublicKey | undefined> {
    const pubPath = join(dir, publicKeyFileName);
    const text = await this.small(pubPath, 'public key');
    const drivePub = text === undefined ? undefined : parsePublicKeyFile(text.toString('utf8'));
    if (text !== undefined && drivePub === undefined) this.problem('FORMAT', pubPath, 'not a minisign public key');
    const driveId = drivePub === undefined ? null : keyIdHex(drivePub.keyId);
    this.driveKeys.push({ path: relative(this.top, dir) || '.', keyId: driveId });
    const pinned = this.pins.key;
    if (pinned !== undefined) {
      const same = drivePub !== undefined && drivePub.keyId.equals(pinned.keyId) && drivePub.key.equals(pinned.key);
      if (!same) this.problem('SIGNATURE', pubPath, `the drive's key (${driveId ?? 'none'}) is not the expected key ${keyIdHex(pinned.keyId)}: not written by this county's appliance, or replaced`);
      return pinned;
    }
    if (this.pins.keyId !== undefined && driveId !== this.pins.keyId.toUpperCase()) {
      this.problem('SIGNATURE', pubPath, `the drive's key id is ${driveId ?? 'none'}, not the expected ${this.pins.keyId.toUpperCase()}`);
      return undefined;
    }
    return drivePub;
  }

  async verifyElection(dir: string): Promise<void> {
    const pub = await this.electionKey(dir);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!electionFiles.has(entry.name)) this.problem('EXTRA', join(dir, entry.name), 'not part of the snapshot set');
      else if (entry.name === 'snapshots' ? !entry.isDirectory() : !entry.isFile()) this.problem('BAD', join(dir, entry.name), 'is a link or special file; not read');
    }
    const snapDir = join(dir, 'snapshots');
    const entries = (await isRealDirectory(snapDir)) ? await readdir(snapDir, { withFileTypes: true }) : [];
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const results: BagResult[] = [];
    for (const e of entries) {
      if (!bagNamePattern.test(e.name) || !e.isDirectory()) {
        this.problem('EXTRA', join(snapDir, e.name), e.isDirectory() ? 'not a snapshot folder' : 'not a snapshot folder (a file, link or special file); not read');
        continue;
      }
      const r = await this.verifyBag(join(snapDir, e.name), pub);
      if (r !== undefined) results.push(r);
    }
    // Chain: consecutive sequences, each naming its predecessor's root hash.
    results.sort((a, b) => a.sequence - b.sequence);
    for (const r of results) this.snapshots.push({ electionDir: dir, bagName: r.name, sequence: r.sequence, rootHash: r.rootHash, records: r.records });
    results.forEach((r, i) => {
      const at = join(snapDir, r.name);
      const prev = results[i - 1];
      if (prev === undefined) {
        if (r.sequence !== 1 && !r.full) this.problem('CHAIN', at, `the first snapshot on this drive is number ${r.sequence}, not 1 and not a full snapshot: earlier snapshots are missing`);
      } else if (r.sequence !== prev.sequence + 1) {
        this.problem('CHAIN', at, r.sequence - prev.sequence === 2 ? `snapshot ${prev.sequence + 1} missing before this one` : `snapshots ${prev.sequence + 1} to ${r.sequence - 1} missing before this one`);
      } else if (r.previous !== prev.rootHash) {
        this.problem('CHAIN', at, `names previous root hash ${r.previous}, but ${prev.name} has ${prev.rootHash}`);
      }
    });
    if (results.length > 0) await this.verifyCumulative(dir, pub, results);
  }

  /** The cumulative files: signed by the key, naming the newest snapshot, describing exactly the bags. */
  private async verifyCumulative(dir: string, pub: PublicKey | undefined, results: readonly BagResult[]): Promise<void> {
    const bags = results.map((r) => ({ sequence: r.sequence, bagName: r.name, rootHash: r.rootHash, records: r.records }));
    for (const [file, sigName, expected] of [
      [cumulativeIndexName, cumulativeIndexSignatureName, formatCumulativeIndex(bags)],
      [cumulativeManifestName, cumulativeManifestSignatureName, formatCumulativeManifest(bags)],
    ] as const) {
      const got = await readBounded(join(dir, file), Buffer.byteLength(expected));
      if (!got.ok) {
        if (got.unsafe.kind === 'too-large') this.problem('INDEX', join(dir, file), 'does not match the snapshots on this drive (larger than they describe)');
        else this.unsafe(join(dir, file), got.unsafe);
        continue;
      }
      // Reported as INDEX: the cumulative files are derived, rewritten by the next snapshot.
      const sig = await readBounded(join(dir, sigName), smallFileLimit);
      if (!sig.ok) this.problem('INDEX', join(dir, sigName), `signature of ${file} ${sig.unsafe.detail}`);
      else if (pub !== undefined) {
        const check = verifyMinisign(pub, got.value, sig.value.toString('utf8'));
        const wanted = cumulativeTrustedComment(basename(dir), file, bags);
        if (!check.ok) this.problem('INDEX', join(dir, sigName), `signature of ${file}: ${check.reason}`);
        else if (check.trustedComment !== wanted) this.problem('INDEX', join(dir, sigName), `signed for another set of snapshots ("${check.trustedComment}"); this drive's snapshots need "${wanted}"`);
      }
      if (got.value.toString('utf8') !== expected) this.problem('INDEX', join(dir, file), 'does not match the snapshots on this drive');
    }
  }

  /** Hashes the payload files found on worker threads (hashPool.ts), each read no further than its size. */
  async flush(): Promise<void> {
    const jobs = this.pendingJobs.splice(0);
    await hashFiles(jobs, this.concurrency, (job, got) => {
      if (!got.ok) return this.unsafe(job.path, got.unsafe);
      this.files++;
      this.bytes += got.value.size;
      if (got.value.sha256 !== job.expected) this.problem('BAD', job.path, `SHA-256 is ${got.value.sha256}, the manifest says ${job.expected}`);
    });
  }
}

/** Election folders under `path` (the drive, its ballotsafe/ folder, or one election folder), found without following links. */
async function findElections(path: string): Promise<string[]> {
  if (await isRealDirectory(join(path, 'snapshots'))) return [path];
  const base = (await isRealDirectory(join(path, 'ballotsafe'))) ? join(path, 'ballotsafe') : path;
  const out: string[] = [];
  try {
    for (const e of await readdir(base, { withFileTypes: true })) if (e.isDirectory() && (await isRealDirectory(join(base, e.name, 'snapshots')))) out.push(join(base, e.name));
  } catch {
    /* reported by the caller */
  }
  return out.sort();
}

/** Finds the election folders (or a single bag) under `path` and checks them. */
export async function verifyPath(path: string, options: { concurrency?: number; pins?: VerifyPins; hashPayload?: boolean } = {}): Promise<VerifyReport> {
  const pins = options.pins ?? {};
  const v = new Verifier(path, options.concurrency ?? defaultHashWorkers(), pins);
  const expect = (pins.expectRootHashes ?? []).map((h) => h.toLowerCase());
  const done = (elections: number): VerifyReport => {
    for (const h of expect) {
      if (!v.rootHashes.some((r) => r.rootHash === h)) v.problem('CHAIN', path, `the expected root hash ${h} is not in this drive's signed snapshots: snapshots were removed, rolled back or replaced`);
    }
    return {
      ok: v.problems.length === 0 && v.bags + elections > 0,
      problems: v.problems,
      elections,
      bags: v.bags,
      files: v.files,
      bytes: v.bytes,
      rootHashes: v.rootHashes,
      driveKeys: v.driveKeys,
      snapshots: v.snapshots,
      pins: { keyId: pins.key !== undefined ? keyIdHex(pins.key.keyId) : (pins.keyId?.toUpperCase() ?? null), byKeyIdOnly: pins.key === undefined && pins.keyId !== undefined, expectRootHashes: expect },
    };
  };
  const single = await readBounded(join(path, bagitName), smallFileLimit);
  if (single.ok) {
    const pub = await v.electionKey(join(path, '..', '..'));
    await v.verifyBag(path, pub);
    await v.flush();
    return done(0);
  }
  const elections = await findElections(path);
  if (elections.length === 0) {
    v.problem('MISSING', path, 'no ballotsafe snapshots here (expected ballotsafe/<election>/snapshots/)');
    return done(0);
  }
  for (const e of elections) await v.verifyElection(e);
  // Restore hashes each payload file while writing it, so it can skip this pass.
  if (options.hashPayload !== false) await v.flush();
  return done(elections.length);
}

