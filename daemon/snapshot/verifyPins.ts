import { resolve } from 'node:path';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { readBounded } from './bagReader.ts';
import { parsePublicKeyFile } from './minisign.ts';
import type { VerifyPins } from './verify.ts';

/**
 * `verify --key` and `--expect` as pins. --key takes the published public key: a minisign .pub
 * file, the key itself (the "RW..." line) or, weaker, its 16-digit key id.
 */
export async function pinsFromArgs(key: string | undefined, expect: readonly string[]): Promise<Result<VerifyPins>> {
  const bad = expect.find((h) => !/^[0-9a-fA-F]{64}$/.test(h));
  if (bad !== undefined) return err(operatorError('verify-bad-root-hash', `"${bad}" is not a root hash (64 hexadecimal digits).`, 'Copy the root hash exactly as published (hand-off sheet or custody record).'));
  const expectRootHashes = expect.map((h) => h.toLowerCase());
  if (key === undefined) return ok({ expectRootHashes });
  if (/^[0-9a-fA-F]{16}$/.test(key)) return ok({ keyId: key.toUpperCase(), expectRootHashes });
  const inline = parsePublicKeyFile(key);
  if (inline !== undefined) return ok({ key: inline, expectRootHashes });
  const file = await readBounded(resolve(key), 64 * 1024);
  const fromFile = file.ok ? parsePublicKeyFile(file.value.toString('utf8')) : undefined;
  if (fromFile === undefined) {
    return err(operatorError('verify-bad-key', `--key "${key}" is neither a minisign public key file, a public key, nor a 16-digit key id.`, 'Give the public key file the county published (ballotsafe-appliance.pub) or the key line starting with "RW".'));
  }
  return ok({ key: fromFile, expectRootHashes });
}
