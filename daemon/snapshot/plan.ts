import { createHash } from 'node:crypto';
import {
  bagInfoName,
  bagitName,
  bagitTxt,
  filesTsvName,
  formatBagInfo,
  formatFilesTsv,
  manifestLine,
  manifestName,
  signatureName,
  tagManifestName,
  taggedFiles,
  type FileRecord,
} from './bagFormat.ts';
import type { CatalogVersion } from './catalog.ts';
import type { Signer } from '../core/signing.ts';
import { ok, type Result } from '../core/result.ts';
import { keyIdHex } from './minisign.ts';
import { StoredPathAllocator } from './names.ts';

/** One file of a planned bag. */
export interface PlannedItem {
  readonly fileVersionId: number;
  readonly payloadPath: string;
  readonly sha256: string;
  readonly size: number;
}

/** Everything about a bag, decided before the first byte is written to a drive. */
export interface PlannedBag {
  readonly snapshotId: number;
  readonly sequence: number;
  readonly bagName: string;
  readonly full: boolean;
  readonly items: readonly PlannedItem[];
  /** bagit.txt, bag-info.txt, manifest, files tsv, tag manifest, signature: name -> content. */
  readonly tagFiles: Readonly<Record<string, string>>;
  readonly rootHash: string;
  readonly files: number;
  readonly bytes: number;
  readonly startedAt: string;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface BagContext {
  readonly sequence: number;
  readonly bagName: string;
  readonly startedAt: Date;
  readonly full: boolean;
  readonly reason: string;
  readonly electionName: string;
  readonly electionTitle: string;
  readonly applianceId: string;
  readonly previousRootHash: string | null;
  readonly previousBagName: string | null;
  readonly key: Signer;
}

/**
 * Maps catalog versions to payload paths. The newest version of a path in this bag goes to
 * data/<root>/<path>; an older version captured in the same interval to data/_versions/<id>/<root>/<path>
 * (root labels cannot start with "_", so these never collide).
 */
export function assignPayloadPaths(versions: readonly CatalogVersion[]): { records: FileRecord[] } {
  const sorted = [...versions].sort((a, b) => (a.rootLabel < b.rootLabel ? -1 : a.rootLabel > b.rootLabel ? 1 : a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : a.id - b.id));
  const newest = new Map<string, number>();
  for (const v of sorted) newest.set(`${v.rootLabel}\u0000${v.relPath}`, v.id);
  const alloc = new StoredPathAllocator();
  const records: FileRecord[] = [];
  for (const v of sorted) {
    const segs = v.relPath.split('/').filter((s) => s.length > 0);
    const isNewest = newest.get(`${v.rootLabel}\u0000${v.relPath}`) === v.id;
    const stored = alloc.allocate(isNewest ? [v.rootLabel, ...segs] : ['_versions', String(v.id), v.rootLabel, ...segs]);
    records.push({ catalogId: v.id, rootLabel: v.rootLabel, relPath: v.relPath, payloadPath: `data/${stored}`, sha256: v.sha256, size: v.size, mtimeNs: v.mtimeNs, kind: v.kind, capturedAt: v.capturedAt });
  }
  records.sort((a, b) => (a.payloadPath < b.payloadPath ? -1 : a.payloadPath > b.payloadPath ? 1 : 0));
  return { records };
}

/** Plans the bag; signing may go to the separate signer process, which can fail (a Result). */
export async function buildBag(versions: readonly CatalogVersion[], ctx: BagContext): Promise<Result<Omit<PlannedBag, 'snapshotId'>>> {
  const { records } = assignPayloadPaths(versions);
  const bytes = records.reduce((n, r) => n + r.size, 0);
  const kinds = new Map<string, number>();
  for (const r of records) kinds.set(r.kind, (kinds.get(r.kind) ?? 0) + 1);
  const time = ctx.startedAt.toISOString().replace(/\.\d+Z$/, 'Z');
  const manifest = records.map((r) => manifestLine(r.sha256, r.payloadPath)).join('');
  const bagInfo = formatBagInfo([
    ['Source-Organization', ctx.electionTitle],
    ['Bagging-Date', time.slice(0, 10)],
    ['External-Identifier', `${ctx.electionName}/${ctx.bagName}`],
    ['Payload-Oxum', `${bytes}.${records.length}`],
    ['Ballotsafe-Election', ctx.electionName],
    ['Ballotsafe-Sequence', ctx.sequence],
    ['Ballotsafe-Snapshot-Time', time],
    ['Ballotsafe-Reason', ctx.reason],
    ['Ballotsafe-Full', ctx.full ? 'yes' : 'no'],
    ['Ballotsafe-Appliance-Id', ctx.applianceId],
    ['Ballotsafe-Key-Id', keyIdHex(ctx.key.keyId)],
    ['Ballotsafe-File-Count', records.length],
    ['Ballotsafe-Byte-Count', bytes],
    ...[...kinds.entries()].sort().map(([k, n]) => [`Ballotsafe-Count-${k}`, n] as const),
    ['Ballotsafe-Previous-Bag', ctx.previousBagName ?? 'none'],
    ['Ballotsafe-Previous-Tagmanifest-SHA256', ctx.previousRootHash ?? 'none'],
  ]);
  const content: Record<string, string> = {
    [bagitName]: bagitTxt,
    [bagInfoName]: bagInfo,
    [manifestName]: manifest,
    [filesTsvName]: formatFilesTsv(records),
  };
  const tagManifest = taggedFiles.map((name) => manifestLine(sha256Hex(content[name] ?? ''), name)).join('');
  const rootHash = sha256Hex(tagManifest);
  const trusted = `ballotsafe election:${ctx.electionName} snapshot:${ctx.bagName} sequence:${ctx.sequence} root:${rootHash} previous:${ctx.previousRootHash ?? 'none'}`;
  content[tagManifestName] = tagManifest;
  const signature = await ctx.key.sign(tagManifest, trusted);
  if (!signature.ok) return signature;
  content[signatureName] = signature.value;
  return ok({
    sequence: ctx.sequence,
    bagName: ctx.bagName,
    full: ctx.full,
    items: records.map((r) => ({ fileVersionId: r.catalogId, payloadPath: r.payloadPath, sha256: r.sha256, size: r.size })),
    tagFiles: content,
    rootHash,
    files: records.length,
    bytes,
    startedAt: ctx.startedAt.toISOString(),
  });
}

export function markerText(bag: Pick<PlannedBag, 'bagName' | 'rootHash' | 'sequence'>): string {
  return `Snapshot ${bag.bagName} (sequence ${bag.sequence}) was written completely and read back.\nRoot-Hash: ${bag.rootHash}\n`;
}

/** Tag files in the order they are written (after the data; the marker comes after all of them). */
export const tagWriteOrder = [bagitName, bagInfoName, manifestName, filesTsvName, tagManifestName, signatureName] as const;
