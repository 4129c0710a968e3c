import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../core/db/database.ts';
import type { Session, User } from './users.ts';
import { isDiskFull } from './diskFull.ts';
import { WebStore, type SessionRow } from './store.ts';

/** Session lifetime: one long election-night shift; after that, log in again. */
export const sessionLifetimeMs = 14 * 60 * 60 * 1000;
/** A session not used for this long ends (a kiosk left logged in); web.sessionIdleMinutes overrides it. */
export const defaultSessionIdleMs = 30 * 60 * 1000;
/** last_seen_at is written at most this often per session: a page's requests do not each write. */
const touchEveryMs = 30 * 1000;

/** What a session cookie stands for now: a live session, one that just ended for lack of use, or nothing. */
export type SessionState = { readonly kind: 'active'; readonly session: Session } | { readonly kind: 'idle-ended'; readonly user: User } | { readonly kind: 'none' };

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Login sessions in the `sessions` table (only a SHA-256 of the cookie token is stored). When the
 * disk is full and a row cannot be written, the session is held in memory instead, so an operator
 * can still log in and read what is wrong; such sessions end when the daemon restarts.
 */
export class SessionStore {
  private readonly inMemory = new Map<string, SessionRow>();
  /** Sessions logged out or idled out while the disk was too full to delete their rows. */
  private readonly ended = new Set<string>();
  private readonly store: WebStore;

  constructor(
    db: Db,
    private readonly now: () => Date,
    private readonly idleMs: number,
  ) {
    this.store = new WebStore(db);
  }

  create(user: User): { token: string; session: Session } {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = this.now();
    const row: SessionRow = { user_id: user.id, csrf_token: csrfToken, expires_at: new Date(now.getTime() + sessionLifetimeMs).toISOString(), last_seen_at: now.toISOString() };
    this.bestEffort(() => this.store.insertSession(sha256(token), row, now.toISOString()), () => this.inMemory.set(sha256(token), row));
    return { token, session: { user, csrfToken, expiresAt: row.expires_at } };
  }

  /**
   * The session for a cookie token. A session unused for the idle time is deleted and reported
   * once as `idle-ended`. `touch` (default) counts this request as use; the live-update stream
   * passes false, so an open page alone does not keep a session alive.
   */
  state(token: string, options: { touch?: boolean } = {}): SessionState {
    if (token.length === 0 || token.length > 200) return { kind: 'none' };
    const hash = sha256(token);
    if (this.ended.has(hash)) return { kind: 'none' };
    // In memory first: it holds sessions and last-use times the full disk would not take.
    const row = this.inMemory.get(hash) ?? this.store.session(hash);
    if (row === undefined) return { kind: 'none' };
    const owner = this.store.userById(row.user_id);
    const now = this.now();
    if (owner === undefined || owner.disabled_at !== null || row.expires_at <= now.toISOString()) return { kind: 'none' };
    const user: User = { id: owner.id, name: owner.name, role: owner.role };
    const idleFor = now.getTime() - Date.parse(row.last_seen_at);
    if (idleFor >= this.idleMs) {
      this.end(token);
      return { kind: 'idle-ended', user };
    }
    if (options.touch !== false && idleFor >= touchEveryMs) {
      row.last_seen_at = now.toISOString(); // the in-memory row, or a copy of the stored one
      this.bestEffort(() => this.store.touchSession(hash, row.last_seen_at), () => this.inMemory.set(hash, row));
    }
    return { kind: 'active', session: { user, csrfToken: row.csrf_token, expiresAt: row.expires_at } };
  }

  end(token: string): void {
    const hash = sha256(token);
    this.inMemory.delete(hash);
    this.bestEffort(() => this.store.deleteSession(hash), () => this.ended.add(hash));
  }

  /** Runs a write; on a full disk runs `instead` (keeps the change in memory); other errors are bugs. */
  private bestEffort(write: () => unknown, instead: () => unknown): void {
    try {
      write();
    } catch (e) {
      if (!isDiskFull(e)) throw e;
      instead();
    }
  }
}
