import type { Result } from './result.ts';

// Low in core so the snapshot plan, publish and both backends (snapshot/signerChoice.ts, socketSigner.ts) share it without reaching up.
/**
 * Who signs snapshots. The engine only sees this: the appliance's key id, its public key, and a
 * way to get a minisign signature file. Two backends:
 *  - SocketSigner: the separate ballotsafe-signer service (its own unix user owns the key); the
 *    daemon never holds the secret key, so no path bug in capture can copy it anywhere.
 *  - the in-process key under dataDir/keys (demo, development, tests).
 */
export interface Signer {
  /** 8 bytes; minisign prints it as 16 uppercase hex digits, little-endian. */
  readonly keyId: Buffer;
  readonly publicKeyRaw: Buffer;
  /** A minisign signature file ("ED", prehashed) over `content` with this trusted comment. */
  sign(content: Buffer | string, trustedComment: string): Promise<Result<string>>;
}
