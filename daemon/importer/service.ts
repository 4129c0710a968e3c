import { join } from 'node:path';
import type { Db } from '../core/db/database.ts';
import { CatalogStore } from '../capture/catalogStore.ts';
import { coalescingRun, type ChangeFeed } from '../capture/changeFeed.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { ok, type OperatorError, type Result } from '../core/result.ts';
import { exportArloManifest } from './arlo.ts';
import { ballotImageReason, importCatalogFile, type CatalogVersionRow, type ImportOutcome } from './importFile.ts';
import { ballotImageZipReason } from './imageZip.ts';
import { plainImportProblem } from './plainImportProblem.ts';
import { buildPhase1Report, type Phase1Report } from './report.ts';
import type { ReadSheets } from './rescans.ts';
import { writePhase1Report } from './reportFiles.ts';
import { recoverInterruptedImports } from './store.ts';
import { failedSourcesAfter, lastSourceId } from './sourceRows.ts';

/** Catalog kinds that may hold election data (CVR exports, EIF, results, manifests). */
const importableKinds = ['cvr', 'election-definition', 'other'] as const;

export interface CatalogImport {
  readonly imported: readonly ImportOutcome[];
  /** Files looked at and found to hold no election data (with why), so a caller can list them. */
  readonly notElectionData: readonly ImportOutcome[];
  readonly failures: readonly OperatorError[];
}

/**
 * Imports every current catalog file that is not imported yet (idempotent: already-imported
 * versions are skipped quickly). Used by `ballotsafe check` and after a restart.
 */
export async function importPendingCatalogFiles(db: Db, vaultPath: string, logger?: Logger): Promise<CatalogImport> {
  recoverInterruptedImports(db);
  // Manifests first (they name what the CVR exports mean), Dominion CVR exports last; by capture order within.
  const rank = (relPath: string): number => (/manifest\.json$/i.test(relPath) ? 0 : /cvrexport/i.test(relPath) ? 2 : 1);
  const catalog = new CatalogStore(db);
  const importable = catalog.currentOfKinds(importableKinds);
  const ids = new Set(importable.map((f) => f.id));
  // A zip captured as a ballot image (an images folder) is an image export: listed for phase 1 (zipImages.ts).
  const imageZips = catalog.currentZips().filter((z) => !ids.has(z.id)).map((z) => ({ ...z, kind: 'ballot-image' as const }));
  const rows: CatalogVersionRow[] = [...importable, ...imageZips]
    .map((f) => ({ id: f.id, root_label: f.rootLabel, rel_path: f.relPath, sha256: f.sha256, kind: f.kind }))
    .sort((a, b) => rank(a.rel_path) - rank(b.rel_path) || a.id - b.id);
  const imported: ImportOutcome[] = [];
  const notElectionData: ImportOutcome[] = [];
  const failures: OperatorError[] = [];
  for (const row of rows) {
    const r = await importCatalogFile(db, row, vaultPath, logger);
    if (r.ok) {
      if (r.value.status === 'imported') imported.push(r.value);
      else if (r.value.status === 'not-election-data' && r.value.reason !== ballotImageReason && r.value.reason !== ballotImageZipReason) notElectionData.push(r.value);
    } else failures.push(r.error);
  }
  return { imported, notElectionData, failures };
}

export interface RefreshedReport {
  readonly report: Phase1Report;
  readonly json: string;
  readonly xlsx: string;
  readonly arloManifest: string | null;
}

/** Rebuilds the phase-1 report files and the Arlo manifest (the watcher calls this after imports). */
export async function refreshPhase1Report(db: Db, reportsDir: string, readSheets: ReadSheets, logger?: Logger): Promise<Result<RefreshedReport>> {
  const report = buildPhase1Report(db, readSheets);
  const written = await writePhase1Report(report, reportsDir);
  if (!written.ok) return written;
  const arlo = await exportArloManifest(db, join(reportsDir, 'arlo-ballot-manifest.csv'));
  if (logger !== undefined) {
    logEvent(logger, LogEvent.CheckReportWritten, { json: written.value.json, xlsx: written.value.xlsx, clean: report.summary.clean, cvrRecords: report.summary.cvrRecords, arlo: arlo.ok ? arlo.value.path : arlo.error.code });
  }
  return ok({ report, json: written.value.json, xlsx: written.value.xlsx, arloManifest: arlo.ok ? arlo.value.path : null });
}

export interface ImportServiceOptions {
  readonly db: Db;
  readonly vaultDir: string;
  readonly reportsDir: string;
  readonly logger: Logger;
  /** The sheets the pre-audit has read, for the report's rescan check (preaudit/viewStore.ts readSheetFills). */
  readonly readSheets: ReadSheets;
}

export interface ImportTick {
  readonly imported: number;
  readonly newFailures: number;
  readonly reportRefreshed: boolean;
}

/**
 * Watcher integration without coupling to the capture code: the catalog (file_versions) is the
 * contract, so this service follows it (the one change feed), imports new or changed CVR/EIF/results versions, raises an
 * alert for a file that cannot be imported (once), and rewrites the phase-1 report and Arlo
 * manifest whenever the catalog or the imported data changed. Nothing already imported is lost
 * when a new version is bad (see SourceWriter).
 */
export class ImportService {
  private unsubscribe: (() => void) | undefined;
  private runner: { wake: () => void; idle: () => Promise<void> } | undefined;
  private running: Promise<ImportTick> | undefined;
  private lastSourceId: number;
  private lastCatalog = '';
  private readonly alerts: AlertLog;

  constructor(private readonly options: ImportServiceOptions) {
    this.alerts = new AlertLog(options.db, options.logger);
    this.lastSourceId = lastSourceId(options.db) ?? 0;
  }

  /** One pass now, then one each time the catalog's files change (the daemon's one change feed). */
  start(changes: ChangeFeed): void {
    if (this.unsubscribe !== undefined) return;
    // At start, before the first pass: rows left 'loading' by a crash or kill are cleaned up now.
    const cleaned = recoverInterruptedImports(this.options.db);
    if (cleaned > 0) logEvent(this.options.logger, LogEvent.ImportInterruptedCleaned, { sources: cleaned });
    const runner = coalescingRun(() => this.tick());
    this.runner = runner;
    this.unsubscribe = changes.subscribe((now, before) => {
      if (now.catalog !== before.catalog) runner.wake();
    });
    runner.wake();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.runner?.idle();
    if (this.running !== undefined) await this.running;
  }

  /** One pass (also called by tests and after a manual re-import); concurrent calls share one pass. */
  tick(): Promise<ImportTick> {
    if (this.running === undefined) {
      this.running = this.pass().finally(() => {
        this.running = undefined;
      });
    }
    return this.running;
  }

  private catalogSignature(): string {
    return new CatalogStore(this.options.db).changeMark();
  }

  private async pass(): Promise<ImportTick> {
    const { db, vaultDir, reportsDir, logger, readSheets } = this.options;
    const done = await importPendingCatalogFiles(db, vaultDir, logger);
    const failed = failedSourcesAfter(db, this.lastSourceId);
    for (const f of failed) {
      const e = f.error_json === null ? undefined : (JSON.parse(f.error_json) as OperatorError);
      // Plain words for the clerk; the parser's exact words stay in the log line and the collapsed details.
      const plain = plainImportProblem(f.name, e);
      this.alerts.raise({
        severity: 'warning',
        code: 'import-failed',
        message: plain.message,
        action: plain.action,
        subject: f.name,
        details: { technician: plain.technician },
      });
    }
    this.lastSourceId = lastSourceId(db) ?? this.lastSourceId;
    const signature = this.catalogSignature();
    let reportRefreshed = false;
    if (done.imported.length > 0 || failed.length > 0 || signature !== this.lastCatalog) {
      const r = await refreshPhase1Report(db, reportsDir, readSheets, logger);
      reportRefreshed = r.ok;
      if (r.ok) this.lastCatalog = signature;
      else logEvent(logger, LogEvent.ImportFailed, { report: reportsDir, error: r.error.message }, 'warn');
    }
    return { imported: done.imported.length, newFailures: failed.length, reportRefreshed };
  }
}
