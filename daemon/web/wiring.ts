import { randomBytes } from 'node:crypto';
import { statfs } from 'node:fs/promises';
import type { Config } from '../config.ts';
import { dataPaths } from '../config.ts';
import type { Db } from '../db/database.ts';
import { renderHandoffSheet } from '../drives/handoffSheet.ts';
import { buildPhase1Report } from '../importer/report.ts';
import type { DriveService, DriveView } from '../drives/service.ts';
import type { Logger } from '../log/logger.ts';
import { err, ok, operatorError, type Result } from '../result.ts';
import type { DriveRole, SnapshotOutcome, SnapshotService } from '../snapshot/api.ts';
import { AlertLog } from '../state/alerts.ts';
import { AuditLog } from '../state/auditLog.ts';
import { Accounts } from './accounts.ts';
import { CatalogReader, rootStatusFromCapture } from './catalogReader.ts';
import type { CustodyProvider, DrivesProvider, DriveStatus, HandoffProvider, ImportChecksProvider, PreauditProvider, RootStatusProvider, SnapshotHistoryProvider, WebDeps } from './deps.ts';
import { createWebApp } from './app.tsx';
import { importChecksFromReport } from './importChecks.ts';
import { startWebServer, type RunningWebServer } from './server.ts';
import { SnapshotJobs } from './snapshotJobs.ts';

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

/** DriveService (daemon/drives) as the web's DrivesProvider. */
export function drivesFromService(service: DriveService, config: Config, history: SnapshotHistoryProvider, isBusy: () => boolean): DrivesProvider {
  return {
    async list(): Promise<DriveStatus[]> {
      const views = await service.listDrives();
      const last = history.list(1)[0];
      return roles.map((role): DriveStatus => {
        const view = views.ok ? views.value.find((v) => roleOfView(v, config) === role && v.status !== 'missing') : undefined;
        const base = {
          role,
          lastSnapshotSequence: last?.sequence ?? null,
          lastSnapshotAt: last?.finishedAt ?? null,
        };
        if (view === undefined) {
          return {
            ...base,
            present: false,
            enrolled: false,
            freeBytes: null,
            totalBytes: null,
            lastVerifiedAt: null,
            lastVerifyOk: null,
            ejectable: false,
            message: views.ok ? `Drive ${role} is not connected. Plug in the drive labelled ${role}.` : `${views.error.message} ${views.error.action ?? ''}`.trim(),
          };
        }
        const returned = view.lastReturn;
        const verifiedBySnapshot = last !== undefined && last.state === 'complete' && last.finishedAt !== null ? last.finishedAt : null;
        const useReturn = returned !== null && (verifiedBySnapshot === null || returned.checkedAt > verifiedBySnapshot);
        const status: DriveStatus = {
          ...base,
          present: true,
          enrolled: view.status === 'enrolled',
          freeBytes: null,
          totalBytes: view.sizeBytes,
          lastVerifiedAt: useReturn ? returned.checkedAt : verifiedBySnapshot,
          lastVerifyOk: useReturn ? returned.ok : verifiedBySnapshot === null ? null : true,
          ejectable: view.path !== null && !isBusy(),
          ...(view.label ?? view.enrolled?.label ? { label: view.label ?? view.enrolled?.label ?? '' } : {}),
          ...(view.serial ?? view.enrolled?.serial ? { serial: view.serial ?? view.enrolled?.serial ?? '' } : {}),
          ...(view.path === null ? {} : { mountPoint: view.path }),
          ...(view.status === 'unknown' ? { message: `Not enrolled yet. At the appliance run: ballotsafe enroll ${view.device ?? role} --role ${role}` } : {}),
        };
        return status;
      });
    },
    async targets() {
      return service.prepareTargets();
    },
    async eject(role, actor) {
      const r = await service.eject([role], actor);
      if (!r.ok) return r;
      const poweredOff = r.value.some((o) => o.poweredOff);
      return ok({ message: `Drive ${role} is ejected${poweredOff ? ' and powered off' : ''}: you can remove it.` });
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

/** Hand-off through DriveService.handOff (ejects both, writes the custody record) and its printable sheet. */
export function handoffFromService(service: DriveService, history: SnapshotHistoryProvider, electionTitle: string): HandoffProvider {
  return {
    async handOff(request) {
      const s = history.list(100_000).find((h) => h.sequence === request.sequence);
      if (s === undefined) return err(operatorError('snapshot-unknown', `There is no snapshot #${request.sequence}.`, 'Pick a snapshot on the History page.'));
      // The history row says whether the bag completed on both drives; handOff refuses anything else.
      const outcome: SnapshotOutcome = {
        sequence: s.sequence,
        rootHash: s.rootHash,
        bagName: s.bagName,
        files: s.files,
        bytes: s.bytes,
        startedAt: s.startedAt,
        finishedAt: s.finishedAt ?? s.startedAt,
        perDrive: roles.map((role) => (s.state === 'complete' ? { role, state: 'complete' as const } : { role, state: 'failed' as const })),
      };
      const r = await service.handOff(outcome, { operator: request.operator, ...(request.witness === null ? {} : { witness: request.witness }), destinations: request.destinations });
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
}

/**
 * WebDeps for the daemon from the real services. Give `deps.snapshot` (a SnapshotJobs) to the
 * triggers as their SnapshotService so scheduled runs show progress in the UI as well.
 */
export function createWebDeps(options: WebWiringOptions): WebDeps {
  const { db, config, logger } = options;
  const history = historyFromEngine(options.engine);
  const jobs = new SnapshotJobs(options.engine, logger);
  const drive = options.driveService;
  return {
    config,
    logger,
    accounts: new Accounts(db, undefined, config.web.sessionIdleMinutes === undefined ? {} : { idleMs: config.web.sessionIdleMinutes * 60_000 }),
    catalog: new CatalogReader(db, dataPaths(config).vault, config.roots.map((r) => r.label)),
    roots: options.roots ?? rootStatusFromCapture(config, db),
    alerts: new AlertLog(db, logger),
    audit: new AuditLog(db, logger),
    snapshot: jobs,
    snapshotHistory: history,
    ...(drive === undefined
      ? {}
      : {
          drives: withFreeSpace(drivesFromService(drive, config, history, () => jobs.isBusy())),
          custody: custodyFromService(drive),
          handoff: handoffFromService(drive, history, config.election.title),
        }),
    importChecks: options.importChecks ?? importChecksFromReport(() => buildPhase1Report(db)),
    ...(options.preaudit === undefined ? {} : { preaudit: options.preaudit }),
  };
}

/** Builds the deps and the app and starts listening (config.web); the daemon keeps `deps.snapshot` for its triggers. */
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
