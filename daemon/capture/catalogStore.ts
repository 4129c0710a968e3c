import type { FileKind } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import type { Statement } from 'better-sqlite3';
import { SpecialFiles, type SpecialFileRecord } from './specialFiles.ts';

/**
 * Read API over the capture catalog, for snapshot, import, pre-audit and the web UI.
 * Rows are never deleted; a path whose content changed has an older row with status 'changed'.
 */

export type VersionStatus = 'current' | 'changed' | 'deleted';

export interface FileVersion {
  readonly id: number;
  readonly rootLabel: string;
  /** '/'-separated; invalid UTF-8 bytes as %XX and '%' as %25 (see pathCodec.ts). */
  readonly relPath: string;
  /** The exact bytes of the relative path. */
  readonly relPathRaw: Buffer;
  readonly size: number;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  readonly inode: string;
  readonly sha256: string;
  readonly kind: FileKind;
  readonly firstSeenAt: string;
  readonly capturedAt: string;
  readonly status: VersionStatus;
  readonly supersededAt: string | null;
}

export interface FileVersionRow {
  id: number;
  root_label: string;
  rel_path: string;
  rel_path_raw: Buffer;
  size: number;
  mtime_ns: string;
  ctime_ns: string;
  inode: string;
  sha256: string;
  kind: FileKind;
  first_seen_at: string;
  captured_at: string;
  status: VersionStatus;
  superseded_at: string | null;
}

export function toFileVersion(r: FileVersionRow): FileVersion {
  return {
    id: r.id,
    rootLabel: r.root_label,
    relPath: r.rel_path,
    relPathRaw: r.rel_path_raw,
    size: r.size,
    mtimeNs: BigInt(r.mtime_ns),
    ctimeNs: BigInt(r.ctime_ns),
    inode: r.inode,
    sha256: r.sha256,
    kind: r.kind,
    firstSeenAt: r.first_seen_at,
    capturedAt: r.captured_at,
    status: r.status,
    supersededAt: r.superseded_at,
  };
}

export interface VersionFilter {
  readonly rootLabel?: string;
  readonly status?: VersionStatus;
  readonly kind?: FileKind;
  /** Only rows whose rel_path starts with this (e.g. "Tabulator00001/"). */
  readonly relPathPrefix?: string;
  /** Only rows with id greater than this (paging, "what is new since"). */
  readonly afterId?: number;
  readonly limit?: number;
}

export interface RootCounts {
  readonly rootLabel: string;
  readonly current: number;
  readonly changed: number;
  readonly deleted: number;
  readonly currentBytes: number;
}

export interface LastCapture {
  readonly id: number;
  readonly rootLabel: string;
  readonly relPath: string;
  readonly capturedAt: string;
}

/** Where a captured file is and its content, without the rest of its row. */
export interface CatalogObjectBrief {
  readonly id: number;
  readonly rootLabel: string;
  readonly relPath: string;
  readonly sha256: string;
}

export interface SymlinkRecord {
  readonly id: number;
  readonly rootLabel: string;
  readonly relPath: string;
  readonly target: string;
  readonly firstSeenAt: string;
  readonly status: VersionStatus;
}

function filterSql(f: VersionFilter): { where: string; params: (string | number)[] } {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  if (f.rootLabel !== undefined) (clauses.push('root_label = ?'), params.push(f.rootLabel));
  if (f.status !== undefined) (clauses.push('status = ?'), params.push(f.status));
  if (f.kind !== undefined) (clauses.push('kind = ?'), params.push(f.kind));
  if (f.afterId !== undefined) (clauses.push('id > ?'), params.push(f.afterId));
  if (f.relPathPrefix !== undefined && f.relPathPrefix !== '') {
    // Range instead of LIKE so '%' and '_' in names need no escaping and the index is used.
    clauses.push('rel_path >= ? AND rel_path < ?');
    params.push(f.relPathPrefix, f.relPathPrefix + '\u{10FFFF}');
  }
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

export class CatalogStore {
  private versionById: Statement<[number], FileVersionRow> | undefined;

  constructor(private readonly db: Db) {}

  /** Versions matching the filter, oldest first (by id, which follows capture order). */
  listVersions(filter: VersionFilter = {}): FileVersion[] {
    return [...this.iterateVersions(filter)];
  }

  /** Same as listVersions, streamed, for catalogs too big to hold (1M rows). */
  *iterateVersions(filter: VersionFilter = {}): Generator<FileVersion> {
    const { where, params } = filterSql(filter);
    const limit = filter.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
    const stmt = this.db.prepare<(string | number)[], FileVersionRow>(`SELECT * FROM file_versions ${where} ORDER BY id${limit}`);
    for (const row of stmt.iterate(...params)) yield toFileVersion(row);
  }

  getVersion(id: number): FileVersion | undefined {
    // Called once per file by the reports (every sheet of an election): the statement is compiled once.
    this.versionById ??= this.db.prepare<[number], FileVersionRow>('SELECT * FROM file_versions WHERE id = ?');
    const row = this.versionById.get(id);
    return row === undefined ? undefined : toFileVersion(row);
  }

  /** The row for what the export holds now at this path, if captured. */
  currentVersion(rootLabel: string, relPath: string): FileVersion | undefined {
    const row = this.db
      .prepare<[string, string], FileVersionRow>("SELECT * FROM file_versions WHERE root_label = ? AND rel_path = ? AND status = 'current'")
      .get(rootLabel, relPath);
    return row === undefined ? undefined : toFileVersion(row);
  }

  /** Every version ever captured at this path, oldest first. */
  history(rootLabel: string, relPath: string): FileVersion[] {
    return this.db
      .prepare<[string, string], FileVersionRow>('SELECT * FROM file_versions WHERE root_label = ? AND rel_path = ? ORDER BY id')
      .all(rootLabel, relPath)
      .map(toFileVersion);
  }

  /** Versions committed after the version with this id (0: all), in capture order. */
  versionsCapturedAfter(id: number, limit?: number): FileVersion[] {
    return this.listVersions(limit === undefined ? { afterId: id } : { afterId: id, limit });
  }

  countsByRoot(): RootCounts[] {
    return this.db
      .prepare<[], { root_label: string; current: number; changed: number; deleted: number; bytes: number | null }>(
        `SELECT root_label,
                sum(status = 'current') AS current, sum(status = 'changed') AS changed, sum(status = 'deleted') AS deleted,
                sum(CASE WHEN status = 'current' THEN size ELSE 0 END) AS bytes
         FROM file_versions GROUP BY root_label ORDER BY root_label`,
      )
      .all()
      .map((r) => ({ rootLabel: r.root_label, current: r.current, changed: r.changed, deleted: r.deleted, currentBytes: r.bytes ?? 0 }));
  }

  lastCapture(rootLabel?: string): LastCapture | undefined {
    const row =
      rootLabel === undefined
        ? this.db.prepare<[], FileVersionRow>('SELECT * FROM file_versions ORDER BY id DESC LIMIT 1').get()
        : this.db.prepare<[string], FileVersionRow>('SELECT * FROM file_versions WHERE root_label = ? ORDER BY id DESC LIMIT 1').get(rootLabel);
    return row === undefined ? undefined : { id: row.id, rootLabel: row.root_label, relPath: row.rel_path, capturedAt: row.captured_at };
  }

  /** Current ballot images, by root and path (SQLite's byte order), for the pre-audit's sheets. */
  currentBallotImages(): CatalogObjectBrief[] {
    return this.db
      .prepare<[], CatalogObjectBrief>(
        `SELECT id, root_label AS rootLabel, rel_path AS relPath, sha256 FROM file_versions
         WHERE kind = 'ballot-image' AND status = 'current' ORDER BY root_label, rel_path`,
      )
      .all();
  }

  /** Current versions of these kinds, in capture order. */
  currentOfKinds(kinds: readonly FileKind[]): (CatalogObjectBrief & { readonly kind: FileKind })[] {
    const marks = kinds.map(() => '?').join(', ');
    return this.db
      .prepare<string[], CatalogObjectBrief & { kind: FileKind }>(
        `SELECT id, root_label AS rootLabel, rel_path AS relPath, sha256, kind FROM file_versions WHERE status = 'current' AND kind IN (${marks}) ORDER BY id`,
      )
      .all(...kinds);
  }

  /** Current zip files that may hold ballot images (an ES&S export), by root and path. */
  currentZips(): CatalogObjectBrief[] {
    return this.db
      .prepare<[], CatalogObjectBrief>(
        `SELECT id, root_label AS rootLabel, rel_path AS relPath, sha256 FROM file_versions
         WHERE status = 'current' AND kind IN ('other', 'ballot-image') AND lower(rel_path) LIKE '%.zip' ORDER BY root_label, rel_path`,
      )
      .all();
  }

  /** The newest version's id (0 when empty): it grows with every capture, the catalog's "something new" mark. */
  maxVersionId(): number {
    return this.db.prepare<[], { m: number | null }>('SELECT max(id) AS m FROM file_versions').get()?.m ?? 0;
  }

  /**
   * Changes whenever the catalog's current files change: a capture (new id), and also a file that changed or
   * disappeared (superseded, which adds no id). Compare two marks for equality only.
   */
  changeMark(): string {
    const r = this.db
      .prepare<[], { n: number; m: number | null; s: string | null }>(`SELECT count(*) AS n, max(id) AS m, max(superseded_at) AS s FROM file_versions WHERE status = 'current'`)
      .get();
    return JSON.stringify(r ?? null);
  }

  /** Per root: versions captured at or after `sinceIso`, all versions, their bytes, and the latest capture time. */
  capturesPerRoot(sinceIso: string): { rootLabel: string; since: number; total: number; bytes: number; last: string | null }[] {
    return this.db
      .prepare<[string], { rootLabel: string; since: number; total: number; bytes: number; last: string | null }>(
        `SELECT root_label AS rootLabel,
                sum(CASE WHEN captured_at >= ? THEN 1 ELSE 0 END) AS since,
                count(*) AS total, coalesce(sum(size), 0) AS bytes, max(captured_at) AS last
           FROM file_versions GROUP BY root_label`,
      )
      .all(sinceIso);
  }

  /** The version captured last (by capture time, then id). */
  newestCapture(): LastCapture | undefined {
    return this.db
      .prepare<[], LastCapture>('SELECT id, root_label AS rootLabel, rel_path AS relPath, captured_at AS capturedAt FROM file_versions ORDER BY captured_at DESC, id DESC LIMIT 1')
      .get();
  }

  /** How many versions, and their bytes, were captured after `afterIso` ('' for all). */
  capturedAfter(afterIso: string): { files: number; bytes: number } {
    const row = this.db.prepare<[string], { files: number; bytes: number }>('SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM file_versions WHERE captured_at > ?').get(afterIso);
    return { files: row?.files ?? 0, bytes: row?.bytes ?? 0 };
  }

  /** FIFOs, sockets and devices seen in the exports: listed, never captured. */
  listNotCaptured(rootLabel?: string): SpecialFileRecord[] {
    return new SpecialFiles(this.db).list(rootLabel);
  }

  listSymlinks(rootLabel?: string): SymlinkRecord[] {
    const rows =
      rootLabel === undefined
        ? this.db.prepare<[], SymlinkRow>('SELECT * FROM symlinks ORDER BY id').all()
        : this.db.prepare<[string], SymlinkRow>('SELECT * FROM symlinks WHERE root_label = ? ORDER BY id').all(rootLabel);
    return rows.map((r) => ({ id: r.id, rootLabel: r.root_label, relPath: r.rel_path, target: r.target, firstSeenAt: r.first_seen_at, status: r.status }));
  }

  // --- Reads for the layers above (issue #17, one owner per table): each asks here instead of naming file_versions.

  /** Captured versions as a snapshot plans them, oldest first; `skip` leaves out ids (e.g. already in a snapshot) without building their rows. */
  versionsForSnapshot(skip: (id: number) => boolean = () => false): SnapshotVersion[] {
    const out: SnapshotVersion[] = [];
    const stmt = this.db.prepare<[], SnapshotVersion>(
      `SELECT id, root_label AS rootLabel, rel_path AS relPath, size, mtime_ns AS mtimeNs, sha256, kind, captured_at AS capturedAt FROM file_versions ORDER BY id`,
    );
    for (const row of stmt.iterate()) if (!skip(row.id)) out.push(row);
    return out;
  }

  /** Every version still meant (current or deleted, not replaced by a change), by root and path: what an export zips. */
  versionsForExport(): ExportVersion[] {
    return this.db
      .prepare<[], ExportVersion>(
        `SELECT root_label AS rootLabel, rel_path AS relPath, sha256, size, captured_at AS capturedAt FROM file_versions
         WHERE status <> 'changed' ORDER BY root_label, rel_path, id`,
      )
      .all();
  }

  /** How many versions were ever captured, and their bytes. */
  totals(): { files: number; bytes: number } {
    const row = this.db.prepare<[], { files: number; bytes: number }>('SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM file_versions').get();
    return { files: row?.files ?? 0, bytes: row?.bytes ?? 0 };
  }

  /** The current files of one root with their exact path bytes (an intake compares them with the stick). */
  currentRawOfRoot(rootLabel: string): { relPathRaw: Buffer; size: number; sha256: string }[] {
    return this.db
      .prepare<[string], { relPathRaw: Buffer; size: number; sha256: string }>(`SELECT rel_path_raw AS relPathRaw, size, sha256 FROM file_versions WHERE root_label = ? AND status = 'current'`)
      .all(rootLabel);
  }

  /** Ballot images captured after the version `afterId` (any status), for keying images to CVRs. */
  ballotImagesAfter(afterId: number): { id: number; relPath: string }[] {
    return this.db
      .prepare<[number], { id: number; relPath: string }>(`SELECT id, rel_path AS relPath FROM file_versions WHERE kind = 'ballot-image' AND id > ? ORDER BY id`)
      .all(afterId);
  }
}

/** A captured version as the snapshot engine plans it (snapshot/catalog.ts names it CatalogVersion). */
export interface SnapshotVersion {
  readonly id: number;
  readonly rootLabel: string;
  readonly relPath: string;
  readonly size: number;
  readonly mtimeNs: string;
  readonly sha256: string;
  readonly kind: string;
  readonly capturedAt: string;
}

export interface ExportVersion {
  readonly rootLabel: string;
  readonly relPath: string;
  readonly sha256: string;
  readonly size: number;
  readonly capturedAt: string;
}

interface SymlinkRow {
  id: number;
  root_label: string;
  rel_path: string;
  target: string;
  first_seen_at: string;
  status: VersionStatus;
}
