import { dataPaths, type Config } from '../core/config.ts';
import { ok, type Result } from '../core/result.ts';
import { keyIdHex, loadOrCreateApplianceKey, parsePublicKeyFile, signMinisign, type ApplianceKey } from './minisign.ts';
import type { Signer } from '../core/signing.ts';
import { SocketSigner } from './socketSigner.ts';

export type { Signer } from '../core/signing.ts';

/** The untrusted comment both backends write, so bags look the same whoever signed them. */
export function signatureUntrustedComment(keyId: Buffer): string {
  return `ballotsafe snapshot signature, key ${keyIdHex(keyId)}`;
}

export function inProcessSigner(key: ApplianceKey): Signer {
  return {
    keyId: key.keyId,
    publicKeyRaw: key.publicKeyRaw,
    sign: async (content, trustedComment) => ok(signMinisign(key, content, trustedComment, signatureUntrustedComment(key.keyId))),
  };
}

/**
 * The signer the config asks for. With `signing:` the daemon never opens the key: only the
 * pinned public key from the config and the socket. Without it, the key in dataDir/keys.
 */
export function signerForConfig(config: Config): Signer {
  if (config.signing === undefined) return inProcessSigner(loadOrCreateApplianceKey(dataPaths(config).keys));
  // The config schema has checked the key line's shape; a key line that still does not parse
  // would be a schema bug.
  const pinned = parsePublicKeyFile(`${config.signing.publicKey}\n`);
  if (pinned === undefined) throw new Error('signing.publicKey passed the config schema but is not a minisign public key');
  return new SocketSigner(config.signing.socket, pinned);
}
