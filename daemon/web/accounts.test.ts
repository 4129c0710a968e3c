import { describe, expect, it } from 'vitest';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { assertOk } from '../core/result.ts';
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
    const accounts = new Accounts(openStateDatabase(':memory:'));
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
    const db = openStateDatabase(':memory:');
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
    const accounts = new Accounts(openStateDatabase(':memory:'));
    const user = assertOk(await accounts.addUser('pat', 'operator', 'long enough'));
    const { token } = accounts.createSession(user);
    assertOk(await accounts.setPassword('pat', 'another long one'));
    expect(accounts.findSession(token)).toBeUndefined();
    expect(await accounts.checkPassword('pat', 'another long one')).toBeDefined();
  });
});

describe('login rate limiter', () => {
  it('counts an attempt when it is reserved, then doubles the wait per address after five', () => {
    let t = 0;
    const limiter = new LoginRateLimiter(5, 15 * 60_000, () => t);
    for (let i = 0; i < 5; i++) expect(limiter.reserve('pat', 'addr-x').allowed).toBe(true);
    // Five reserved and none settled yet: the sixth waits, even before any password was checked.
    const sixth = limiter.reserve('pat', 'addr-x');
    expect(sixth.allowed ? 0 : sixth.retryAfterMs).toBe(1000);
    t = 1000;
    expect(limiter.reserve('pat', 'addr-x').allowed).toBe(true);
    const seventh = limiter.reserve('pat', 'addr-x');
    expect(seventh.allowed ? 0 : seventh.retryAfterMs).toBe(2000);
  });

  it('caps the per-user wait at a minute and lets a trusted address past it', () => {
    let t = 0;
    const limiter = new LoginRateLimiter(5, 15 * 60_000, () => t);
    const first = limiter.reserve('pat', 'kiosk');
    if (first.allowed) first.attempt.succeeded();
    // Wrong passwords for pat from many addresses (one each, so no address is slowed).
    for (let i = 0; i < 30; ) {
      const r = limiter.reserve('pat', `lan-${i}`);
      if (r.allowed) i++;
      else t += r.retryAfterMs;
    }
    const stranger = limiter.reserve('pat', 'lan-new');
    expect(stranger.allowed ? 0 : stranger.retryAfterMs).toBeLessThanOrEqual(60_000);
    expect(stranger.allowed ? 0 : stranger.limitedBy).toBe('user');
    expect(limiter.reserve('pat', 'kiosk').allowed).toBe(true);
  });

  it('gives the reservation back on the right password and forgets after the window', () => {
    let t = 0;
    const limiter = new LoginRateLimiter(5, 60_000, () => t);
    for (let i = 0; i < 4; i++) limiter.reserve('pat', 'x');
    const right = limiter.reserve('pat', 'x');
    if (right.allowed) right.attempt.succeeded();
    for (let i = 0; i < 4; i++) expect(limiter.reserve('pat', 'x').allowed).toBe(true);
    expect(limiter.reserve('pat', 'x').allowed).toBe(true);
    expect(limiter.reserve('pat', 'x').allowed).toBe(false);
    t = 60_001 + 1000;
    expect(limiter.reserve('pat', 'x').allowed).toBe(true);
  });
});
