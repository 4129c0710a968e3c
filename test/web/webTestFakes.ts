/**
 * TEST ONLY. In-test stand-ins for providers other teams build (snapshot engine, drives, custody,
 * hand-off, import checks, pre-audit), plus a helper that builds a real database and vault.
 * Nothing in the daemon imports this file.
 */
import { sticksProvider } from '../../daemon/intake/webProvider.ts';
import { publicationFromDatabase } from '../../daemon/publish/webPublication.ts';
import { signerForConfig } from '../../daemon/snapshot/signerChoice.ts';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../daemon/core/config.ts';
import { vaultObjectPath } from '../../daemon/capture/vaultLayout.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk, err, ok, operatorError, type Result } from '../../daemon/core/result.ts';
import type { DriveRole, DriveTarget, SnapshotOutcome, SnapshotProgress, SnapshotReason, SnapshotRequest, SnapshotService } from '../../daemon/snapshot/api.ts';
import { AlertLog } from '../../daemon/core/state/alerts.ts';
import { AuditLog } from '../../daemon/core/state/auditLog.ts';
import { Accounts } from '../../daemon/web/accounts.ts';
import { CatalogReader } from '../../daemon/web/catalogReader.ts';
import { catalogChangesLookingEachTime } from '../../daemon/web/wiring.ts';
import type {
  CustodyRecord,
  DisagreementDetail,
  DrivesProvider,
  DriveStatus,
  HandoffProvider,
  HandoffRequest,
  HandAssignment,
  LearnedStyleSummary,
  Phase1Check,
  PreauditProvider,
  RootStatusProvider,
  SnapshotRecord,
  StyleMappingForm,
  WebDeps,
} from '../../daemon/web/deps.ts';
import { LoginRateLimiter } from '../../daemon/web/loginRateLimit.ts';
import { hashPassword } from '../../daemon/web/passwords.ts';
import { SnapshotJobs } from '../../daemon/custody/snapshotJobs.ts';
import { fakeCustodyState } from '../../daemon/web/testCustody.ts';

/** A snapshot engine stand-in: walks through the phases, emitting progress, and records history. */
export class FakeSnapshotService implements SnapshotService {
  /** History rows as the engine's listSnapshots() gives them, newest first. */
  history(): SnapshotRecord[] {
    return this.outcomes.map((o) => ({
      sequence: o.sequence,
      bagName: o.bagName,
      rootHash: o.rootHash,
      files: o.files,
      bytes: o.bytes,
      startedAt: o.startedAt,
      finishedAt: o.finishedAt,
      state: o.perDrive.every((d) => d.state === 'complete') ? 'complete' : 'degraded',
    }));
  }

  busy = false;
  readonly outcomes: SnapshotOutcome[] = [];
  /** Set to make the next run fail on drive B. */
  failDriveB = false;
  /** Like the real engine, the stand-in writes the run's one `snapshot.requested` audit entry. */
  audit: AuditLog | undefined;

  constructor(
    private readonly catalog: CatalogReader,
    private readonly stepMs = 40,
    private readonly steps = 10,
  ) {}

  isBusy(): boolean {
    return this.busy;
  }

  async run(request: SnapshotRequest, onProgress?: (p: SnapshotProgress) => void): Promise<Result<SnapshotOutcome>> {
    if (this.busy) return err(operatorError('snapshot-busy', 'A snapshot is already running.'));
    this.busy = true;
    this.audit?.record(request.actor, 'snapshot.requested', { reason: request.reason, full: request.full === true, drives: request.drives.map((d) => ({ role: d.role, root: d.root })) });
    try {
      const startedAt = new Date().toISOString();
      const todo = this.catalog.capturedSince(this.outcomes[0]?.startedAt ?? null);
      const files = Math.max(todo.files, 1);
      const bytes = Math.max(todo.bytes, 1);
      const roles = request.drives.map((d) => d.role);
      for (let i = 0; i <= this.steps; i++) {
        const phase = i === 0 ? 'preflight' : i < this.steps - 2 ? 'writing' : i < this.steps ? 'verifying' : 'done';
        // Like the engine: everything is written first, then read back (two counts, two bars).
        const writeSteps = Math.max(1, this.steps - 2);
        const share = Math.min(1, i / writeSteps);
        const readShare = i <= writeSteps ? 0 : Math.min(1, (i - writeSteps) / Math.max(1, this.steps - writeSteps));
        onProgress?.({
          phase,
          filesDone: Math.round(files * share),
          filesTotal: files,
          bytesDone: Math.round(bytes * share),
          bytesTotal: bytes,
          filesVerified: Math.round(files * readShare),
          bytesVerified: Math.round(bytes * readShare),
          bytesPerSecond: i === 0 ? 0 : bytes / this.steps / (this.stepMs / 1000),
          secondsLeft: i === 0 ? null : ((this.steps - i) * this.stepMs) / 1000,
          perDrive: roles.map((role) => ({ role, state: i === this.steps ? (role === 'B' && this.failDriveB ? 'failed' : 'verified') : 'writing' })),
        });
        await new Promise((r) => setTimeout(r, this.stepMs));
      }
      const sequence = (this.outcomes[0]?.sequence ?? 0) + 1;
      const rootHash = createHash('sha256').update(`bag-${sequence}-${startedAt}`).digest('hex');
      const outcome: SnapshotOutcome = {
        sequence,
        rootHash,
        bagName: `${String(sequence).padStart(6, '0')}-${startedAt.replace(/[-:]/g, '').slice(0, 15)}Z`,
        files: todo.files,
        bytes: todo.bytes,
        startedAt,
        finishedAt: new Date().toISOString(),
        perDrive: roles.map((role) =>
          role === 'B' && this.failDriveB
            ? { role, state: 'failed' as const, error: operatorError('drive-verify-failed', 'Drive B read back different bytes.', 'Replace drive B.') }
            : { role, state: 'complete' as const },
        ),
      };
      // Stand-in for "the engine wrote the bag": a marker file on each folder drive.
      for (const d of request.drives) writeFileSync(join(d.root, `${outcome.bagName}.txt`), `${rootHash}\n`);
      this.outcomes.unshift(outcome);
      return ok(outcome);
    } finally {
      this.busy = false;
    }
  }
}

/** Two plain folders standing in for drives A and B (like config drives.mode = folders). */
export class FakeFolderDrives implements DrivesProvider {
  readonly ejected: DriveRole[] = [];
  /** Set by the test app: the job runner and audit log the stand-in starts snapshots with (as CustodyWorkflow does). */
  jobs: SnapshotJobs | undefined;
  audit: AuditLog | undefined;
  constructor(
    private readonly folders: Record<DriveRole, string>,
    private readonly outcomes: () => readonly SnapshotOutcome[],
  ) {}

  async list(): Promise<DriveStatus[]> {
    return (['A', 'B'] as const).map((role) => {
      const root = this.folders[role];
      const present = existsSync(root) && !this.ejected.includes(role);
      const fs = present ? statfsSync(root) : undefined;
      const last = this.outcomes().find((h) => h.perDrive.some((d) => d.role === role));
      const lastOk = last?.perDrive.find((d) => d.role === role)?.state === 'complete';
      return {
        role,
        present,
        enrolled: true,
        label: `folder-${role.toLowerCase()}`,
        mountPoint: root,
        freeBytes: fs === undefined ? null : fs.bavail * fs.bsize,
        totalBytes: fs === undefined ? null : fs.blocks * fs.bsize,
        lastSnapshotSequence: last?.sequence ?? null,
        lastSnapshotAt: last?.finishedAt ?? null,
        lastVerifiedAt: last?.finishedAt ?? null,
        lastVerifyOk: last === undefined ? null : lastOk,
        ejectable: present,
      };
    });
  }

  async targets(): Promise<Result<readonly DriveTarget[]>> {
    const missing = (['A', 'B'] as const).filter((r) => !existsSync(this.folders[r]) || this.ejected.includes(r));
    if (missing.length > 0) return err(operatorError('drive-missing', `Drive ${missing.join(' and ')} is not connected.`, `Connect drive ${missing.join(' and ')} and press the button again.`));
    return ok((['A', 'B'] as const).map((role) => ({ role, root: this.folders[role], label: `folder-${role.toLowerCase()}` })));
  }

  async startSnapshot(request: { readonly reason: SnapshotReason; readonly actor: string }): Promise<Result<{ readonly startedAt: string }>> {
    if (this.jobs === undefined) throw new Error('FakeFolderDrives.jobs not set');
    const targets = await this.targets();
    if (!targets.ok) {
      this.audit?.record(request.actor, 'snapshot.refused', { reason: request.reason, code: targets.error.code });
      return targets;
    }
    return this.jobs.start({ ...request, drives: targets.value });
  }

  async eject(role: DriveRole): Promise<Result<{ message: string }>> {
    this.ejected.push(role);
    return ok({ message: `Drive ${role} can be removed.` });
  }
}

/** Records hand-offs in memory (the drives team's DriveService does this for real). */
export class FakeHandoff implements HandoffProvider {
  readonly records: CustodyRecord[] = [];
  /** Like the real drive service, the stand-in writes the hand-off's one `custody.recorded` audit entry. */
  audit: AuditLog | undefined;
  constructor(
    private readonly outcomes: () => readonly SnapshotOutcome[],
    private readonly drives: FakeFolderDrives,
  ) {}

  async handOff(request: HandoffRequest): Promise<Result<{ custodyId: number }>> {
    const outcome = this.outcomes().find((o) => o.sequence === request.sequence);
    if (outcome === undefined || outcome.perDrive.some((d) => d.state !== 'complete')) {
      return err(operatorError('snapshot-not-verified', `Snapshot ${request.sequence} did not verify on both drives; it cannot be handed off.`, 'Run the snapshot again.'));
    }
    await this.drives.eject('A');
    await this.drives.eject('B');
    const id = this.records.length + 1;
    this.records.unshift({
      id,
      recordedAt: new Date().toISOString(),
      snapshotSequence: outcome.sequence,
      rootHash: outcome.rootHash,
      bagName: outcome.bagName,
      operator: request.operator,
      witness: request.witness,
      drives: (['A', 'B'] as const).map((role) => ({ role, driveId: null, serial: `SN-${role}-0001`, uuid: null, destination: request.destinations[role], ejected: true, poweredOff: false, ...(request.seals?.[role] === undefined ? {} : { seal: request.seals[role] }) })),
      signingKeyId: 'D4E1F0A9B8C7E6F5',
    });
    this.audit?.record(request.operator, 'custody.recorded', { custodyId: id, snapshot: outcome.sequence, rootHash: outcome.rootHash, witness: request.witness });
    return ok({ custodyId: id });
  }

  sheetHtml(custodyId: number): string | undefined {
    const r = this.records.find((x) => x.id === custodyId);
    if (r === undefined) return undefined;
    const esc = (t: string) => t.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
    return `<!doctype html><html><head><title>Hand-off ${r.id}</title><style>body{font:12pt sans-serif;margin:20mm}</style></head><body>
<h1>FAKE hand-off sheet (test stand-in): snapshot ${r.snapshotSequence}</h1><p id="root-hash">${esc(r.rootHash)}</p>
<ul>${r.drives.map((d) => `<li>${d.role} → ${esc(d.destination)}</li>`).join('')}</ul><p>Handed over by ${esc(r.operator)}</p></body></html>`;
  }
}

export const fakeChecks: Phase1Check[] = [
  { id: 'cvr-parse', name: 'CVR files readable', state: 'pass', summary: '12 CVR files parsed', details: [] },
  { id: 'counts', name: 'Ballot counts match', state: 'warn', summary: '1 batch differs by 1 ballot', details: ['Tabulator 2, batch 7: 301 CVRs, 300 images'] },
];

/**
 * A pre-audit stand-in with one disagreement on a real scanned ballot (NH Amherst corpus), with
 * target boxes placed from the corpus election.json grid (timing-mark pitch ~50 px at 200 dpi).
 */
export function fakePreaudit(imageId: number): PreauditProvider {
  const box = (column: number, row: number) => ({ x: 22 + column * 50.3 - 22, y: 100 + row * 50.6 - 14, width: 46, height: 30 });
  const detail: DisagreementDetail = {
    id: 7,
    ballotId: 'Tabulator00001/Batch001/00017',
    contest: 'Governor',
    cvrChoices: ['Hannah Dustin'],
    imageChoices: ['Josiah Bartlett'],
    imageId,
    imagePage: 0,
    imageWidth: 1700,
    imageHeight: 2200,
    note: 'The CVR records a vote the image does not show.',
    targets: [
      { contest: 'Governor', option: 'Josiah Bartlett', ...box(12, 8), marked: true, score: 0.41, cvrMarked: false },
      { contest: 'Governor', option: 'Hannah Dustin', ...box(19, 8), marked: false, score: 0.02, cvrMarked: true },
      { contest: 'Governor', option: 'John Spencer', ...box(26, 8), marked: false, score: 0.01, cvrMarked: false },
      { contest: 'United States Senator', option: 'John Langdon', ...box(12, 11), marked: false, score: 0.01, cvrMarked: false },
      { contest: 'United States Senator', option: 'William Preston', ...box(19, 11), marked: true, score: 0.55, cvrMarked: true },
      // Another contest where image and CVR differ (an overvote, a gray mark): not this disagreement.
      { contest: 'Representative in Congress', option: 'Jeremiah Smith', ...box(12, 14), marked: true, score: 0.3, cvrMarked: false },
    ],
  };
  return {
    status: () => ({ state: 'running', imagesDone: 40, imagesTotal: 100, ballotsCompared: 20, disagreements: 1, updatedAt: new Date().toISOString() }),
    disagreements: () => [detail],
    disagreement: (id) => (id === detail.id ? detail : undefined),
    styles: () => fakeStyles,
    styleMapping: (styleId) => (styleId === fakeMappingForm(imageId).styleId ? fakeMappingForm(imageId) : undefined),
    mapStyle: (styleId, assignments, actor) => {
      fakeMapped.push({ styleId, assignments, actor });
      if (assignments.length < 3) return err(operatorError('preaudit-mapping-incomplete', `${3 - assignments.length} of the 3 targets of this style have no choice.`, 'Choose for every numbered target.'));
      return ok({ targets: assignments.filter((a) => a.choice !== null).length, sheetsToRead: 87 });
    },
    contestSummary: () => [
      { contestId: 'governor', contest: 'Governor', agree: 18, disagree: 1, gray: 1, noCvr: 2 },
      { contestId: 'senator', contest: 'United States Senator', agree: 20, disagree: 0, gray: 0, noCvr: 2 },
    ],
    evidenceFile: (kind) =>
      Promise.resolve(
        kind === 'independent-cvr'
          ? ok({ fileName: 'independent-cvr.csv', contentType: 'text/csv; charset=utf-8', bytes: new TextEncoder().encode('ballot,files,style,contest,option,mark,score\n') })
          : err(operatorError('evidence-no-crops', 'There is no disagreement or gray contest, so there are no evidence pictures.', 'Nothing to do.')),
      ),
  };
}

/** What the fake pre-audit's mapStyle was asked. */
export const fakeMapped: { styleId: string; assignments: readonly HandAssignment[]; actor: string }[] = [];

/** The waiting style's form: three targets of the real NH front, one the matcher placed. */
export function fakeMappingForm(imageId: number): StyleMappingForm {
  const box = (column: number, row: number) => ({ x: 22 + column * 50.3 - 22, y: 100 + row * 50.6 - 14, width: 46, height: 30 });
  return {
    styleId: 'accuvote-0111-1011',
    printed: 'bottom-row codes 0111 / 1011',
    reason: '2 targets could not be matched to a contest option',
    sheetsWaiting: 87,
    contestsAcross: true,
    pages: [{ side: 'front', imageId, imagePage: 0, width: 1700, height: 2200 }],
    targets: [
      { number: 1, side: 'front', column: 12, row: 8, box: box(12, 8), text: null, current: { contestId: 'governor', optionId: 'bartlett' } },
      { number: 2, side: 'front', column: 19, row: 8, box: box(19, 8), text: 'Hannah Dustin', current: null },
      { number: 3, side: 'front', column: 32, row: 8, box: box(32, 8), text: '', current: null },
    ],
    contests: [
      {
        id: 'governor',
        title: 'Governor',
        options: [
          { id: 'bartlett', name: 'Josiah Bartlett' },
          { id: 'dustin', name: 'Hannah Dustin' },
          { id: 'write-in', name: 'a write-in line' },
        ],
      },
    ],
  };
}

/** One mapped style and one OCR could not map (an option missing from the imported definitions). */
export const fakeStyles: LearnedStyleSummary[] = [
  {
    styleId: 'accuvote-0110-1001',
    printed: 'bottom-row codes 0110 / 1001',
    status: 'mapped',
    mappedBy: null,
    recognisedBy: 'printed-code',
    targets: 52,
    contests: 12,
    sampleSheets: 40,
    sheetsRead: 311,
    sheetsWaiting: 0,
    reason: null,
    unresolved: [],
    learnedAt: '2026-11-03T21:04:00.000Z',
  },
  {
    styleId: 'accuvote-0111-1011',
    printed: 'bottom-row codes 0111 / 1011',
    status: 'needs-person',
    mappedBy: null,
    recognisedBy: 'printed-code',
    targets: 52,
    contests: null,
    sampleSheets: 12,
    sheetsRead: 0,
    sheetsWaiting: 87,
    reason: '1 target could not be matched to a contest option (first: front column 19 row 8, read "Hannah  Dustin": best match "John Spencer" only 31%)',
    unresolved: [{ side: 'front', column: 19, row: 8, text: 'Hannah  Dustin\n', reason: 'best match "John Spencer" only 31%' }],
    learnedAt: '2026-11-03T21:05:00.000Z',
  },
];

export interface TestRig {
  readonly dir: string;
  readonly db: Db;
  readonly config: Config;
  readonly deps: WebDeps;
  readonly engine: FakeSnapshotService;
  readonly drives: FakeFolderDrives;
  readonly handoff: FakeHandoff;
  readonly alerts: AlertLog;
  readonly audit: AuditLog;
  /** file_versions ids of inserted rows: a ballot image (real corpus JPEG) and a CVR. */
  readonly imageId: number;
  readonly cvrId: number;
  cleanup(): void;
}

export const corpusImage = new URL('../../../shared/corpus/nh-amherst-scans/scan-marked-front.jpeg', import.meta.url);

/** Stores bytes as a vault object and catalogs them, the way capture does. */
export function catalogFile(db: Db, vaultDir: string, root: string, relPath: string, kind: string, bytes: Buffer, capturedAt = new Date().toISOString()): number {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const path = vaultObjectPath(vaultDir, sha);
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, bytes);
  const info = db
    .prepare(
      `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
       VALUES (?, ?, ?, ?, '0', '0', '1', ?, ?, ?, ?)`,
    )
    .run(root, relPath, Buffer.from(relPath), bytes.length, sha, kind, capturedAt, capturedAt);
  return Number(info.lastInsertRowid);
}

let testHashes: Promise<[string, string]> | undefined;

export async function makeRig(options: { stepMs?: number; steps?: number; users?: boolean } = {}): Promise<TestRig> {
  const dir = mkdtempSync(join(tmpdir(), 'ballotsafe-web-'));
  try {
    return await buildRig(dir, options);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true }); // e.g. the corpus is missing: leave nothing behind
    throw e;
  }
}

async function buildRig(dir: string, options: { stepMs?: number; steps?: number; users?: boolean }): Promise<TestRig> {
  const driveA = join(dir, 'drive-a');
  const driveB = join(dir, 'drive-b');
  mkdirSync(driveA);
  mkdirSync(driveB);
  mkdirSync(join(dir, 'export', 'central-scan'), { recursive: true });
  mkdirSync(join(dir, 'export', 'cvr-exports'), { recursive: true });
  mkdirSync(join(dir, 'export', 'pollbooks'), { recursive: true });
  const config = assertOk(
    parseConfig(
      {
        election: { name: 'test-election', title: 'Test County General Election' },
        dataDir: join(dir, 'var'),
        roots: [
          { label: 'central-scan', path: join(dir, 'export', 'central-scan') },
          { label: 'cvr-exports', path: join(dir, 'export', 'cvr-exports') },
          { label: 'pollbooks', path: join(dir, 'export', 'pollbooks'), defaultKind: 'pollbook' },
        ],
        drives: { mode: 'folders', a: driveA, b: driveB },
      },
      dir,
    ),
  );
  const db = openStateDatabase(':memory:');
  const logger = silentLogger();
  const vault = join(dir, 'var', 'vault');
  const imageId = catalogFile(db, vault, 'central-scan', 'Tabulator00001/Batch001/00017-front.jpeg', 'ballot-image', readFileSync(corpusImage));
  const cvrId = catalogFile(db, vault, 'cvr-exports', 'CvrExport_0.json', 'cvr', Buffer.from('{"Sessions":[]}'));
  const catalog = new CatalogReader(db, vault, config.roots.map((r) => r.label));
  const engine = new FakeSnapshotService(catalog, options.stepMs ?? 40, options.steps ?? 10);
  const outcomes = () => engine.outcomes;
  const drives = new FakeFolderDrives({ A: driveA, B: driveB }, outcomes);
  const handoff = new FakeHandoff(outcomes, drives);
  const alerts = new AlertLog(db, logger);
  const audit = new AuditLog(db, logger);
  engine.audit = audit;
  handoff.audit = audit;
  const jobs = new SnapshotJobs(engine, logger);
  drives.jobs = jobs;
  drives.audit = audit;
  const accounts = new Accounts(db);
  if (options.users !== false) {
    // scrypt is slow on purpose; hash the two test passwords once per test file.
    testHashes ??= Promise.all([hashPassword('operator-password'), hashPassword('observer-password')]);
    const [operatorHash, observerHash] = await testHashes;
    const insert = db.prepare("INSERT INTO users (name, role, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, datetime('now'), datetime('now'))");
    insert.run('olivia', 'operator', operatorHash);
    insert.run('oscar', 'observer', observerHash);
  }
  const roots: RootStatusProvider = {
    roots: () => config.roots.map((r) => (existsSync(r.path) ? { label: r.label, path: r.path, state: 'ok' as const } : { label: r.label, path: r.path, state: 'missing' as const, message: 'Reconnect the share.' })),
  };
  const deps: WebDeps = {
    config,
    logger,
    accounts,
    catalog,
    changes: catalogChangesLookingEachTime(db),
    roots,
    alerts,
    audit,
    snapshot: jobs,
    snapshotHistory: { list: (limit) => engine.history().slice(0, limit) },
    drives,
    custody: { list: (limit) => handoff.records.slice(0, limit) },
    handoff,
    // The real custody decision over the fakes' facts: no page falls back to its own "safe to remove".
    custodyState: fakeCustodyState({ drives, outcomes, catalog, records: () => handoff.records, isSnapshotRunning: () => jobs.isBusy() }),
    importChecks: { list: () => fakeChecks },
    preaudit: fakePreaudit(imageId),
    sticks: sticksProvider(db, logger),
    publication: publicationFromDatabase(db, config, () => signerForConfig(config)),
  };
  return {
    dir,
    db,
    config,
    deps,
    engine,
    drives,
    handoff,
    alerts,
    audit,
    imageId,
    cvrId,
    cleanup() {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function testRateLimiter(): LoginRateLimiter {
  return new LoginRateLimiter(5, 15 * 60 * 1000);
}
