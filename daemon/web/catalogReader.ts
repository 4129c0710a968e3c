import { existsSync, statSync } from 'node:fs';
import type { Config } from '../core/config.ts';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import type { Db } from '../core/db/database.ts';
import { readFact } from '../core/applianceFacts.ts';
import type { CatalogObject, CatalogProvider, CatalogSummary, RootCounts, RootStatus, RootStatusProvider } from './deps.ts';
import { formatTime } from './format.ts';

/** Read-only queries over the capture catalog (`file_versions`, daemon/capture/schema.ts). */
export class CatalogReader implements CatalogProvider {
  constructor(
    private readonly db: Db,
    private readonly vaultDir: string,
    private readonly rootLabels: readonly string[],
  ) {}

  summary(since: Date): CatalogSummary {
    const sinceIso = since.toISOString();
    const rows = this.db
      .prepare<[string], { root_label: string; today: number; total: number; bytes: number; last: string | null }>(
        `SELECT root_label,
                sum(CASE WHEN captured_at >= ? THEN 1 ELSE 0 END) AS today,
                count(*) AS total, coalesce(sum(size), 0) AS bytes, max(captured_at) AS last
           FROM file_versions GROUP BY root_label`,
      )
      .all(sinceIso);
    const byLabel = new Map(rows.map((r) => [r.root_label, r]));
    // Configured roots first (even when empty), then any label only the catalog knows.
    const labels = [...this.rootLabels, ...rows.map((r) => r.root_label).filter((l) => !this.rootLabels.includes(l))];
    const perRoot: RootCounts[] = labels.map((label) => {
      const r = byLabel.get(label);
      return { label, filesToday: r?.today ?? 0, filesTotal: r?.total ?? 0, bytesTotal: r?.bytes ?? 0, lastCaptureAt: r?.last ?? null };
    });
    const newest = this.db
      .prepare<[], { root_label: string; rel_path: string; captured_at: string }>('SELECT root_label, rel_path, captured_at FROM file_versions ORDER BY captured_at DESC, id DESC LIMIT 1')
      .get();
    return {
      filesToday: perRoot.reduce((n, r) => n + r.filesToday, 0),
      filesTotal: perRoot.reduce((n, r) => n + r.filesTotal, 0),
      bytesTotal: perRoot.reduce((n, r) => n + r.bytesTotal, 0),
      lastCaptureAt: newest?.captured_at ?? null,
      lastCapturedFile: newest === undefined ? null : `${newest.root_label}:${newest.rel_path}`,
      perRoot,
    };
  }

  capturedSince(afterIso: string | null): { files: number; bytes: number } {
    const row = this.db
      .prepare<[string], { files: number; bytes: number }>('SELECT count(*) AS files, coalesce(sum(size), 0) AS bytes FROM file_versions WHERE captured_at > ?')
      .get(afterIso ?? '');
    return { files: row?.files ?? 0, bytes: row?.bytes ?? 0 };
  }

  object(id: number): CatalogObject | undefined {
    if (!Number.isSafeInteger(id) || id <= 0) return undefined;
    const row = this.db
      .prepare<[number], { id: number; root_label: string; rel_path: string; kind: string; size: number; sha256: string }>(
        'SELECT id, root_label, rel_path, kind, size, sha256 FROM file_versions WHERE id = ?',
      )
      .get(id);
    if (row === undefined || !/^[0-9a-f]{64}$/.test(row.sha256)) return undefined;
    return { id: row.id, rootLabel: row.root_label, relPath: row.rel_path, kind: row.kind, size: row.size, vaultPath: vaultObjectPath(this.vaultDir, row.sha256) };
  }
}

/**
 * Root status: missing when capture has marked it so (appliance_facts key
 * "capture.root-missing:<label>", set by daemon/capture while a share is gone or empty) or when the
 * folder does not exist now; otherwise ok.
 */
export function rootStatusFromCapture(config: Config, db: Db): RootStatusProvider {
  return {
    roots(): RootStatus[] {
      return config.roots.map((r) => {
        const since = readFact(db, `capture.root-missing:${r.label}`);
        let isDir = false;
        try {
          isDir = existsSync(r.path) && statSync(r.path).isDirectory();
        } catch {
          isDir = false;
        }
        if (since === undefined && isDir) return { label: r.label, path: r.path, state: 'ok' };
        return {
          label: r.label,
          path: r.path,
          state: 'missing',
          message: `The export folder ${r.path} cannot be reached${since === undefined ? '' : ` (since ${formatTime(since)})`}. Reconnect the EMS share or drive; capture resumes by itself, nothing captured is lost.`,
        };
      });
    },
  };
}
