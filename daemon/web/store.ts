import type { Db } from '../core/db/database.ts';
import type { Role } from './users.ts';

/**
 * The web's rows: local accounts (users) and login sessions (sessions), read and written here only.
 * Accounts (accounts.ts) and SessionStore (sessions.ts) hold the rules; this file holds the SQL.
 */

export interface UserRow {
  id: number;
  name: string;
  role: Role;
  password_hash: string;
  disabled_at: string | null;
}

export interface SessionRow {
  user_id: number;
  csrf_token: string;
  expires_at: string;
  last_seen_at: string;
}

export class WebStore {
  constructor(private readonly db: Db) {}

  insertUser(name: string, role: Role, passwordHash: string, at: string): number {
    const info = this.db
      .prepare('INSERT INTO users (name, role, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)')
      .run(name, role, passwordHash, at, at);
    return Number(info.lastInsertRowid);
  }

  userByName(name: string): UserRow | undefined {
    return this.db.prepare<[string], UserRow>('SELECT id, name, role, password_hash, disabled_at FROM users WHERE name = ?').get(name);
  }

  userById(id: number): Omit<UserRow, 'password_hash'> | undefined {
    return this.db.prepare<[number], Omit<UserRow, 'password_hash'>>('SELECT id, name, role, disabled_at FROM users WHERE id = ?').get(id);
  }

  usersByName(): Omit<UserRow, 'password_hash'>[] {
    return this.db.prepare<[], Omit<UserRow, 'password_hash'>>('SELECT id, name, role, disabled_at FROM users ORDER BY name').all();
  }

  /** A new password ends the user's open sessions (one transaction). */
  setPasswordHash(userId: number, passwordHash: string, at: string): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?').run(passwordHash, at, userId);
      this.endSessionsOf(userId);
    })();
  }

  /** Switching a user off ends their open sessions (one transaction); `at` null switches it back on. */
  setDisabledAt(userId: number, at: string | null): void {
    this.db.transaction(() => {
      this.db.prepare('UPDATE users SET disabled_at = ? WHERE id = ?').run(at, userId);
      if (at !== null) this.endSessionsOf(userId);
    })();
  }

  /** Stores a new session (by the hash of its token) and drops the expired ones. */
  insertSession(tokenSha256: string, row: SessionRow, createdAt: string): void {
    this.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(createdAt);
    this.db
      .prepare('INSERT INTO sessions (token_sha256, user_id, csrf_token, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(tokenSha256, row.user_id, row.csrf_token, createdAt, row.expires_at, row.last_seen_at);
  }

  session(tokenSha256: string): SessionRow | undefined {
    return this.db.prepare<[string], SessionRow>('SELECT user_id, csrf_token, expires_at, last_seen_at FROM sessions WHERE token_sha256 = ?').get(tokenSha256);
  }

  touchSession(tokenSha256: string, lastSeenAt: string): void {
    this.db.prepare('UPDATE sessions SET last_seen_at = ? WHERE token_sha256 = ?').run(lastSeenAt, tokenSha256);
  }

  deleteSession(tokenSha256: string): void {
    this.db.prepare('DELETE FROM sessions WHERE token_sha256 = ?').run(tokenSha256);
  }

  private endSessionsOf(userId: number): void {
    this.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(userId);
  }
}
