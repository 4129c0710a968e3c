import { describe, expect, it } from 'vitest';
import { openDatabase } from '../db/database.ts';
import { assertOk } from '../result.ts';
import { Accounts, sessionLifetimeMs } from './accounts.ts';
import { LoginRateLimiter } from './loginRateLimit.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

describe('passwords', () => {
  it('stores scrypt hashes with their parameters and a random salt', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    expect(a).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('correct horse', 'plain:correct horse')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999$8$1$AAAA$AAAA')).toBe(false);
  });
});

describe('accounts', () => {
  it('adds users, refuses duplicates, weak passwords and odd names with what to do', async () => {
    const accounts = new Accounts(openDatabase(':memory:'));
    assertOk(await accounts.addUser('pat', 'operator', 'long enough'));
    const dup = await accounts.addUser('pat', 'observer', 'long enough');
    expect(dup.ok ? '' : dup.error.action).toContain('ballotsafe user passwd pat');
    const weak = await accounts.addUser('sam', 'observer', 'short');
    expect(weak.ok ? '' : weak.error.code).toBe('password-weak');
    const odd = await accounts.addUser('../x', 'observer', 'long enough');
    expect(odd.ok ? '' : odd.error.code).toBe('user-name-invalid');
    expect(await accounts.checkPassword('pat', 'long enough')).toMatchObject({ name: 'pat', role: 'operator' });
    expect(await accounts.checkPassword('pat', 'wrong one')).toBeUndefined();
    expect(await accounts.checkPassword('nobody', 'long enough')).toBeUndefined();
  });

  it('stores only a hash of the session token and expires sessions', async () => {
    let now = new Date('2026-11-03T08:00:00Z');
    const db = openDatabase(':memory:');
    const accounts = new Accounts(db, () => now);
    const user = assertOk(await accounts.addUser('pat', 'operator', 'long enough'));
    const { token, session } = accounts.createSession(user);
    expect(session.csrfToken).not.toBe(token);
    const stored = db.prepare<[], { token_sha256: string }>('SELECT token_sha256 FROM sessions').all();
    expect(stored.map((r) => r.token_sha256)).not.toContain(token);
    expect(accounts.findSession(token)?.user.name).toBe('pat');
    now = new Date(now.getTime() + sessionLifetimeMs + 1000);
    expect(accounts.findSession(token)).toBeUndefined();
  });

  it('ends open sessions when the password is changed', async () => {
    const accounts = new Accounts(openDatabase(':memory:'));
    const user = assertOk(await accounts.addUser('pat', 'operator', 'long enough'));
    const { token } = accounts.createSession(user);
    assertOk(await accounts.setPassword('pat', 'another long one'));
    expect(accounts.findSession(token)).toBeUndefined();
    expect(await accounts.checkPassword('pat', 'another long one')).toBeDefined();
  });
});

describe('login rate limiter', () => {
  it('locks a key after five failures for the rest of the window', () => {
    let t = 0;
    const limiter = new LoginRateLimiter(5, 60_000, () => t);
    for (let i = 0; i < 4; i++) limiter.recordFailure(['name:pat']);
    expect(limiter.retryAfterMs(['name:pat'])).toBe(0);
    limiter.recordFailure(['name:pat']);
    expect(limiter.retryAfterMs(['name:pat', 'addr:x'])).toBe(60_000);
    t = 30_000;
    expect(limiter.retryAfterMs(['name:pat'])).toBe(30_000);
    t = 60_001;
    expect(limiter.retryAfterMs(['name:pat'])).toBe(0);
    limiter.recordFailure(['name:pat']);
    limiter.recordSuccess(['name:pat']);
    expect(limiter.retryAfterMs(['name:pat'])).toBe(0);
  });
});
