import { existsSync, statSync } from 'node:fs';
import type { Config } from '../core/config.ts';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import type { Db } from '../core/db/database.ts';
import { readFact } from '../core/applianceFacts.ts';
import { CatalogStore } from '../capture/catalogStore.ts';
import type { CatalogObject, CatalogProvider, CatalogSummary, RootCounts, RootStatus, RootStatusProvider } from './deps.ts';
import { formatTime } from './format.ts';

/** The web UI's view of the capture catalog, read through capture's CatalogStore. */
export class CatalogReader implements CatalogProvider {
  private readonly catalog: CatalogStore;

  constructor(
    db: Db,
    private readonly vaultDir: string,
    private readonly rootLabels: readonly string[],
  ) {
    this.catalog = new CatalogStore(db);
  }

  summary(since: Date): CatalogSummary {
    const sinceIso = since.toISOString();
    const rows = this.catalog.capturesPerRoot(sinceIso).map((r) => ({ root_label: r.rootLabel, today: r.since, total: r.total, bytes: r.bytes, last: r.last }));
    const byLabel = new Map(rows.map((r) => [r.root_label, r]));
    // Configured roots first (even when empty), then any label only the catalog knows.
    const labels = [...this.rootLabels, ...rows.map((r) => r.root_label).filter((l) => !this.rootLabels.includes(l))];
    const perRoot: RootCounts[] = labels.map((label) => {
      const r = byLabel.get(label);
      return { label, filesToday: r?.today ?? 0, filesTotal: r?.total ?? 0, bytesTotal: r?.bytes ?? 0, lastCaptureAt: r?.last ?? null };
    });
    const newest = this.catalog.newestCapture();
    return {
      filesToday: perRoot.reduce((n, r) => n + r.filesToday, 0),
      filesTotal: perRoot.reduce((n, r) => n + r.filesTotal, 0),
      bytesTotal: perRoot.reduce((n, r) => n + r.bytesTotal, 0),
      lastCaptureAt: newest?.capturedAt ?? null,
      lastCapturedFile: newest === undefined ? null : `${newest.rootLabel}:${newest.relPath}`,
      perRoot,
    };
  }

  capturedSince(afterIso: string | null): { files: number; bytes: number } {
    return this.catalog.capturedAfter(afterIso ?? '');
  }

  object(id: number): CatalogObject | undefined {
    if (!Number.isSafeInteger(id) || id <= 0) return undefined;
    const row = this.catalog.getVersion(id);
    if (row === undefined || !/^[0-9a-f]{64}$/.test(row.sha256)) return undefined;
    return { id: row.id, rootLabel: row.rootLabel, relPath: row.relPath, kind: row.kind, size: row.size, vaultPath: vaultObjectPath(this.vaultDir, row.sha256) };
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
