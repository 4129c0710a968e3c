/**
 * Captured files no longer on disk: marked deleted in the catalog (the vault keeps them) and
 * reported. Same inode under a new name in the folder is a rename, not a deletion; more than
 * MANY gone from one folder is one summary alert.
 */
import type { Db } from '../core/db/database.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import type { CatalogRowBrief, CatalogWriter } from './catalogWriter.ts';
import type { CaptureAlerts, CaptureCounters, CaptureRoot } from './captureTypes.ts';

const MANY = 20; // more vanished files than this in one directory: one summary alert

export class VanishedFiles {
  constructor(
    private readonly db: Db,
    private readonly writer: CatalogWriter,
    private readonly counters: CaptureCounters,
    private readonly logger: Logger,
    private readonly alerts: CaptureAlerts,
  ) {}

  /** `inodesNow`: inode → name of the files seen in the folder now (tells renames from deletions). */
  report(root: CaptureRoot, rows: readonly CatalogRowBrief[], dirKey: string, inodesNow: Map<string, string>): void {
    if (rows.length === 0) return;
    const at = new Date().toISOString();
    const deleted: CatalogRowBrief[] = [];
    this.db.transaction(() => {
      for (const r of rows) {
        if (!this.writer.markDeleted(r.id, at)) continue;
        this.counters.deleted++;
        const renamedTo = inodesNow.get(r.inode);
        logEvent(this.logger, LogEvent.CaptureFileDeleted, { root: root.label, relPath: r.rel_path, sha256: r.sha256, renamedTo }, 'warn');
        if (renamedTo !== undefined) {
          // Same inode under a new name in the same folder: a writer's temp-name-then-rename.
          this.alerts.raise({
            severity: 'info',
            code: 'captured-file-renamed',
            subject: `${root.label}:${r.rel_path}`,
            message: `"${r.rel_path}" in "${root.label}" was renamed to "${renamedTo}"; both names are kept in the vault.`,
          });
        } else deleted.push(r);
      }
      if (deleted.length > MANY) {
        this.alerts.raise({
          severity: 'critical',
          code: 'captured-file-deleted',
          subject: `${root.label}:${dirKey}`,
          message: `${deleted.length} captured files disappeared from "${dirKey || '.'}" in "${root.label}". The captured copies are safe in the vault.`,
          action: 'Find out who removed them. Exported files should not disappear before the canvass is certified.',
          details: { files: deleted.slice(0, 200).map((r) => r.rel_path), total: deleted.length },
        });
      } else {
        for (const r of deleted) {
          this.alerts.raise({
            severity: 'critical',
            code: 'captured-file-deleted',
            subject: `${root.label}:${r.rel_path}`,
            message: `The captured file "${r.rel_path}" disappeared from "${root.label}". The captured copy (SHA-256 ${r.sha256}) is safe in the vault.`,
            action: 'Find out who removed it. Exported files should not disappear before the canvass is certified.',
            details: { sha256: r.sha256, versionId: r.id },
          });
        }
      }
    })();
  }

  /** Every captured file and symlink in a folder that is gone (dir key as the catalog keeps it). */
  reportDir(root: CaptureRoot, dirKey: string): void {
    this.report(root, [...this.writer.rowsInDir(root.label, dirKey).values()], dirKey, new Map());
    for (const l of this.writer.symlinksInDir(root.label, dirKey).values()) this.writer.markSymlinkDeleted(l.id);
  }
}
