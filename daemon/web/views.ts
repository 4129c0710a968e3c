import type { CustodyState, StateOptions } from '../custody/state.ts';
import type { AlertRow } from '../core/state/alerts.ts';
import type { CatalogSummary, DriveStatus, RootStatus, SnapshotRecord, WebDeps } from './deps.ts';
import { dataDiskProblem } from './diskFull.ts';
import { formatBytes, formatTime, startOfLocalDay } from './format.ts';
import type { SnapshotJobView } from '../custody/snapshotJobs.ts';
import type { CopyPreview } from '../snapshot/api.ts';

export interface Problem {
  readonly message: string;
  readonly action: string;
}

export interface Verdict {
  /** Green: every export root reachable, no open warning/critical alert, last snapshot good. */
  readonly ok: boolean;
  readonly headline: string;
  readonly problems: readonly Problem[];
  /** Not a problem, but the next thing to do (e.g. files not yet on the drives). */
  readonly note: string | null;
}

export interface OverviewModel {
  readonly election: { readonly name: string; readonly title: string };
  readonly roots: readonly (RootStatus & { readonly filesToday: number; readonly filesTotal: number; readonly lastCaptureAt: string | null })[];
  readonly catalog: CatalogSummary;
  readonly openAlerts: { readonly total: number; readonly critical: number; readonly warning: number; readonly info: number };
  readonly lastSnapshot: SnapshotRecord | null;
  readonly notOnDrives: { readonly files: number; readonly bytes: number };
  readonly snapshotJob: SnapshotJobView;
  /** The drive-and-custody state; null where drive management is not installed. */
  readonly custody: CustodyState | null;
  readonly verdict: Verdict;
}

export function alertCounts(open: readonly AlertRow[]): OverviewModel['openAlerts'] {
  return {
    total: open.length,
    critical: open.filter((a) => a.severity === 'critical').length,
    warning: open.filter((a) => a.severity === 'warning').length,
    info: open.filter((a) => a.severity === 'info').length,
  };
}

/**
 * "Last snapshot" is the newest one that finished: the one being written (or left half-written by a
 * crash) is 'pending', has no finish time, and would read "Last snapshot #5 never" during a run.
 * A pending one is listed by the custody state as not protected.
 */
export function lastFinishedSnapshot(deps: Pick<WebDeps, 'snapshotHistory'>): SnapshotRecord | null {
  return deps.snapshotHistory.list(50).find((s) => s.state !== 'pending' && s.finishedAt !== null) ?? null;
}

/** Times and sizes in the custody state's messages, as the screens write them. */
export function screenFormat(now: Date): StateOptions {
  return { time: (iso) => formatTime(iso, now), bytes: formatBytes };
}

export async function overviewModel(deps: WebDeps): Promise<OverviewModel> {
  const now = deps.now?.() ?? new Date();
  const catalog = deps.catalog.summary(startOfLocalDay(now));
  const rootStates = deps.roots.roots();
  const roots = rootStates.map((r) => {
    const counts = catalog.perRoot.find((c) => c.label === r.label);
    return { ...r, filesToday: counts?.filesToday ?? 0, filesTotal: counts?.filesTotal ?? 0, lastCaptureAt: counts?.lastCaptureAt ?? null };
  });
  const openAlerts = alertCounts(deps.alerts.open());
  const lastSnapshot = lastFinishedSnapshot(deps);
  const snapshotJob = deps.snapshot.current();
  const custody = deps.custodyState === undefined ? null : await deps.custodyState(screenFormat(now));
  // One way to count what is not on the drives: the custody state's (in no verified snapshot on both drives).
  const notOnDrives = custody?.notOnDrives ?? deps.catalog.capturedSince(lastSnapshot?.startedAt ?? null);
  const base = verdict(roots, openAlerts, lastSnapshot, snapshotJob, notOnDrives);
  return {
    election: deps.config.election,
    roots,
    catalog,
    openAlerts,
    lastSnapshot,
    notOnDrives,
    snapshotJob,
    custody,
    verdict: withDiskProblem(custody === null ? base : withCustody(base, custody), dataDiskProblem(deps.config.dataDir, deps.config.capture.minFreeBytes)),
  };
}

/** Green only when the custody state says every captured file is on both drives, verified, now. */
function withCustody(v: Verdict, custody: CustodyState): Verdict {
  // The custody state lists drives and snapshots itself; keep the capture and alert problems from `v`.
  const others = v.problems.filter((p) => !p.message.startsWith('The last snapshot failed') && !/^Snapshot \d+ is on one drive only/.test(p.message));
  const problems = [...others, ...custody.notProtected.map((n) => ({ message: n.message, action: n.action }))];
  const ok = problems.length === 0 && custody.protected;
  const note = custody.snapshotRunning ? 'A snapshot is running now. Leave both drives connected.' : null;
  if (ok) return { ok, headline: 'All good: every captured file is on both drives, verified', problems, note };
  if (problems.length === 0) return { ok, headline: 'Not protected yet', problems, note };
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  // "Not protected" only when the drives lack something; alerts or a missing share alone "need attention".
  return { ok, headline: custody.protected ? `Needs attention: ${count}` : `Not protected: ${count}`, problems, note };
}

/** A full data disk is checked live: no alert can be stored about it while it is full. */
function withDiskProblem(v: Verdict, disk: Problem | undefined): Verdict {
  if (disk === undefined) return v;
  const problems = [disk, ...v.problems];
  return { ...v, ok: false, headline: problems.length === 1 ? 'Needs attention: 1 problem' : `Needs attention: ${problems.length} problems`, problems };
}

export function verdict(
  roots: readonly RootStatus[],
  alerts: OverviewModel['openAlerts'],
  lastSnapshot: SnapshotRecord | null,
  job: SnapshotJobView,
  notOnDrives: { files: number; bytes: number },
): Verdict {
  const problems: Problem[] = [];
  for (const r of roots.filter((x) => x.state === 'missing')) {
    problems.push({ message: `Export folder "${r.label}" is not reachable, so new files there are not being captured.`, action: r.message ?? 'Check the connection to the EMS, then wait a minute.' });
  }
  const serious = alerts.critical + alerts.warning;
  if (serious > 0) {
    problems.push({ message: `${serious} alert${serious === 1 ? '' : 's'} need${serious === 1 ? 's' : ''} attention.`, action: 'Open Alerts, read each one, do what it says, then acknowledge it.' });
  }
  // "Busy" means another process (CLI, schedule) is writing: not a failure of the drives.
  if (job.state === 'failed' && job.error !== null && job.error.code !== 'snapshot-busy') {
    problems.push({ message: `The last snapshot failed: ${job.error.message}`, action: job.error.action ?? 'Open the Snapshot page and try again.' });
  } else if (job.state !== 'running' && lastSnapshot !== null && lastSnapshot.state === 'degraded') {
    problems.push({ message: `Snapshot ${lastSnapshot.sequence} is on one drive only.`, action: 'Connect a working second drive and run the End-of-day snapshot again; it catches the drive up.' });
  }
  let note: string | null = null;
  if (job.state === 'running') note = 'A snapshot is running now. Leave both drives connected.';
  else if (notOnDrives.files > 0) note = `${notOnDrives.files} captured file${notOnDrives.files === 1 ? ' is' : 's are'} not on the drives yet. Press End-of-day snapshot when the exports are done.`;
  return problems.length === 0
    ? { ok: true, headline: 'All good: every export is captured', problems, note }
    : { ok: false, headline: problems.length === 1 ? 'Needs attention: 1 problem' : `Needs attention: ${problems.length} problems`, problems, note };
}

export interface SnapshotPageModel {
  readonly job: SnapshotJobView;
  readonly drives: readonly DriveStatus[] | null;
  readonly pending: { readonly files: number; readonly bytes: number };
  readonly lastSnapshot: SnapshotRecord | null;
  readonly custody: CustodyState | null;
  /** Only for the confirmation: what the run would write (null: not known or it would be refused). */
  readonly preview?: CopyPreview | null;
}

export async function snapshotModel(deps: WebDeps, confirm = false): Promise<SnapshotPageModel> {
  const lastSnapshot = lastFinishedSnapshot(deps);
  const custody = deps.custodyState === undefined ? null : await deps.custodyState(screenFormat(deps.now?.() ?? new Date()));
  return {
    job: deps.snapshot.current(),
    drives: deps.drives === undefined ? null : await deps.drives.list(),
    pending: custody?.notOnDrives ?? deps.catalog.capturedSince(lastSnapshot?.startedAt ?? null),
    lastSnapshot,
    custody,
    ...(confirm && deps.snapshotPreview !== undefined ? { preview: await deps.snapshotPreview() } : {}),
  };
}
