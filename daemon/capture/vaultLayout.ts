import { join } from 'node:path';

/**
 * The local vault is content-addressed like restic/git objects:
 *   <vault>/objects/<first two hex chars>/<sha256 hex>
 * Objects are written once (temp file, fsync, rename, fsync dir) and never modified.
 * Temp files live in <vault>/tmp and are removed at start.
 */
export function vaultObjectPath(vaultDir: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256 hex digest: ${sha256}`);
  return join(vaultDir, 'objects', sha256.slice(0, 2), sha256);
}

export function vaultTempDir(vaultDir: string): string {
  return join(vaultDir, 'tmp');
}
