import { publicationFromDatabase } from '../publish/webPublication.ts';
import { signerForConfig } from '../snapshot/signerChoice.ts';
import { sticksProvider } from '../intake/webProvider.ts';
import { discoverDrives, systemSources } from '../drives/discovery.ts';
import { randomBytes } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import type { Config } from '../core/config.ts';
import { dataPaths } from '../core/config.ts';
import type { Db } from '../core/db/database.ts';
import { renderHandoffSheet } from '../drives/handoffSheet.ts';
import { enrollmentFromService } from './enrollment.ts';
import { buildPhase1Report } from '../importer/report.ts';
import type { DriveService, DriveView } from '../drives/service.ts';
import type { Logger } from '../core/log/logger.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { DriveRole, SnapshotService } from '../snapshot/api.ts';
import type { CustodyState } from '../custody/state.ts';
import { CustodyWorkflow } from '../custody/workflow.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { AuditLog } from '../core/state/auditLog.ts';
import { Accounts } from './accounts.ts';
import { CatalogReader, rootStatusFromCapture } from './catalogReader.ts';
import type { CatalogChanges, CustodyProvider, DrivesProvider, DriveStatus, HandoffProvider, ImportChecksProvider, PreauditProvider, RootStatusProvider, SnapshotHistoryProvider, WebDeps } from './deps.ts';
import { createWebApp } from './app.tsx';
import { importChecksFromReport } from './importChecks.ts';
import { startWebServer, type RunningWebServer } from './server.ts';
import { SnapshotJobs } from '../custody/snapshotJobs.ts';
import { screenFormat } from './views.ts';
import { readSheetFills } from '../preaudit/viewStore.ts';
import { ChangeFeed } from '../capture/changeFeed.ts';

/**
 * Adapters from the other areas' real services to the web's providers, and one function that
 * builds WebDeps for the daemon. The snapshot engine is taken structurally (run/isBusy +
 * listSnapshots) so this file depends only on the api.ts contract.
 */

const roles: readonly DriveRole[] = ['A', 'B'];

/** SnapshotEngine.listSnapshots() rows (newest first) as the history provider. */
export function historyFromEngine(engine: { listSnapshots(): readonly SnapshotHistoryRow[] }): SnapshotHistoryProvider {
  return { list: (limit) => engine.listSnapshots().slice(0, limit) };
}

export interface SnapshotHistoryRow {
  readonly sequence: number;
  readonly bagName: string;
  readonly state: string;
  readonly rootHash: string;
  readonly files: number;
  readonly bytes: number;
  readonly startedAt: string;
  readonly finishedAt: string | null;
}

function roleOfView(view: DriveView, config: Config): DriveRole | undefined {
  if (view.enrolled !== null) return view.enrolled.role;
  if (config.drives.mode === 'folders') return view.path === config.drives.a ? 'A' : view.path === config.drives.b ? 'B' : undefined;
  return undefined;
}

async function space(path: string | null): Promise<{ free: number | null; total: number | null }> {
  if (path === null) return { free: null, total: null };
  try {
    const s = await statfs(path);
    return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
  } catch {
    return { free: null, total: null };
  }
}

/**
 * DriveService (daemon/drives) as the web's DrivesProvider. What a card says (enrolled, verified,
 * may be ejected) comes from the custody state; snapshot targets and eject go through its guards.
 */
export function drivesFromService(service: DriveService, config: Config, workflow: CustodyWorkflow, isBusy: () => boolean, format: () => Parameters<CustodyWorkflow['state']>[0]): DrivesProvider {
  return {
    async list(): Promise<DriveStatus[]> {
      const views = await service.listDrives();
      const custody = await workflow.state(format());
      return roles.map((role): DriveStatus => {
        const view = views.ok ? views.value.find((v) => roleOfView(v, config) === role && v.status !== 'missing') : undefined;
        const card = custody.drives.find((d) => d.role === role);
        const verified = card?.lastVerified ?? null;
        const refusal = custody.actions.eject[role];
        const base = {
          role,
          enrolled: card?.enrolled ?? false,
          lastSnapshotSequence: verified?.sequence ?? null,
          lastSnapshotAt: verified?.at ?? null,
          ...(refusal.allowed ? {} : { ejectRefusal: { reason: refusal.reason, next: refusal.next, confirmable: refusal.confirmable === true } }),
        };
        if (view === undefined) {
          return {
            ...base,
            present: false,
            freeBytes: null,
            totalBytes: null,
            // a drive that is not here is not "verified" now, whatever it held when it left
            lastVerifiedAt: null,
            lastVerifyOk: null,
            ejectable: false,
            ...(card?.serial == null ? {} : { serial: card.serial }),
            ...(card?.label == null ? {} : { label: card.label }),
            message: !views.ok
              ? `${views.error.message} ${views.error.action ?? ''}`.trim()
              : card?.status === 'handed-off'
                ? `Drive ${role} was handed off and is not here.`
                : card?.enrolled === false
                  ? `Drive ${role} is not plugged in and has never been set up on this appliance. Plug in the drive labelled ${role}; if it is new, enroll it as drive ${role} (Drives page, "Enroll a drive").`
                  : `Drive ${role} is not plugged in. Plug in the drive labelled ${role}.`,
          };
        }
        const returned = view.lastReturn;
        const checkFailed = returned !== null && !returned.ok && (verified === null || returned.checkedAt > verified.at);
        const status: DriveStatus = {
          ...base,
          present: true,
          freeBytes: null,
          totalBytes: view.sizeBytes,
          lastVerifiedAt: checkFailed ? returned.checkedAt : (verified?.at ?? null),
          lastVerifyOk: checkFailed ? false : verified === null ? null : card?.status !== 'failed',
          ejectable: view.path !== null && !isBusy() && (refusal.allowed || refusal.confirmable === true),
          ...(view.label ?? view.enrolled?.label ? { label: view.label ?? view.enrolled?.label ?? '' } : {}),
          ...(view.serial ?? view.enrolled?.serial ? { serial: view.serial ?? view.enrolled?.serial ?? '' } : {}),
          ...(view.path === null ? {} : { mountPoint: view.path }),
          ...(view.status === 'unknown' ? { message: `Not enrolled yet: press "Enroll a drive" below to set it up as drive ${role}.` } : card?.status === 'wrong-drive' ? { message: `This is not the enrolled drive ${role}. Plug in the real drive ${role}.` } : {}),
        };
        return status;
      });
    },
    async targets() {
      return workflow.snapshotTargets();
    },
    async startSnapshot(request) {
      return workflow.startSnapshot(request);
    },
    async eject(role, actor, confirmed) {
      return workflow.eject(role, actor, confirmed === true);
    },
  };
}

/** Fills free space in (listDrives does not report it): statfs of the folder or mount point. */
export function withFreeSpace(provider: DrivesProvider): DrivesProvider {
  return {
    ...provider,
    async list() {
      const drives = await provider.list();
      return Promise.all(
        drives.map(async (d) => {
          if (!d.present || d.mountPoint === undefined) return d;
          const s = await space(d.mountPoint);
          return { ...d, freeBytes: s.free, totalBytes: s.total ?? d.totalBytes };
        }),
      );
    },
  };
}

export function custodyFromService(service: DriveService): CustodyProvider {
  return { list: (limit) => service.custodyRecords(limit) };
}

/** Hand-off through the custody workflow's guards (newest snapshot, once, both drives verified) and its printable sheet. */
export function handoffFromService(service: DriveService, workflow: CustodyWorkflow, electionTitle: string): HandoffProvider {
  return {
    async handOff(request) {
      const r = await workflow.handOff(request);
      return r.ok ? ok({ custodyId: r.value.id }) : r;
    },
    sheetHtml(custodyId) {
      const record = service.custodyRecord(custodyId);
      return record === undefined ? undefined : renderHandoffSheet(record, { electionTitle, applianceId: service.applianceId() });
    },
  };
}

export interface WebWiringOptions {
  readonly db: Db;
  readonly config: Config;
  readonly logger: Logger;
  /** The snapshot engine: SnapshotService plus its listSnapshots() history. */
  readonly engine: SnapshotService & { listSnapshots(): readonly SnapshotHistoryRow[] };
  readonly driveService?: DriveService;
  /** Default: capture's missing-root marks (appliance_facts) and whether each folder exists. */
  readonly roots?: RootStatusProvider;
  /** Default: the importer's phase-1 report over this database. */
  readonly importChecks?: ImportChecksProvider;
  readonly preaudit?: PreauditProvider;
  /** The daemon's one job runner and custody workflow (runtime/ composes them); made here when left out. */
  readonly custody?: { readonly jobs: SnapshotJobs; readonly workflow: CustodyWorkflow };
  /** The daemon's one change feed (runtime/ composes it); left out, the pages look at the catalog each time they ask. */
  readonly changes?: CatalogChanges;
}

/** Without the daemon's running feed (the web on its own, tests): a feed that takes a look each time it is read. */
export function catalogChangesLookingEachTime(db: Db): CatalogChanges {
  const feed = new ChangeFeed(db, 60_000);
  return {
    current: () => {
      feed.check();
      return feed.current();
    },
  };
}

/**
 * WebDeps for the daemon from the real services. The daemon passes its one job runner and custody
 * workflow (`custody`), which the schedules use too, so every run shows progress in the UI.
 */
export function createWebDeps(options: WebWiringOptions): WebDeps {
  const { db, config, logger } = options;
  const history = historyFromEngine(options.engine);
  const jobs = options.custody?.jobs ?? new SnapshotJobs(options.engine, logger);
  const drive = options.driveService;
  const workflow = options.custody?.workflow ?? (drive === undefined ? undefined : new CustodyWorkflow({ db, config, logger, drives: drive, snapshots: jobs, isSnapshotRunning: () => jobs.isBusy() }));
  return {
    config,
    logger,
    accounts: new Accounts(db, undefined, config.web.sessionIdleMinutes === undefined ? {} : { idleMs: config.web.sessionIdleMinutes * 60_000 }),
    catalog: new CatalogReader(db, dataPaths(config).vault, config.roots.map((r) => r.label)),
    changes: options.changes ?? catalogChangesLookingEachTime(db),
    roots: options.roots ?? rootStatusFromCapture(config, db),
    alerts: new AlertLog(db, logger),
    audit: new AuditLog(db, logger),
    snapshot: jobs,
    snapshotHistory: history,
    ...(drive === undefined || workflow === undefined
      ? {}
      : {
          drives: withFreeSpace(drivesFromService(drive, config, workflow, () => jobs.isBusy(), () => screenFormat(new Date()))),
          custody: custodyFromService(drive),
          handoff: handoffFromService(drive, workflow, config.election.title),
          custodyState: (format): Promise<CustodyState> => workflow.state(format),
          snapshotPreview: () => workflow.previewSnapshot(),
          enrollment: enrollmentFromService(drive),
        }),
    importChecks: options.importChecks ?? importChecksFromReport(() => buildPhase1Report(db, () => readSheetFills(db))),
    ...(options.preaudit === undefined ? {} : { preaudit: options.preaudit }),
    publication: publicationFromDatabase(db, config, () => signerForConfig(config)),
    // USB mode: the page lists plugged-in sticks so the supervisor can enroll one there.
    sticks: sticksProvider(db, logger, config.drives.mode === 'usb' ? () => discoverDrives(systemSources, { allowLoop: process.env['BALLOTSAFE_HELPER_ALLOW_LOOP'] === '1' }) : undefined),
  };
}

/** Builds the deps and the app and starts listening (config.web). */
export async function startWebUi(options: WebWiringOptions): Promise<Result<{ deps: WebDeps; server: RunningWebServer }>> {
  const deps = createWebDeps(options);
  const server = await startWebServer(createWebApp(deps), options.config, options.logger);
  return server.ok ? ok({ deps, server: server.value }) : server;
}

/**
 * For the demo only: makes sure an operator account exists and gives it a fresh random password,
 * so the demo can print the URL and a login. Real appliances create users with `ballotsafe user add`.
 */
export async function demoLogin(accounts: Accounts, name = 'demo'): Promise<Result<{ name: string; password: string }>> {
  const password = randomBytes(9).toString('base64url');
  const r = accounts.findUser(name) === undefined ? await accounts.addUser(name, 'operator', password) : await accounts.setPassword(name, password);
  return r.ok ? ok({ name, password }) : r;
}
