/**
 * Slows password guessing without letting a stranger lock out a chosen operator.
 *
 * An attempt is counted when it is *reserved*, before its password is checked, so parallel
 * requests cannot all slip in under the limit while the (slow) check runs. A right password
 * gives the reservation back.
 *
 * - Per client address: `freeFailures` wrong tries, then each further try waits twice as long
 *   (1 s, 2 s, 4 s, ... up to `addressMaxDelayMs`).
 * - Per user name, from every address together: the same doubling, but capped at
 *   `userMaxDelayMs` (a minute), so guessing from many addresses is slowed and the real operator
 *   waits at most that long.
 * - An address where the user logged in successfully before skips the per-user delay: failures
 *   from elsewhere never keep the operator out at their own screen.
 * Counts are forgotten after `windowMs` without a failure. In memory on purpose: a daemon
 * restart needs physical access to the appliance anyway.
 */
export interface RateLimitPolicy {
  readonly freeFailures: number;
  readonly windowMs: number;
  readonly baseDelayMs: number;
  readonly addressMaxDelayMs: number;
  readonly userMaxDelayMs: number;
  /** How long a successful login keeps its address trusted for that user. */
  readonly trustMs: number;
  /** Bound on remembered names and addresses (guessing random names must not fill memory). */
  readonly maxEntries: number;
}

export const defaultRateLimitPolicy: RateLimitPolicy = {
  freeFailures: 5,
  windowMs: 15 * 60 * 1000,
  baseDelayMs: 1000,
  addressMaxDelayMs: 15 * 60 * 1000,
  userMaxDelayMs: 60 * 1000,
  trustMs: 14 * 60 * 60 * 1000,
  maxEntries: 10_000,
};

interface Counter {
  failures: number;
  lastAt: number;
}

/** A reserved attempt: call `succeeded()` after a right password, `notChecked()` when no password was tried; a wrong one stays counted. */
export interface LoginAttempt {
  succeeded(): void;
  notChecked(): void;
}

export type Reservation = { readonly allowed: true; readonly attempt: LoginAttempt } | { readonly allowed: false; readonly retryAfterMs: number; readonly limitedBy: 'address' | 'user' };

export class LoginRateLimiter {
  private readonly byAddress = new Map<string, Counter>();
  private readonly byUser = new Map<string, Counter>();
  /** "user\naddress" -> time of the last successful login there. */
  private readonly trusted = new Map<string, number>();
  private readonly policy: RateLimitPolicy;

  constructor(
    freeFailures = defaultRateLimitPolicy.freeFailures,
    windowMs = defaultRateLimitPolicy.windowMs,
    private readonly now: () => number = Date.now,
    policy: Partial<RateLimitPolicy> = {},
  ) {
    this.policy = { ...defaultRateLimitPolicy, ...policy, freeFailures, windowMs };
  }

  /** Counts the attempt now, or says how long to wait; synchronous, so parallel requests queue up correctly. */
  reserve(userName: string, address: string): Reservation {
    const user = userName.toLowerCase();
    const now = this.now();
    const addressWait = this.waitMs(this.byAddress, address, this.policy.addressMaxDelayMs, now);
    if (addressWait > 0) return { allowed: false, retryAfterMs: addressWait, limitedBy: 'address' };
    const trustedHere = (this.trusted.get(`${user}\n${address}`) ?? -Infinity) > now - this.policy.trustMs;
    const userWait = trustedHere ? 0 : this.waitMs(this.byUser, user, this.policy.userMaxDelayMs, now);
    if (userWait > 0) return { allowed: false, retryAfterMs: userWait, limitedBy: 'user' };
    const addressCount = this.count(this.byAddress, address, now);
    const userCount = this.count(this.byUser, user, now);
    let settled = false;
    return {
      allowed: true,
      attempt: {
        succeeded: () => {
          if (settled) return;
          settled = true;
          // The right password: give this reservation back, and forget earlier wrong tries here.
          addressCount.failures = 0;
          userCount.failures = 0;
          this.remember(this.trusted, `${user}\n${address}`, this.now());
        },
        notChecked: () => {
          if (settled) return;
          settled = true;
          addressCount.failures = Math.max(0, addressCount.failures - 1);
          userCount.failures = Math.max(0, userCount.failures - 1);
        },
      },
    };
  }

  private waitMs(map: Map<string, Counter>, key: string, maxDelayMs: number, now: number): number {
    const c = this.live(map, key, now);
    if (c === undefined || c.failures < this.policy.freeFailures) return 0;
    const doublings = Math.min(c.failures - this.policy.freeFailures, 30);
    const delay = Math.min(this.policy.baseDelayMs * 2 ** doublings, maxDelayMs);
    return Math.max(0, c.lastAt + delay - now);
  }

  private live(map: Map<string, Counter>, key: string, now: number): Counter | undefined {
    const c = map.get(key);
    if (c !== undefined && now - c.lastAt > this.policy.windowMs) {
      map.delete(key);
      return undefined;
    }
    return c;
  }

  private count(map: Map<string, Counter>, key: string, now: number): Counter {
    const c = this.live(map, key, now) ?? { failures: 0, lastAt: now };
    c.failures += 1;
    c.lastAt = now;
    this.remember(map, key, c);
    return c;
  }

  /** Map insertion order is age order: drop the oldest entries beyond the bound. */
  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    map.delete(key);
    map.set(key, value);
    while (map.size > this.policy.maxEntries) {
      const oldest = map.keys().next();
      if (oldest.done === true) break;
      map.delete(oldest.value);
    }
  }
}
