import type { Db } from '../db/database.ts';
import { LogEvent } from '../log/events.ts';
import { logEvent, type Logger } from '../log/logger.ts';
import { ok, type OperatorError, type Result } from '../result.ts';
import { exportArloManifest } from './arlo.ts';
import { importCatalogFile, type CatalogVersionRow, type ImportOutcome } from './importFile.ts';
import { buildPhase1Report, type Phase1Report } from './report.ts';
import { writePhase1Report } from './reportFiles.ts';
import { recoverInterruptedImports } from './store.ts';
import { join } from 'node:path';

/** Catalog kinds that may hold election data (CVR exports, EIF, results, manifests). */
const importableKinds = ['cvr', 'election-definition', 'other'] as const;

export interface CatalogImport {
  readonly imported: readonly ImportOutcome[];
  readonly failures: readonly OperatorError[];
}

/**
 * Imports every current catalog file that is not imported yet (idempotent: already-imported
 * versions are skipped quickly). Used by `ballotsafe check` and after a restart.
 */
export async function importPendingCatalogFiles(db: Db, vaultPath: string, logger?: Logger): Promise<CatalogImport> {
  recoverInterruptedImports(db);
  const rows = db
    .prepare<[], CatalogVersionRow>(
      `SELECT f.id, f.root_label, f.rel_path, f.sha256, f.kind FROM file_versions f
       WHERE f.status = 'current' AND f.kind IN (${importableKinds.map((k) => `'${k}'`).join(', ')})
       ORDER BY CASE WHEN f.rel_path LIKE '%Manifest.json' THEN 0 WHEN f.rel_path LIKE '%CvrExport%' THEN 2 ELSE 1 END, f.id`,
    )
    .all();
  const imported: ImportOutcome[] = [];
  const failures: OperatorError[] = [];
  for (const row of rows) {
    const r = await importCatalogFile(db, row, vaultPath, logger);
    if (r.ok) {
      if (r.value.status === 'imported') imported.push(r.value);
    } else failures.push(r.error);
  }
  return { imported, failures };
}

export interface RefreshedReport {
  readonly report: Phase1Report;
  readonly json: string;
  readonly xlsx: string;
  readonly arloManifest: string | null;
}

/** Rebuilds the phase-1 report files and the Arlo manifest (the watcher calls this after imports). */
export async function refreshPhase1Report(db: Db, reportsDir: string, logger?: Logger): Promise<Result<RefreshedReport>> {
  const report = buildPhase1Report(db);
  const written = await writePhase1Report(report, reportsDir);
  if (!written.ok) return written;
  const arlo = await exportArloManifest(db, join(reportsDir, 'arlo-ballot-manifest.csv'));
  if (logger !== undefined) {
    logEvent(logger, LogEvent.CheckReportWritten, { json: written.value.json, xlsx: written.value.xlsx, clean: report.summary.clean, cvrRecords: report.summary.cvrRecords, arlo: arlo.ok ? arlo.value.path : arlo.error.code });
  }
  return ok({ report, json: written.value.json, xlsx: written.value.xlsx, arloManifest: arlo.ok ? arlo.value.path : null });
}
