import type { Db } from '../core/db/database.ts';
import { err, ok, operatorError, type OperatorError, type Result } from '../core/result.ts';

/** Why a login fails; the web answers each with its own status. */
export type LoginErrorCode = 'login-wrong' | 'login-busy' | 'user-disabled';
/** Why adding a user, setting a password or switching a user off or on is refused. */
export type AccountErrorCode = 'user-name-invalid' | 'password-weak' | 'user-exists' | 'user-unknown';
import type { Role, Session, User } from './users.ts';
import { defaultSessionIdleMs, SessionStore, type SessionState } from './sessions.ts';
import { checkPasswordHash, dummyPasswordHash, hashPassword, passwordProblem } from './passwords.ts';
import { WebStore } from './store.ts';

// Who a user is and what a session carries live in users.ts, which sessions.ts also needs.
export { roles, type Role, type Session, type User } from './users.ts';

export interface UserListing extends User {
  readonly disabled: boolean;
}

const userNamePattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const userDisabled = operatorError('user-disabled', 'This account has been switched off.', 'Ask a supervisor; they can switch it back on at the appliance with: ballotsafe user enable <name>');

export const loginWrong = operatorError(
  'login-wrong',
  'That name and password do not match.',
  'Check both (capital letters count) and try again. After 5 wrong tries each further try has to wait longer.',
);

export { sessionLifetimeMs } from './sessions.ts';
export type { SessionState };

/** Local accounts (users table) and login sessions (sessions table, daemon/web/sessions.ts). */
export class Accounts {
  private readonly sessions: SessionStore;
  private readonly store: WebStore;

  constructor(
    db: Db,
    private readonly now: () => Date = () => new Date(),
    options: { idleMs?: number } = {},
  ) {
    this.store = new WebStore(db);
    this.sessions = new SessionStore(db, now, options.idleMs ?? defaultSessionIdleMs);
  }

  async addUser(name: string, role: Role, password: string): Promise<Result<User, OperatorError<AccountErrorCode>>> {
    if (!userNamePattern.test(name)) {
      return err(operatorError('user-name-invalid', `"${name}" is not a valid user name.`, 'Use letters, digits, dot, dash or underscore (up to 64), starting with a letter or digit.'));
    }
    const problem = passwordProblem(password);
    if (problem !== undefined) return err(operatorError('password-weak', problem, 'Choose a longer password and run the command again.'));
    if (this.findUser(name) !== undefined) {
      return err(operatorError('user-exists', `A user named "${name}" already exists.`, `To set a new password run: ballotsafe user passwd ${name}`));
    }
    const hash = await hashPassword(password);
    const id = this.store.insertUser(name, role, hash, this.now().toISOString());
    return ok({ id, name, role });
  }

  /** Sets a new password and ends the user's open sessions. */
  async setPassword(name: string, password: string): Promise<Result<User, OperatorError<AccountErrorCode>>> {
    const user = this.findUser(name);
    if (user === undefined) return err(operatorError('user-unknown', `There is no user named "${name}".`, `Create it with: ballotsafe user add ${name} --role operator|observer`));
    const problem = passwordProblem(password);
    if (problem !== undefined) return err(operatorError('password-weak', problem, 'Choose a longer password and run the command again.'));
    const hash = await hashPassword(password);
    this.store.setPasswordHash(user.id, hash, this.now().toISOString());
    return ok(user);
  }

  findUser(name: string): User | undefined {
    const row = this.store.userByName(name);
    return row === undefined ? undefined : { id: row.id, name: row.name, role: row.role };
  }

  listUsers(): UserListing[] {
    return this.store
      .usersByName()
      .map((u) => ({ id: u.id, name: u.name, role: u.role, disabled: u.disabled_at !== null }));
  }

  /** Switches a user off (no login, open sessions end) or back on. */
  setDisabled(name: string, disabled: boolean): Result<User, OperatorError<'user-unknown'>> {
    const user = this.findUser(name);
    if (user === undefined) return err(operatorError('user-unknown', `There is no user named "${name}".`, 'Check the name with: ballotsafe user list'));
    this.store.setDisabledAt(user.id, disabled ? this.now().toISOString() : null);
    return ok(user);
  }

  /** Checks name and password; the same work is done for unknown names (no timing oracle). */
  async checkPassword(name: string, password: string): Promise<User | undefined> {
    const r = await this.login(name, password);
    return r.ok ? r.value : undefined;
  }

  /** The user for a right name and password; `login-wrong`, or `login-busy` when too many checks are queued. */
  async login(name: string, password: string): Promise<Result<User, OperatorError<LoginErrorCode>>> {
    const row = this.store.userByName(name);
    const matches = await checkPasswordHash(password, row?.password_hash ?? (await dummyPasswordHash()));
    if (!matches.ok) return matches;
    if (row === undefined || !matches.value) return err(loginWrong);
    if (row.disabled_at !== null) return err(userDisabled); // said only to someone who knows the password
    return ok({ id: row.id, name: row.name, role: row.role });
  }

  /** Starts a session; returns the cookie token (only its hash is stored). */
  createSession(user: User): { token: string; session: Session } {
    return this.sessions.create(user);
  }

  findSession(token: string, options: { touch?: boolean } = {}): Session | undefined {
    const state = this.sessions.state(token, options);
    return state.kind === 'active' ? state.session : undefined;
  }

  /** The session for a cookie token, or that it just ended for lack of use (see SessionStore.state). */
  sessionState(token: string, options: { touch?: boolean } = {}): SessionState {
    return this.sessions.state(token, options);
  }

  endSession(token: string): void {
    this.sessions.end(token);
  }
}
