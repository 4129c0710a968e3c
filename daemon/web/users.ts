/** Who may use the web UI and what a session carries (accounts.ts stores them, sessions.ts issues sessions). */

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
