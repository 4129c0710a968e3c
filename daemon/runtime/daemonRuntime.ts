import { dataPaths, type Config } from '../core/config.ts';
import { evidenceFile } from '../preaudit/evidenceFiles.ts';
import { CaptureService } from '../capture/captureService.ts';
import { openStateDatabase, type Db } from './stateDatabase.ts';
import { CustodyWorkflow } from '../custody/workflow.ts';
import { SnapshotJobs } from '../custody/snapshotJobs.ts';
import { createDriveService, startDriveAutomation, type DriveAutomation } from '../drives/wiring.ts';
import type { DriveService } from '../drives/service.ts';
import { ImportService } from '../importer/service.ts';
import { activeImportsSignature } from '../importer/store.ts';
import { ChangeFeed } from '../capture/changeFeed.ts';
import { startStickIntake } from '../intake/wiring.ts';
import type { IntakeService } from '../intake/intakeService.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { DriveTarget } from '../snapshot/api.ts';
import { SnapshotEngine } from '../snapshot/engine.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { AuditLog } from '../core/state/auditLog.ts';
import type { WebDeps } from '../web/deps.ts';
import type { PreauditProvider } from '../web/deps.ts';
import type { RunningWebServer } from '../web/server.ts';
import { startWebUi } from '../web/wiring.ts';
import { PreauditService } from '../preaudit/service.ts';
import { PreauditWebProvider } from '../preaudit/webProvider.ts';
import { CatalogGrowthWatch } from './catalogGrowthWatch.ts';
import { startCaptureWithRetry, type CaptureStartPolicy } from './captureStart.ts';
import { readSheetFills } from '../preaudit/viewStore.ts';

/** Within shutdown.ts's 10 s bound, leaving time to record the stop and close the database. */
const PARTS_STOP_BOUND_MS = 7000;

export interface RunningDaemon {
  readonly db: Db;
  readonly config: Config;
  readonly engine: SnapshotEngine;
  readonly capture: CaptureService;
  readonly drives: DriveService;
  /** The one custody workflow: every snapshot (UI, schedules, demo) starts through it. */
  readonly custody: CustodyWorkflow;
  readonly automation: DriveAutomation;
  readonly imports: ImportService;
  /** Export-stick intake (USB mode only; null with folder drives). */
  readonly sticks: IntakeService | null;
  readonly web: { readonly deps: WebDeps; readonly server: RunningWebServer };
  stop(): Promise<void>;
}

export interface DaemonOptions {
  readonly config: Config;
  readonly logger: Logger;
  readonly preaudit?: PreauditProvider;
  /** How often the import and export-settled watchers look at the catalog (default 5 s). */
  readonly catalogPollMs?: number;
  /** How often and how patiently to try starting capture before giving up (default: 4 tries over ~14 s). */
  readonly captureStart?: CaptureStartPolicy;
  /** A stop request (SIGTERM) during start: stop trying and return. */
  readonly signal?: AbortSignal;
}

/**
 * The daemon's composition, in data-flow order: capture fills the catalog; imports and the
 * export-settled trigger follow the catalog; snapshots (UI, CLI, schedules) read the catalog and
 * vault; the web layer only reads state and asks for actions.
 */
export async function startDaemon(options: DaemonOptions): Promise<Result<RunningDaemon>> {
  const { config, logger } = options;
  logEvent(logger, LogEvent.DaemonStarting, { roots: config.roots.map((r) => r.label), dataDir: config.dataDir, drives: config.drives.mode });
  const db = openStateDatabase(dataPaths(config).database);
  logEvent(logger, LogEvent.DbMigrated, { path: dataPaths(config).database });
  const alerts = new AlertLog(db, logger);
  const audit = new AuditLog(db, logger);
  const engine = new SnapshotEngine({ db, config, logger, alerts, audit });
  // One job runner and one workflow for every snapshot trigger: the same checks, audit and busy guard.
  const jobs = new SnapshotJobs(engine, logger);
  const drives = createDriveService({ config, db, logger, isSnapshotRunning: () => jobs.isBusy() });
  const custody = new CustodyWorkflow({ db, config, logger, drives, snapshots: jobs, isSnapshotRunning: () => jobs.isBusy() });

  // Folder drives are always present: finish or redo a snapshot a crash interrupted before anything else.
  if (config.drives.mode === 'folders') {
    const targets: DriveTarget[] = [
      { role: 'A', root: config.drives.a },
      { role: 'B', root: config.drives.b },
    ];
    const recovered = await engine.recover(targets);
    if (!recovered.ok) logEvent(logger, LogEvent.SnapshotFailed, { phase: 'recovery', code: recovered.error.code, error: recovered.error.message }, 'warn');
    else if (recovered.value.written.length > 0) logEvent(logger, LogEvent.SnapshotRecovered, { written: recovered.value.written });
  }

  // Pre-audit: constructed here so the UI gets its provider; it starts after capture and imports.
  const preaudit = new PreauditService({ db, vaultDir: dataPaths(config).vault, logger, rootPaths: config.roots.map((r) => r.path) });
  const preauditProvider = options.preaudit ?? new PreauditWebProvider(db, () => preaudit.status(), preaudit.optionNames, preaudit, (kind) => evidenceFile(db, dataPaths(config).vault, kind));
  // The one change feed: one timer looks at the catalog (and the active imports); the web's live updates, the
  // importer, the pre-audit and the export-settled trigger each follow it, and none runs when nothing changed.
  const changes = new ChangeFeed(db, options.catalogPollMs ?? 5000);
  changes.watch('imports', () => activeImportsSignature(db));
  const web = await startWebUi({ db, config, logger, engine, driveService: drives, preaudit: preauditProvider, custody: { jobs, workflow: custody }, changes });
  if (!web.ok) {
    db.close();
    return err(web.error);
  }
  const automation = await startDriveAutomation({ service: drives, runSnapshot: (r, p) => custody.runSnapshot(r, p), isBusy: () => custody.isSnapshotBusy(), config, logger });
  if (!automation.ok) {
    await web.value.server.close();
    db.close();
    return err(automation.error);
  }

  // Capture that cannot start is fatal (after a few tries): the web UI stays up meanwhile so the
  // overview shows the critical alert, then everything stops and the caller exits non-zero.
  const started = await startCaptureWithRetry(() => new CaptureService({ config, db, logger, startFailureAlert: false }), {
    vaultDir: dataPaths(config).vault,
    alerts,
    logger,
    ...(options.captureStart === undefined ? {} : { policy: options.captureStart }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
  if (!started.ok) {
    automation.value.stop();
    await web.value.server.close();
    db.close();
    return err(started.error);
  }
  const capture = started.value;
  // One look before anyone subscribes: what capture found while starting is the feed's starting point, as
  // before the web needed the feed this early (the subscribers below do their first pass on start anyway).
  changes.check();
  const imports = new ImportService({ db, readSheets: () => readSheetFills(db), vaultDir: dataPaths(config).vault, reportsDir: dataPaths(config).reports, logger });
  imports.start(changes);
  if (options.preaudit === undefined) preaudit.start(changes);
  const growth = new CatalogGrowthWatch(changes, () => automation.value.triggers.onFileCaptured());
  growth.start();
  changes.start();
  // Export sticks plugged in from now on are read; the watched shares go on being captured.
  const watcher = automation.value.watcher;
  const sticks = watcher === null ? null : startStickIntake({ db, logger, capture, watcher });

  logEvent(logger, LogEvent.DaemonStarted, { url: web.value.server.url });
  audit.record('system', 'daemon.started', { url: web.value.server.url });
  let stopped = false;
  return ok({
    db,
    config,
    engine,
    capture,
    drives,
    custody,
    automation: automation.value,
    imports,
    sticks: sticks?.service ?? null,
    web: web.value,
    async stop() {
      if (stopped) return;
      stopped = true;
      logEvent(logger, LogEvent.DaemonStopping, {});
      // Every part is stopped even when one fails: one that throws must not leave the web server
      // or a timer holding the process open. Parts still busy after PARTS_STOP_BOUND_MS are left
      // (logged); the audit record and the database close still happen, and the process watchdog
      // (shutdown.ts) ends whatever is left.
      const pending = new Set<string>();
      const step = async (name: string, fn: () => unknown) => {
        pending.add(name);
        try {
          await fn();
        } catch (e) {
          logEvent(logger, LogEvent.DaemonStopStepFailed, { step: name, error: e instanceof Error ? e.message : String(e) }, 'error');
        } finally {
          pending.delete(name);
        }
      };
      await step('growth', () => {
        changes.stop();
        growth.stop();
      });
      await step('sticks', () => sticks?.stop());
      await step('automation', () => automation.value.stop());
      // The web server ends its open connections (the kiosk's event stream) while the rest stop.
      const parts = Promise.all([step('web', () => web.value.server.close()), step('capture', () => capture.stop()), step('imports', () => imports.stop()), step('preaudit', () => preaudit.stop())]);
      let bound: NodeJS.Timeout | undefined;
      const late = await Promise.race([parts.then(() => false), new Promise<boolean>((r) => (bound = setTimeout(() => r(true), PARTS_STOP_BOUND_MS)))]);
      clearTimeout(bound);
      if (late) logEvent(logger, LogEvent.DaemonStopStepFailed, { step: [...pending].join(','), error: `still busy after ${PARTS_STOP_BOUND_MS} ms; left to the stop watchdog` }, 'error');
      await step('audit', () => audit.record('system', 'daemon.stopped', {}));
      await step('database', () => db.close());
      logEvent(logger, LogEvent.DaemonStopped, {});
    },
  });
}
