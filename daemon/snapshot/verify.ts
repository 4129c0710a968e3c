import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import {
  bagInfoName,
  bagitName,
  bagitTxt,
  bagNamePattern,
  completeMarkerName,
  cumulativeIndexName,
  cumulativeManifestName,
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
import { hashFile } from './driveIo.ts';
import { parsePublicKeyFile, publicKeyFileName, verifyMinisign, type PublicKey } from './minisign.ts';

/**
 * Checks drives without the daemon or the database: every bag complete, every hash, nothing extra,
 * the chain, the signatures and the cumulative index. Problems name the exact file.
 */

export type ProblemKind = 'BAD' | 'MISSING' | 'EXTRA' | 'INCOMPLETE' | 'CHAIN' | 'SIGNATURE' | 'INDEX' | 'FORMAT';

export interface Problem {
  readonly kind: ProblemKind;
  /** Path relative to the folder given to verify. */
  readonly path: string;
  readonly detail: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly problems: readonly Problem[];
  readonly elections: number;
  readonly bags: number;
  readonly files: number;
  readonly bytes: number;
  /** Root hash (SHA-256 of the tag manifest) per complete bag, by path. */
  readonly rootHashes: ReadonlyArray<{ path: string; rootHash: string }>;
}

const bagRootFiles = new Set([bagitName, bagInfoName, manifestName, tagManifestName, signatureName, filesTsvName, completeMarkerName, 'data']);
const electionFiles = new Set(['snapshots', driveReadmeName, publicKeyFileName, cumulativeIndexName, cumulativeManifestName]);

interface BagResult {
  readonly name: string;
  readonly complete: boolean;
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
  private readonly buffers: Buffer[];

  constructor(
    private readonly top: string,
    private readonly concurrency: number,
  ) {
    this.buffers = Array.from({ length: concurrency }, () => Buffer.allocUnsafe(1 << 20));
  }

  problem(kind: ProblemKind, abs: string, detail: string): void {
    this.problems.push({ kind, path: relative(this.top, abs) || '.', detail });
  }

  /** Hashes many files concurrently (reads overlap with hashing). */
  async hashAll(jobs: ReadonlyArray<{ path: string; expected: string }>): Promise<void> {
    let i = 0;
    await Promise.all(
      this.buffers.map(async (buf) => {
        for (;;) {
          const job = jobs[i++];
          if (job === undefined) return;
          let got: { sha256: string; size: number };
          try {
            got = await hashFile(job.path, buf);
          } catch (e) {
            const code = (e as NodeJS.ErrnoException).code;
            if (code === 'ENOENT') this.problem('MISSING', job.path, 'listed in the manifest but not on the drive');
            else this.problem('BAD', job.path, `cannot be read: ${(e as Error).message}`);
            continue;
          }
          this.files++;
          this.bytes += got.size;
          if (got.sha256 !== job.expected) this.problem('BAD', job.path, `SHA-256 is ${got.sha256}, the manifest says ${job.expected}`);
        }
      }),
    );
  }

  async verifyBag(dir: string, pub: PublicKey | undefined): Promise<BagResult | undefined> {
    const name = basename(dir);
    const read = async (f: string): Promise<Buffer | undefined> => {
      try {
        return await readFile(join(dir, f));
      } catch {
        return undefined;
      }
    };
    const marker = await read(completeMarkerName);
    if (marker === undefined) {
      this.problem('INCOMPLETE', dir, 'no completion marker: an interrupted copy, not a snapshot (connecting this drive for the next snapshot finishes it)');
      return { name, complete: false, sequence: -1, full: false, previous: '', rootHash: '', records: [] };
    }
    this.bags++;
    const tagManifest = await read(tagManifestName);
    if (tagManifest === undefined) {
      this.problem('MISSING', join(dir, tagManifestName), 'tag manifest missing');
      return undefined;
    }
    const rootHash = createHash('sha256').update(tagManifest).digest('hex');
    this.rootHashes.push({ path: relative(this.top, dir) || '.', rootHash });
    if (!marker.toString('utf8').includes(`Root-Hash: ${rootHash}`)) this.problem('BAD', join(dir, completeMarkerName), `names a different root hash than the tag manifest's (${rootHash})`);
    const bagit = await read(bagitName);
    if (bagit === undefined) this.problem('MISSING', join(dir, bagitName), 'bag declaration missing');
    else if (bagit.toString('utf8') !== bagitTxt) this.problem('FORMAT', join(dir, bagitName), 'not a BagIt 1.0 UTF-8 declaration');

    // Tag files: hashes, and every tag file listed.
    const tags = parseManifest(tagManifest.toString('utf8'));
    for (const bad of tags.badLines) this.problem('FORMAT', join(dir, tagManifestName), `unreadable line: ${JSON.stringify(bad)}`);
    const listed = new Set(tags.entries.map((e) => e.path));
    for (const e of tags.entries) {
      const content = await read(e.path);
      if (content === undefined) this.problem('MISSING', join(dir, e.path), 'listed in the tag manifest but not on the drive');
      else if (createHash('sha256').update(content).digest('hex') !== e.sha256) this.problem('BAD', join(dir, e.path), 'SHA-256 differs from the tag manifest');
    }
    for (const required of [bagitName, bagInfoName, manifestName, filesTsvName]) {
      if (!listed.has(required)) this.problem('FORMAT', join(dir, tagManifestName), `does not list ${required}`);
    }
    // Signature.
    const sig = await read(signatureName);
    if (sig === undefined) this.problem('MISSING', join(dir, signatureName), 'signature missing');
    else if (pub === undefined) this.problem('SIGNATURE', join(dir, signatureName), `cannot be checked: ${publicKeyFileName} missing`);
    else {
      const check = verifyMinisign(pub, tagManifest, sig.toString('utf8'));
      if (!check.ok) this.problem('SIGNATURE', join(dir, signatureName), check.reason);
    }
    // Nothing extra in the bag root.
    for (const entry of await readdir(dir)) {
      if (!bagRootFiles.has(entry) && !listed.has(entry)) this.problem('EXTRA', join(dir, entry), 'not part of the snapshot');
    }

    const info = parseBagInfo((await read(bagInfoName))?.toString('utf8') ?? '');
    const sequence = Number(info.get('Ballotsafe-Sequence') ?? NaN);
    const m = bagNamePattern.exec(name);
    if (m?.[1] !== undefined && Number(m[1]) !== sequence) this.problem('FORMAT', join(dir, bagInfoName), `sequence ${sequence} does not match the folder name`);

    // Payload: hashes, missing, extra, Payload-Oxum.
    const manifestText = (await read(manifestName))?.toString('utf8') ?? '';
    const manifest = parseManifest(manifestText);
    for (const bad of manifest.badLines) this.problem('FORMAT', join(dir, manifestName), `unreadable line: ${JSON.stringify(bad)}`);
    const inManifest = new Set<string>();
    for (const e of manifest.entries) {
      if (!e.path.startsWith('data/') || e.path.split('/').includes('..')) this.problem('FORMAT', join(dir, manifestName), `path outside data/: ${e.path}`);
      else inManifest.add(e.path);
    }
    const onDisk = await listFiles(join(dir, 'data'), 'data');
    let payloadBytes = 0;
    for (const [rel, size] of onDisk) {
      if (!inManifest.has(rel)) this.problem('EXTRA', join(dir, rel), 'on the drive but not in the manifest');
      else payloadBytes += size;
    }
    const oxum = info.get('Payload-Oxum');
    const expectedOxum = `${payloadBytes}.${manifest.entries.length}`;
    if (oxum !== expectedOxum && [...inManifest].every((p) => onDisk.has(p))) this.problem('BAD', join(dir, bagInfoName), `Payload-Oxum is ${oxum ?? 'missing'}, the payload is ${expectedOxum}`);
    const jobs = manifest.entries.filter((e) => inManifest.has(e.path)).map((e) => ({ path: join(dir, e.path), expected: e.sha256 }));
    this.pendingJobs.push(...jobs);

    // The file list (original names) must describe exactly the manifest.
    const tsv = parseFilesTsv((await read(filesTsvName))?.toString('utf8') ?? '');
    let records: FileRecord[] = [];
    if (typeof tsv === 'string') this.problem('FORMAT', join(dir, filesTsvName), tsv);
    else {
      records = tsv;
      const a = tsv.map((r) => `${r.sha256}  ${r.payloadPath}`).sort().join('\n');
      const b = manifest.entries.map((e) => `${e.sha256}  ${e.path}`).sort().join('\n');
      if (a !== b) this.problem('FORMAT', join(dir, filesTsvName), 'does not list the same files as the manifest');
    }
    return { name, complete: true, sequence, full: info.get('Ballotsafe-Full') === 'yes', previous: info.get('Ballotsafe-Previous-Tagmanifest-SHA256') ?? '', rootHash, records };
  }

  readonly pendingJobs: Array<{ path: string; expected: string }> = [];

  async verifyElection(dir: string): Promise<void> {
    let pub: PublicKey | undefined;
    const pubPath = join(dir, publicKeyFileName);
    try {
      pub = parsePublicKeyFile(await readFile(pubPath, 'utf8'));
      if (pub === undefined) this.problem('FORMAT', pubPath, 'not a minisign public key');
    } catch {
      this.problem('MISSING', pubPath, 'public key missing');
    }
    for (const entry of await readdir(dir)) {
      if (!electionFiles.has(entry)) this.problem('EXTRA', join(dir, entry), 'not part of the snapshot set');
    }
    const snapDir = join(dir, 'snapshots');
    const names = existsSync(snapDir) ? (await readdir(snapDir)).sort() : [];
    const results: BagResult[] = [];
    for (const n of names) {
      if (!bagNamePattern.test(n) || !(await stat(join(snapDir, n))).isDirectory()) {
        this.problem('EXTRA', join(snapDir, n), 'not a snapshot folder');
        continue;
      }
      const r = await this.verifyBag(join(snapDir, n), pub);
      if (r !== undefined && r.complete) results.push(r);
    }
    // Chain: consecutive sequences, each naming its predecessor's root hash.
    results.sort((a, b) => a.sequence - b.sequence);
    results.forEach((r, i) => {
      const at = join(snapDir, r.name);
      const prev = results[i - 1];
      if (prev === undefined) {
        if (r.sequence !== 1 && !r.full) this.problem('CHAIN', at, `the first snapshot on this drive is number ${r.sequence}, not 1 and not a full snapshot: earlier snapshots are missing`);
      } else if (r.sequence !== prev.sequence + 1) {
        this.problem('CHAIN', at, `snapshot(s) ${prev.sequence + 1}..${r.sequence - 1} missing before this one`);
      } else if (r.previous !== prev.rootHash) {
        this.problem('CHAIN', at, `names previous root hash ${r.previous}, but ${prev.name} has ${prev.rootHash}`);
      }
    });
    // Cumulative index and manifest must describe exactly the complete bags.
    const bags = results.map((r) => ({ sequence: r.sequence, bagName: r.name, records: r.records }));
    for (const [file, expected] of [
      [cumulativeIndexName, formatCumulativeIndex(bags)],
      [cumulativeManifestName, formatCumulativeManifest(bags)],
    ] as const) {
      try {
        const text = await readFile(join(dir, file), 'utf8');
        if (text !== expected) this.problem('INDEX', join(dir, file), 'does not match the snapshots on this drive');
      } catch {
        if (results.length > 0) this.problem('MISSING', join(dir, file), 'cumulative index missing');
      }
    }
  }

  async flush(): Promise<void> {
    const jobs = this.pendingJobs.splice(0);
    await this.hashAll(jobs);
  }
}

async function listFiles(dir: string, rel: string, out = new Map<string, number>()): Promise<Map<string, number>> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const abs = join(dir, e.name);
    if (e.isDirectory()) await listFiles(abs, `${rel}/${e.name}`, out);
    else out.set(`${rel}/${e.name}`, (await stat(abs)).size);
  }
  return out;
}

/** Finds the election folders (or a single bag) under `path` and checks them. */
export async function verifyPath(path: string, options: { concurrency?: number } = {}): Promise<VerifyReport> {
  const v = new Verifier(path, options.concurrency ?? 4);
  const done = (elections: number): VerifyReport => ({ ok: v.problems.length === 0 && v.bags + elections > 0, problems: v.problems, elections, bags: v.bags, files: v.files, bytes: v.bytes, rootHashes: v.rootHashes });
  if (existsSync(join(path, bagitName))) {
    const pubPath = join(path, '..', '..', publicKeyFileName);
    const pub = existsSync(pubPath) ? parsePublicKeyFile(await readFile(pubPath, 'utf8')) : undefined;
    await v.verifyBag(path, pub);
    await v.flush();
    return done(0);
  }
  const elections: string[] = [];
  if (existsSync(join(path, 'snapshots'))) elections.push(path);
  else {
    const base = existsSync(join(path, 'ballotsafe')) ? join(path, 'ballotsafe') : path;
    try {
      for (const e of await readdir(base, { withFileTypes: true })) if (e.isDirectory() && existsSync(join(base, e.name, 'snapshots'))) elections.push(join(base, e.name));
    } catch {
      /* reported below */
    }
  }
  if (elections.length === 0) {
    v.problem('MISSING', path, 'no ballotsafe snapshots here (expected ballotsafe/<election>/snapshots/)');
    return done(0);
  }
  for (const e of elections) await v.verifyElection(e);
  await v.flush();
  return done(elections.length);
}

export function formatReport(report: VerifyReport, shown: string): string {
  const lines = report.problems.map((p) => `${p.kind.padEnd(10)} ${p.path}: ${p.detail}`);
  for (const r of report.rootHashes) lines.unshift(`root hash  ${r.path}  ${r.rootHash}`);
  const mib = (report.bytes / 1024 ** 2).toFixed(1);
  lines.push(
    report.ok
      ? `PASS ${shown}: ${report.bags} snapshot(s), ${report.files} files, ${mib} MiB checked; chain, signatures and index correct.`
      : `FAIL ${shown}: ${report.problems.length} problem(s) above (${report.bags} snapshot(s), ${report.files} files, ${mib} MiB checked).`,
  );
  return `${lines.join('\n')}\n`;
}

