import type { FileKind } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { readFact, writeFact } from '../core/applianceFacts.ts';
import { hasOpenAlert } from '../core/state/alerts.ts';
import type { Statement } from 'better-sqlite3';

/** The catalog's write side; only the capture engine uses it. */

const DIR_EXPR = "rtrim(rel_path, replace(rel_path, '/', ''))";
/** A row's stat as one text, the same as statKey() gives for a file's lstat. */
const STAT_KEY_SQL = "size || ' ' || mtime_ns || ' ' || ctime_ns || ' ' || inode";

/** A file's stat as one text: equal to its catalog row's STAT_KEY_SQL exactly when rowMatches() holds. */
export function statKey(s: { readonly size: bigint | number; readonly mtimeNs: bigint; readonly ctimeNs: bigint; readonly ino: bigint }): string {
  return `${s.size} ${s.mtimeNs} ${s.ctimeNs} ${s.ino}`;
}

/** The size a stat key records (its first field). */
export function statKeySize(key: string): number {
  return Number(key.slice(0, key.indexOf(' ')));
}

/** What a rescan compares a file's stat with: read from the covering index alone (schema step 4). */
export interface CatalogRowStat {
  id: number;
  rel_path: string;
  size: number;
  mtime_ns: string;
  ctime_ns: string;
  inode: string;
}

export interface CatalogRowBrief extends CatalogRowStat {
  sha256: string;
}

export interface SymlinkRowBrief {
  id: number;
  rel_path: string;
  target: string;
}

export interface NewVersion {
  readonly rootLabel: string;
  readonly relPath: string;
  readonly relPathRaw: Buffer;
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly inode: bigint;
  readonly sha256: string;
  readonly kind: FileKind;
  readonly firstSeenAt: string;
}

export type RecordOutcome =
  | { readonly kind: 'new'; readonly id: number }
  | { readonly kind: 'same-content'; readonly id: number }
  | { readonly kind: 'changed'; readonly id: number; readonly previous: CatalogRowBrief };

export class CatalogWriter {
  private readonly rowsInDirStmt: Statement<[string, string], CatalogRowBrief>;
  private readonly statKeysInDirStmt: Statement<[string, string], [string, string]>;
  // Asked once per folder by every scan: prepared once (a prepare per folder was ~4% of a 10k-file rescan).
  private readonly symlinksInDirStmt: Statement<[string, string], SymlinkRowBrief>;
  private readonly hasRowsUnderStmt: Statement<[string, string, string], unknown>;
  private readonly currentStmt: Statement<[string, string], CatalogRowBrief>;
  private readonly insertStmt: Statement<unknown[]>;
  private readonly updateStatStmt: Statement<unknown[]>;
  private readonly supersedeStmt: Statement<unknown[]>;

  constructor(private readonly db: Db) {
    const brief = 'id, rel_path, size, mtime_ns, ctime_ns, inode, sha256';
    this.rowsInDirStmt = db.prepare(`SELECT ${brief} FROM file_versions WHERE root_label = ? AND ${DIR_EXPR} = ? AND status = 'current'`);
    this.statKeysInDirStmt = db
      .prepare<[string, string], [string, string]>(`SELECT rel_path, ${STAT_KEY_SQL} FROM file_versions WHERE root_label = ? AND ${DIR_EXPR} = ? AND status = 'current'`)
      .raw(true);
    this.symlinksInDirStmt = db.prepare<[string, string], SymlinkRowBrief>(`SELECT id, rel_path, target FROM symlinks WHERE root_label = ? AND ${DIR_EXPR} = ? AND status = 'current'`);
    this.hasRowsUnderStmt = db.prepare<[string, string, string], unknown>("SELECT 1 FROM file_versions WHERE root_label = ? AND rel_path >= ? AND rel_path < ? AND status = 'current' LIMIT 1");
    this.currentStmt = db.prepare(`SELECT ${brief} FROM file_versions WHERE root_label = ? AND rel_path = ? AND status = 'current'`);
    this.insertStmt = db.prepare(
      `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.updateStatStmt = db.prepare('UPDATE file_versions SET size = ?, mtime_ns = ?, ctime_ns = ?, inode = ? WHERE id = ?');
    this.supersedeStmt = db.prepare("UPDATE file_versions SET status = ?, superseded_at = ? WHERE id = ? AND status = 'current'");
  }

  /** Current rows of one directory (dirKey: '' for the root, else 'a/b/'). */
  rowsInDir(rootLabel: string, dirKey: string): Map<string, CatalogRowBrief> {
    const map = new Map<string, CatalogRowBrief>();
    for (const r of this.rowsInDirStmt.all(rootLabel, dirKey)) map.set(r.rel_path, r);
    return map;
  }

  /**
   * What a rescan compares for every file, answered from the index alone: rel_path → its stat
   * key (statKey below). One string a row, as plain arrays: no object per row on the hot path.
   */
  statKeysInDir(rootLabel: string, dirKey: string): Map<string, string> {
    return new Map(this.statKeysInDirStmt.all(rootLabel, dirKey));
  }

  /** The catalog's database file (empty for an in-memory database). */
  databaseFile(): string {
    return this.db.memory ? '' : this.db.name;
  }

  current(rootLabel: string, relPath: string): CatalogRowBrief | undefined {
    return this.currentStmt.get(rootLabel, relPath);
  }

  /** Directory keys that hold current rows (all of a root, or those below `underDirKey`). */
  dirKeys(rootLabel: string, underDirKey?: string): string[] {
    if (underDirKey === undefined || underDirKey === '') {
      return this.db
        .prepare<[string], { d: string }>(`SELECT DISTINCT ${DIR_EXPR} AS d FROM file_versions WHERE root_label = ? AND status = 'current'`)
        .all(rootLabel)
        .map((r) => r.d);
    }
    return this.db
      .prepare<[string, string, string], { d: string }>(
        `SELECT DISTINCT ${DIR_EXPR} AS d FROM file_versions WHERE root_label = ? AND ${DIR_EXPR} > ? AND ${DIR_EXPR} < ? AND status = 'current'`,
      )
      .all(rootLabel, underDirKey, `${underDirKey}\u{10FFFF}`)
      .map((r) => r.d);
  }

  /** Any current row at or below this dir key ('a/b/')? */
  hasRowsUnder(rootLabel: string, dirKey: string): boolean {
    return this.hasRowsUnderStmt.get(rootLabel, dirKey, `${dirKey}\u{10FFFF}`) !== undefined;
  }

  hasCurrentRows(rootLabel: string): boolean {
    return this.db.prepare("SELECT 1 FROM file_versions WHERE root_label = ? AND status = 'current' LIMIT 1").get(rootLabel) !== undefined;
  }

  /**
   * Records a captured version. Same content as the current row: only its stat is refreshed
   * (a touch or chmod is not a new version). Different content: the old row becomes 'changed'.
   */
  record(v: NewVersion, capturedAt: string): RecordOutcome {
    const previous = this.current(v.rootLabel, v.relPath);
    if (previous !== undefined && previous.sha256 === v.sha256) {
      this.updateStatStmt.run(v.size, v.mtimeNs.toString(), v.ctimeNs.toString(), v.inode.toString(), previous.id);
      return { kind: 'same-content', id: previous.id };
    }
    if (previous !== undefined) this.supersedeStmt.run('changed', capturedAt, previous.id);
    const info = this.insertStmt.run(
      v.rootLabel,
      v.relPath,
      v.relPathRaw,
      v.size,
      v.mtimeNs.toString(),
      v.ctimeNs.toString(),
      v.inode.toString(),
      v.sha256,
      v.kind,
      v.firstSeenAt,
      capturedAt,
    );
    const id = Number(info.lastInsertRowid);
    return previous === undefined ? { kind: 'new', id } : { kind: 'changed', id, previous };
  }

  /** When the version with this id was captured (undefined: no such row). */
  capturedAt(id: number): string | undefined {
    return this.db.prepare<[number], { captured_at: string }>('SELECT captured_at FROM file_versions WHERE id = ?').get(id)?.captured_at;
  }

  markDeleted(id: number, at: string): boolean {
    return this.supersedeStmt.run('deleted', at, id).changes === 1;
  }

  symlinksInDir(rootLabel: string, dirKey: string): Map<string, SymlinkRowBrief> {
    const map = new Map<string, SymlinkRowBrief>();
    for (const r of this.symlinksInDirStmt.all(rootLabel, dirKey)) map.set(r.rel_path, r);
    return map;
  }

  symlinksUnder(rootLabel: string, dirKey: string): SymlinkRowBrief[] {
    return this.db
      .prepare<[string, string, string], SymlinkRowBrief>(
        "SELECT id, rel_path, target FROM symlinks WHERE root_label = ? AND rel_path >= ? AND rel_path < ? AND status = 'current'",
      )
      .all(rootLabel, dirKey, `${dirKey}\u{10FFFF}`);
  }

  /** Returns true when this symlink (path and target) was not already current. */
  recordSymlink(rootLabel: string, relPath: string, target: string, at: string): boolean {
    const existing = this.db
      .prepare<[string, string, string], { id: number; status: string }>('SELECT id, status FROM symlinks WHERE root_label = ? AND rel_path = ? AND target = ?')
      .get(rootLabel, relPath, target);
    if (existing?.status === 'current') return false;
    this.db
      .prepare("UPDATE symlinks SET status = 'changed' WHERE root_label = ? AND rel_path = ? AND status = 'current' AND target <> ?")
      .run(rootLabel, relPath, target);
    if (existing !== undefined) this.db.prepare("UPDATE symlinks SET status = 'current' WHERE id = ?").run(existing.id);
    else this.db.prepare('INSERT INTO symlinks (root_label, rel_path, target, first_seen_at) VALUES (?, ?, ?, ?)').run(rootLabel, relPath, target, at);
    return true;
  }

  markSymlinkDeleted(id: number): void {
    this.db.prepare("UPDATE symlinks SET status = 'deleted' WHERE id = ?").run(id);
  }

  getFact(key: string): string | undefined {
    return readFact(this.db, key);
  }

  setFact(key: string, value: string | undefined): void {
    writeFact(this.db, key, value);
  }

  /** True when an unacknowledged alert with this code and subject exists (no repeats per scan). */
  hasOpenAlert(code: string, subject: string): boolean {
    return hasOpenAlert(this.db, code, subject);
  }
}
