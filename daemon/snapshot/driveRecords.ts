import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataPaths, type Config } from '../core/config.ts';
import { publicKeyFileName } from './minisign.ts';

// The write records are the snapshot store's rows (issue #17); re-exported for the drive service and the preflight.
export { type DriveRecordKey, rootHashesWrittenTo } from './store.ts';

/** The appliance's public key file (minisign format), or null before the first snapshot made one. */
export function appliancePublicKeyText(config: Config): string | null {
  // On the appliance the key belongs to the signer; its public key is pinned in the config.
  if (config.signing !== undefined) return `untrusted comment: ballotsafe appliance public key (pinned in the config)\n${config.signing.publicKey}\n`;
  try {
    return readFileSync(join(dataPaths(config).keys, publicKeyFileName), 'utf8');
  } catch {
    return null;
  }
}
