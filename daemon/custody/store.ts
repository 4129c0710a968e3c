import type { Db } from '../core/db/database.ts';
import { DriveStore } from '../drives/store.ts';

/**
 * Custody's own rows: the hand-off claims (handoff_claims), read and written here only. A claim guards a
 * snapshot's hand-off across web requests, the CLI and a crash; the custody record itself is the drives' row.
 */
export class CustodyStore {
  constructor(private readonly db: Db) {}

  /**
   * Takes the claim on a snapshot's hand-off in one immediate transaction; false when it was handed off already
   * (a custody record exists) or another live claim holds it. A claim taken before `staleBefore` is taken over.
   */
  claimHandOff(sequence: number, actor: string, at: string, staleBefore: string): boolean {
    const drives = new DriveStore(this.db);
    return this.db.transaction(() => {
      if (drives.firstHandOffOf(sequence) !== undefined) return false;
      this.db.prepare('DELETE FROM handoff_claims WHERE snapshot_sequence = ? AND claimed_at < ?').run(sequence, staleBefore);
      return this.db.prepare('INSERT OR IGNORE INTO handoff_claims (snapshot_sequence, claimed_at, claimed_by) VALUES (?, ?, ?)').run(sequence, at, actor).changes === 1;
    }).immediate();
  }

  releaseHandOff(sequence: number): void {
    this.db.prepare('DELETE FROM handoff_claims WHERE snapshot_sequence = ?').run(sequence);
  }
}
