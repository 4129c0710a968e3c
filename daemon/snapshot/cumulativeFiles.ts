import { ok, type Result } from '../core/result.ts';
import {
  cumulativeIndexName,
  cumulativeIndexSignatureName,
  cumulativeManifestName,
  cumulativeManifestSignatureName,
  cumulativeTrustedComment,
  formatCumulativeIndex,
  formatCumulativeManifest,
  type FileRecord,
} from './bagFormat.ts';

/** Signs `content` with the appliance key (minisign format) under a one-line trusted comment. */
export type CumulativeSigner = (content: string, trustedComment: string) => Promise<Result<string>>;

/**
 * The drive's cumulative files and their signatures, in write order (each file before its
 * signature). Signed so that nobody can drop the newest snapshot from a drive and its index unnoticed.
 */
export async function cumulativeFiles(
  election: string,
  bags: ReadonlyArray<{ sequence: number; bagName: string; rootHash: string; records: readonly FileRecord[] }>,
  sign: CumulativeSigner,
): Promise<Result<Array<readonly [name: string, content: string]>>> {
  const index = formatCumulativeIndex(bags);
  const manifest = formatCumulativeManifest(bags);
  const indexSig = await sign(index, cumulativeTrustedComment(election, cumulativeIndexName, bags));
  if (!indexSig.ok) return indexSig;
  const manifestSig = await sign(manifest, cumulativeTrustedComment(election, cumulativeManifestName, bags));
  if (!manifestSig.ok) return manifestSig;
  return ok([
    [cumulativeIndexName, index],
    [cumulativeIndexSignatureName, indexSig.value],
    [cumulativeManifestName, manifest],
    [cumulativeManifestSignatureName, manifestSig.value],
  ]);
}
