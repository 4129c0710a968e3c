import { createHash } from 'node:crypto';
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { Db } from '../core/db/database.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';
import { readBounded } from '../snapshot/bagReader.ts';
import { filesTsvName, parseFilesTsv, parseManifest, signatureName, tagManifestName } from '../snapshot/bagFormat.ts';
import { verifyMinisign, type PublicKey } from '../snapshot/minisign.ts';
import { snapshotsOnADrive } from '../snapshot/store.ts';
import { verifyPath } from '../snapshot/verify.ts';
import type { PublishedSnapshot } from './publication.ts';

/**
 * Where a publication's snapshots come from: a drive (checked in full, every file hashed, every
 * signature against the appliance's own key) or the appliance's database (the bags as decided
 * before they were written). Either way only snapshots signed by the key that signs the statement.
 */

/** Why a publication's snapshots could not be taken from a drive or from the appliance's records. */
export type PublishSourceErrorCode = 'publish-which-election' | 'publish-drive-failed' | 'publish-no-snapshot' | 'publish-drive-changed' | 'publish-record-damaged';

export interface PublishSource {
  readonly election: string;
  /** Every snapshot, oldest first. */
  readonly chain: readonly PublishedSnapshot[];
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

export async function snapshotsFromDrive(root: string, key: PublicKey, election: string | undefined): Promise<Result<PublishSource, OperatorError<PublishSourceErrorCode>>> {
  const report = await verifyPath(root, { pins: { key } });
  const elections = [...new Set(report.snapshots.map((s) => s.electionDir))].filter((d) => election === undefined || basename(d) === election);
  if (elections.length > 1) return err(operatorError('publish-which-election', `${root} holds several elections: ${elections.map((d) => basename(d)).join(', ')}.`, 'Say which one with --election <name>.'));
  const problems = report.problems.filter((p) => p.kind !== 'INCOMPLETE');
  if (problems.length > 0) {
    const list = problems.slice(0, 20).map((p) => `  ${p.kind} ${p.path}: ${p.detail}`).join('\n');
    return err(operatorError('publish-drive-failed', `${root} failed verification, so nothing was published:\n${list}${problems.length > 20 ? `\n  … and ${problems.length - 20} more` : ''}`, 'Publish from the other drive of the pair, or from the appliance (ballotsafe publish vault ...). Keep this drive as it is.'));
  }
  const electionDir = elections[0];
  if (electionDir === undefined) return err(operatorError('publish-no-snapshot', `${root} holds no complete snapshot signed by this appliance's key.`, 'Check that this is a ballotsafe drive written by this appliance.'));
  const chain: PublishedSnapshot[] = [];
  for (const s of report.snapshots.filter((x) => x.electionDir === electionDir).sort((a, b) => a.sequence - b.sequence)) {
    const tag = await readBounded(join(electionDir, 'snapshots', s.bagName, tagManifestName), 64 * 1024);
    // Read again after verification: it must still be the signed one.
    if (!tag.ok || sha256(tag.value) !== s.rootHash) return err(operatorError('publish-drive-changed', `${s.bagName}/${tagManifestName} changed while it was being read.`, 'Leave the drive alone while publishing, and try again.'));
    chain.push({ sequence: s.sequence, bagName: s.bagName, rootHash: s.rootHash, tagManifest: tag.value.toString('utf8'), records: s.records });
  }
  return ok({ election: basename(electionDir), chain });
}

const rowSchema = z.object({ sequence: z.number().int().positive(), bag_name: z.string(), root_hash: z.string().regex(/^[0-9a-f]{64}$/), previous_root_hash: z.string().nullable(), tag_files_json: z.string() });
const tagFilesSchema = z.record(z.string(), z.string());

/** The snapshots that reached at least one drive, as the appliance recorded them. */
export function snapshotsFromDatabase(db: Db, election: string, key: PublicKey): Result<PublishSource, OperatorError<PublishSourceErrorCode>> {
  const rows = z.array(rowSchema).parse(snapshotsOnADrive(db, election));
  const chain: PublishedSnapshot[] = [];
  for (const row of rows) {
    const damaged = operatorError('publish-record-damaged', `The appliance's record of snapshot ${row.sequence} does not check out (its signature or file list does not match).`, 'Publish from a drive instead (ballotsafe publish <drive> ...) and report this to technical support.');
    const tags = tagFilesSchema.safeParse(JSON.parse(row.tag_files_json));
    if (!tags.success) return err(damaged);
    const tagManifest = tags.data[tagManifestName];
    const signature = tags.data[signatureName];
    const filesTsv = tags.data[filesTsvName];
    if (tagManifest === undefined || signature === undefined || filesTsv === undefined || sha256(tagManifest) !== row.root_hash) return err(damaged);
    if (!verifyMinisign(key, Buffer.from(tagManifest), signature).ok) return err(damaged);
    if (parseManifest(tagManifest).entries.find((e) => e.path === filesTsvName)?.sha256 !== sha256(filesTsv)) return err(damaged);
    if (row.previous_root_hash !== (chain[chain.length - 1]?.rootHash ?? null)) return err(damaged);
    const records = parseFilesTsv(filesTsv);
    if (typeof records === 'string') return err(damaged);
    chain.push({ sequence: row.sequence, bagName: row.bag_name, rootHash: row.root_hash, tagManifest, records });
  }
  if (chain.length === 0) return err(operatorError('publish-no-snapshot', `The appliance has no finished snapshot of "${election}" yet.`, 'Take a snapshot first (End-of-day snapshot).'));
  return ok({ election, chain });
}
