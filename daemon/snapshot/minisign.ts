import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync, renameSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/**
 * The appliance's Ed25519 key and minisign-format signatures, so anyone can check a snapshot with
 * the stock `minisign -Vm tagmanifest-sha256.txt -p ballotsafe-appliance.pub` (Debian's minisign 0.11).
 *
 * minisign layouts (https://jedisct1.github.io/minisign/):
 *   public key file:  "untrusted comment: ..." \n base64("Ed" || key_id[8] || public_key[32])
 *   signature file:   "untrusted comment: ..." \n base64("ED" || key_id[8] || sig[64]) \n
 *                     "trusted comment: <text>" \n base64(global_sig[64])
 *   "ED" = the file is pre-hashed with BLAKE2b-512 and the hash signed; global_sig signs sig || trusted comment.
 * The secret key stays in our own JSON file (PKCS#8 PEM + key id), mode 0600; it never leaves the appliance.
 * On the appliance that file belongs to the separate signer (daemon/signer/), never to the daemon:
 * loadOrCreateApplianceKey is for the demo and tests. Code that needs the appliance's public key
 * asks signerForConfig(config) (or the engine), which never opens the secret under `signing:`.
 */

export interface ApplianceKey {
  /** 8 bytes; minisign prints it as 16 uppercase hex digits, little-endian. */
  readonly keyId: Buffer;
  readonly privateKey: KeyObject;
  readonly publicKeyRaw: Buffer;
}

const secretFileSchema = z.object({ format: z.literal('ballotsafe-ed25519-v1'), keyId: z.string().regex(/^[0-9a-f]{16}$/), privateKeyPem: z.string().min(1) });

export const secretKeyFileName = 'appliance-ed25519.json';
export const publicKeyFileName = 'ballotsafe-appliance.pub';

/** minisign's display form of a key id (the 8 bytes read as a little-endian integer). */
export function keyIdHex(keyId: Buffer): string {
  return Buffer.from(keyId).reverse().toString('hex').toUpperCase();
}

function rawPublicKey(privateKey: KeyObject): Buffer {
  const der = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(der.length - 32));
}

/** Loads the appliance key from `keysDir`, creating it (0600, fsynced) on first start. */
export function loadOrCreateApplianceKey(keysDir: string): ApplianceKey {
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const secretPath = join(keysDir, secretKeyFileName);
  if (existsSync(secretPath)) {
    const parsed = secretFileSchema.parse(JSON.parse(readFileSync(secretPath, 'utf8')));
    const privateKey = createPrivateKey(parsed.privateKeyPem);
    const key = { keyId: Buffer.from(parsed.keyId, 'hex'), privateKey, publicKeyRaw: rawPublicKey(privateKey) };
    const pubPath = join(keysDir, publicKeyFileName);
    if (!existsSync(pubPath)) writeFileSync(pubPath, publicKeyFile(key));
    return key;
  }
  const { privateKey } = generateKeyPairSync('ed25519');
  const keyId = randomBytes(8);
  const body = JSON.stringify({ format: 'ballotsafe-ed25519-v1', keyId: keyId.toString('hex'), privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() });
  const tmp = `${secretPath}.tmp`;
  writeFileSync(tmp, body, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  const fd = openSync(tmp, 'r');
  fsyncSync(fd);
  closeSync(fd);
  renameSync(tmp, secretPath);
  const key = { keyId, privateKey, publicKeyRaw: rawPublicKey(privateKey) };
  writeFileSync(join(keysDir, publicKeyFileName), publicKeyFile(key), { mode: 0o644 });
  const dfd = openSync(keysDir, 'r');
  fsyncSync(dfd);
  closeSync(dfd);
  return key;
}

export function publicKeyFile(key: Pick<ApplianceKey, 'keyId' | 'publicKeyRaw'>): string {
  const blob = Buffer.concat([Buffer.from('Ed'), key.keyId, key.publicKeyRaw]);
  return `untrusted comment: minisign public key ${keyIdHex(key.keyId)}\n${blob.toString('base64')}\n`;
}

export interface PublicKey {
  readonly keyId: Buffer;
  readonly key: KeyObject;
  /** The 32 raw Ed25519 bytes. */
  readonly raw: Buffer;
}

export function parsePublicKeyFile(text: string): PublicKey | undefined {
  const lines = text.split(/\r?\n/).filter((l) => l.length > 0);
  const b64 = lines.find((l) => !l.startsWith('untrusted comment:'));
  if (b64 === undefined) return undefined;
  const blob = Buffer.from(b64.trim(), 'base64');
  if (blob.length !== 42 || blob.subarray(0, 2).toString() !== 'Ed') return undefined;
  const raw = blob.subarray(10, 42);
  // SPKI DER prefix for an Ed25519 public key.
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]);
  return { keyId: Buffer.from(blob.subarray(2, 10)), key: createPublicKey({ key: spki, format: 'der', type: 'spki' }), raw: Buffer.from(raw) };
}

/** What minisign's "ED" mode signs: the BLAKE2b-512 of the file (the separate signer gets only this). */
export function blake2b512(data: Buffer | string): Buffer {
  return createHash('blake2b512').update(data).digest();
}

/** A minisign signature file (prehashed "ED") over `content`. */
export function signMinisign(key: ApplianceKey, content: Buffer | string, trustedComment: string, untrustedComment = 'signature from ballotsafe appliance key'): string {
  if (/[\r\n]/.test(trustedComment)) throw new Error('trusted comment must be one line');
  const sig = sign(null, blake2b512(content), key.privateKey);
  const globalSig = sign(null, Buffer.concat([sig, Buffer.from(trustedComment, 'utf8')]), key.privateKey);
  const sigBlob = Buffer.concat([Buffer.from('ED'), key.keyId, sig]);
  return `untrusted comment: ${untrustedComment}\n${sigBlob.toString('base64')}\ntrusted comment: ${trustedComment}\n${globalSig.toString('base64')}\n`;
}

export type SignatureCheck = { readonly ok: true; readonly trustedComment: string } | { readonly ok: false; readonly reason: string };

/** Checks a minisign signature file ("Ed" or "ED") exactly as `minisign -V` does. */
export function verifyMinisign(publicKey: PublicKey, content: Buffer, signatureText: string): SignatureCheck {
  const lines = signatureText.split('\n');
  const [, sigLine, trustedLine, globalLine] = lines;
  if (sigLine === undefined || trustedLine === undefined || globalLine === undefined) return { ok: false, reason: 'signature file is truncated' };
  const blob = Buffer.from(sigLine.trim(), 'base64');
  if (blob.length !== 74) return { ok: false, reason: 'signature line has the wrong length' };
  const alg = blob.subarray(0, 2).toString();
  if (!blob.subarray(2, 10).equals(publicKey.keyId)) return { ok: false, reason: `signed by key ${keyIdHex(blob.subarray(2, 10))}, not by ${keyIdHex(publicKey.keyId)}` };
  const sig = blob.subarray(10);
  const message = alg === 'ED' ? blake2b512(content) : alg === 'Ed' ? content : undefined;
  if (message === undefined) return { ok: false, reason: `unknown signature algorithm ${JSON.stringify(alg)}` };
  if (!verify(null, message, publicKey.key, sig)) return { ok: false, reason: 'signature does not match the file' };
  if (!trustedLine.startsWith('trusted comment: ')) return { ok: false, reason: 'trusted comment line missing' };
  const trustedComment = trustedLine.slice('trusted comment: '.length);
  const globalSig = Buffer.from(globalLine.trim(), 'base64');
  if (!verify(null, Buffer.concat([sig, Buffer.from(trustedComment, 'utf8')]), publicKey.key, globalSig)) return { ok: false, reason: 'trusted comment signature does not match' };
  return { ok: true, trustedComment };
}
