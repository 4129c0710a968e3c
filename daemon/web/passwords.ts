import { randomBytes, timingSafeEqual } from 'node:crypto';
import { err, hasCode, ok, type OperatorError, type Result } from '../core/result.ts';
import { scryptPool } from './passwordPool.ts';

/**
 * scrypt password hashes (node:crypto, no native add-on). Parameters are stored with each hash
 * so they can be raised later without invalidating existing accounts.
 * N=2^15, r=8, p=1 costs about 32 MiB and ~100 ms per check: fine for a kiosk login, slow for guessing.
 */
const defaults = { N: 1 << 15, r: 8, p: 1, keyLength: 64, saltLength: 16 } as const;

/** scrypt runs in daemon/web/passwordPool.ts's worker threads, never in libuv's file-I/O pool. */
async function scryptInWorker(password: string, salt: Buffer, keyLength: number, options: { N: number; r: number; p: number; maxmem: number }): Promise<Buffer> {
  const key = await scryptPool().run({ password, salt, keyLength, options }, false);
  if (!key.ok) throw new Error(`scrypt failed: ${key.error.message}`); // not a password problem: a bug or a dead worker
  return key.value;
}

function maxmemFor(N: number, r: number): number {
  return 128 * N * r * 2;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(defaults.saltLength);
  const { N, r, p, keyLength } = defaults;
  const key = await scryptInWorker(password, salt, keyLength, { N, r, p, maxmem: maxmemFor(N, r) });
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** True when `password` matches `stored`; false for a wrong password or a malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const checked = await checkPasswordHash(password, stored);
  return checked.ok && checked.value;
}

/** Like verifyPassword, but says `login-busy` instead of waiting when too many checks are queued. */
export async function checkPasswordHash(password: string, stored: string): Promise<Result<boolean, OperatorError<'login-busy'>>> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return ok(false);
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![N, r, p].every((n) => Number.isInteger(n) && n > 0) || N > 1 << 20) return ok(false);
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const expected = Buffer.from(parts[5] ?? '', 'base64');
  if (salt.length === 0 || expected.length === 0) return ok(false);
  const key = await scryptPool().run({ password, salt, keyLength: expected.length, options: { N, r, p, maxmem: maxmemFor(N, r) } });
  if (!key.ok) return hasCode(key.error, 'login-busy') ? err(key.error) : ok(false);
  return ok(timingSafeEqual(key.value, expected));
}

/** A hash of a random password, verified against when the user name is unknown so timing does not reveal which names exist. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}

export const minPasswordLength = 8;

export function passwordProblem(password: string): string | undefined {
  if (password.length < minPasswordLength) return `The password must have at least ${minPasswordLength} characters.`;
  if (password.length > 1024) return 'The password is too long (at most 1024 characters).';
  return undefined;
}
