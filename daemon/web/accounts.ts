import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../db/database.ts';
import { err, ok, operatorError, type Result } from '../result.ts';
import { checkPasswordHash, dummyPasswordHash, hashPassword, passwordProblem } from './passwords.ts';

export const roles = ['operator', 'observer'] as const;
/** operator: may act (snapshot, acknowledge, eject); observer: read-only (auditors, watchers). */
export type Role = (typeof roles)[number];

export interface User {
  readonly id: number;
  readonly name: string;
  readonly role: Role;
}

export interface Session {
  readonly user: User;
  readonly csrfToken: string;
  readonly expiresAt: string;
}

interface UserRow {
  id: number;
  name: string;
  role: Role;
  password_hash: string;
  disabled_at: string | null;
}

export interface UserListing extends User {
  readonly disabled: boolean;
}

/** What a session cookie stands for now: a live session, one that just ended for lack of use, or nothing. */
export type SessionState = { readonly kind: 'active'; readonly session: Session } | { readonly kind: 'idle-ended'; readonly user: User } | { readonly kind: 'none' };

const userNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Session lifetime: one long election-night shift; after that, log in again. */
export const sessionLifetimeMs = 14 * 60 * 60 * 1000;

/** A session not used for this long ends (a kiosk left logged in); web.sessionIdleMinutes overrides it. */
export const defaultSessionIdleMs = 30 * 60 * 1000;
/** last_seen_at is written at most this often per session: a page's requests do not each write. */
const touchEveryMs = 30 * 1000;

export const userDisabled = operatorError('user-disabled', 'This account has been switched off.', 'Ask a supervisor; they can switch it back on at the appliance with: ballotsafe user enable <name>');

export const loginWrong = operatorError(
  'login-wrong',
  'That name and password do not match.',
  'Check both (capital letters count) and try again. After 5 wrong tries each further try has to wait longer.',
);

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Local accounts (users table) and login sessions (sessions table). */
export class Accounts {
  private readonly idleMs: number;

  constructor(
    private readonly db: Db,
    private readonly now: () => Date = () => new Date(),
    options: { idleMs?: number } = {},
  ) {
    this.idleMs = options.idleMs ?? defaultSessionIdleMs;
  }

  async addUser(name: string, role: Role, password: string): Promise<Result<User>> {
    if (!userNamePattern.test(name)) {
      return err(operatorError('user-name-invalid', `"${name}" is not a valid user name.`, 'Use letters, digits, dot, dash or underscore (up to 64), starting with a letter or digit.'));
    }
    const problem = passwordProblem(password);
    if (problem !== undefined) return err(operatorError('password-weak', problem, 'Choose a longer password and run the command again.'));
    if (this.findUser(name) !== undefined) {
      return err(operatorError('user-exists', `A user named "${name}" already exists.`, `To set a new password run: ballotsafe user passwd ${name}`));
    }
    const hash = await hashPassword(password);
    const at = this.now().toISOString();
    const info = this.db
      .prepare('INSERT INTO users (name, role, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)')
      .run(name, role, hash, at, at);
    return ok({ id: Number(info.lastInsertRowid), name, role });
  }

  /** Sets a new password and ends the user's open sessions. */
  async setPassword(name: string, password: string): Promise<Result<User>> {
    const user = this.findUser(name);
    if (user === undefined) return err(operatorError('user-unknown', `There is no user named "${name}".`, `Create it with: ballotsafe user add ${name} --role operator|observer`));
    const problem = passwordProblem(password);
    if (problem !== undefined) return err(operatorError('password-weak', problem, 'Choose a longer password and run the command again.'));
    const hash = await hashPassword(password);
    this.db.transaction(() => {
      this.db.prepare('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?').run(hash, this.now().toISOString(), user.id);
      this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(user.id);
    })();
    return ok(user);
  }

  findUser(name: string): User | undefined {
    const row = this.db.prepare<[string], UserRow>('SELECT id, name, role, password_hash FROM users WHERE name = ?').get(name);
    return row === undefined ? undefined : { id: row.id, name: row.name, role: row.role };
  }

  listUsers(): UserListing[] {
    return this.db
      .prepare<[], { id: number; name: string; role: Role; disabled_at: string | null }>('SELECT id, name, role, disabled_at FROM users ORDER BY name')
      .all()
      .map((u) => ({ id: u.id, name: u.name, role: u.role, disabled: u.disabled_at !== null }));
  }

  /** Switches a user off (no login, open sessions end) or back on. */
  setDisabled(name: string, disabled: boolean): Result<User> {
    const user = this.findUser(name);
    if (user === undefined) return err(operatorError('user-unknown', `There is no user named "${name}".`, 'Check the name with: ballotsafe user list'));
    this.db.transaction(() => {
      this.db.prepare('UPDATE users SET disabled_at = ? WHERE id = ?').run(disabled ? this.now().toISOString() : null, user.id);
      if (disabled) this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(user.id);
    })();
    return ok(user);
  }

  /** Checks name and password; the same work is done for unknown names (no timing oracle). */
  async checkPassword(name: string, password: string): Promise<User | undefined> {
    const r = await this.login(name, password);
    return r.ok ? r.value : undefined;
  }

  /** The user for a right name and password; `login-wrong`, or `login-busy` when too many checks are queued. */
  async login(name: string, password: string): Promise<Result<User>> {
    const row = this.db.prepare<[string], UserRow>('SELECT id, name, role, password_hash, disabled_at FROM users WHERE name = ?').get(name);
    const matches = await checkPasswordHash(password, row?.password_hash ?? (await dummyPasswordHash()));
    if (!matches.ok) return matches;
    if (row === undefined || !matches.value) return err(loginWrong);
    if (row.disabled_at !== null) return err(userDisabled); // said only to someone who knows the password
    return ok({ id: row.id, name: row.name, role: row.role });
  }

  /** Starts a session; returns the cookie token (only its hash is stored). */
  createSession(user: User): { token: string; session: Session } {
    const token = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(32).toString('base64url');
    const now = this.now();
    const expiresAt = new Date(now.getTime() + sessionLifetimeMs).toISOString();
    this.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(now.toISOString());
    this.db
      .prepare('INSERT INTO sessions (token_sha256, user_id, csrf_token, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(sha256(token), user.id, csrfToken, now.toISOString(), expiresAt, now.toISOString());
    return { token, session: { user, csrfToken, expiresAt } };
  }

  findSession(token: string, options: { touch?: boolean } = {}): Session | undefined {
    const state = this.sessionState(token, options);
    return state.kind === 'active' ? state.session : undefined;
  }

  /**
   * The session for a cookie token. A session unused for the idle time is deleted and reported
   * once as `idle-ended`. `touch` (default) counts this request as use; the live-update stream
   * passes false, so an open page alone does not keep a session alive.
   */
  sessionState(token: string, options: { touch?: boolean } = {}): SessionState {
    if (token.length === 0 || token.length > 200) return { kind: 'none' };
    const hash = sha256(token);
    const row = this.db
      .prepare<[string], { id: number; name: string; role: Role; disabled_at: string | null; csrf_token: string; expires_at: string; last_seen_at: string }>(
        `SELECT u.id, u.name, u.role, u.disabled_at, s.csrf_token, s.expires_at, s.last_seen_at
           FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_sha256 = ?`,
      )
      .get(hash);
    const now = this.now();
    if (row === undefined || row.disabled_at !== null || row.expires_at <= now.toISOString()) return { kind: 'none' };
    const user: User = { id: row.id, name: row.name, role: row.role };
    const idleFor = now.getTime() - Date.parse(row.last_seen_at);
    if (idleFor >= this.idleMs) {
      this.db.prepare('DELETE FROM sessions WHERE token_sha256 = ?').run(hash);
      return { kind: 'idle-ended', user };
    }
    if (options.touch !== false && idleFor >= touchEveryMs) {
      this.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE token_sha256 = ?').run(now.toISOString(), hash);
    }
    return { kind: 'active', session: { user, csrfToken: row.csrf_token, expiresAt: row.expires_at } };
  }

  endSession(token: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_sha256 = ?').run(sha256(token));
  }
}
