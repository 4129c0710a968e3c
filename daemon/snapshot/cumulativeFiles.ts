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
export type CumulativeSigner = (content: string, trustedComment: string) => string;

/**
 * The drive's cumulative files and their signatures, in write order (each file before its
 * signature). Signed so that nobody can drop the newest snapshot from a drive and its index unnoticed.
 */
export function cumulativeFiles(
  election: string,
  bags: ReadonlyArray<{ sequence: number; bagName: string; rootHash: string; records: readonly FileRecord[] }>,
  sign: CumulativeSigner,
): Array<readonly [name: string, content: string]> {
  const index = formatCumulativeIndex(bags);
  const manifest = formatCumulativeManifest(bags);
  return [
    [cumulativeIndexName, index],
    [cumulativeIndexSignatureName, sign(index, cumulativeTrustedComment(election, cumulativeIndexName, bags))],
    [cumulativeManifestName, manifest],
    [cumulativeManifestSignatureName, sign(manifest, cumulativeTrustedComment(election, cumulativeManifestName, bags))],
  ];
}
