import type { FC } from 'hono/jsx';
import type { DriveProgress, SnapshotPhase } from '../../snapshot/api.ts';
import type { DriveStatus } from '../deps.ts';
import { formatBytes, formatCount, formatDuration, formatRate, formatTime, groupedHash } from '../format.ts';
import type { SnapshotPageModel } from '../views.ts';
import { Csrf, ErrorBox, Layout, NotInstalled, type PageContext } from './layout.tsx';
import { CustodyBox, cardClass, cardLabels } from './custodyBox.tsx';

export const phaseLabels: Record<SnapshotPhase, string> = {
  preflight: 'Checking the drives',
  writing: 'Writing files to both drives',
  syncing: 'Flushing to the drives',
  verifying: 'Reading back and verifying',
  manifests: 'Writing manifests and signature',
  done: 'Finished',
};

const driveStateLabels: Record<DriveProgress['state'], string> = { writing: 'Working', verified: 'Verified', failed: 'Failed' };

function driveLine(d: DriveStatus | undefined): string {
  if (d === undefined) return 'not set up';
  if (!d.present) return 'not connected';
  return [d.label, d.serial].filter((x) => x !== undefined && x !== '').join(' · ') || (d.mountPoint === undefined ? 'connected' : `connected: ${d.mountPoint}`);
}

export const SnapshotPage: FC<{ page: PageContext; model: SnapshotPageModel; confirm: boolean; now: Date }> = ({ page, model, confirm, now }) => {
  const { job, drives } = model;
  const canAct = page.user.role === 'operator';
  const driveA = drives?.find((d) => d.role === 'A');
  const driveB = drives?.find((d) => d.role === 'B');
  const p = job.progress;
  // Drives that would drop out of a snapshot started now: said before the clerk confirms, not only after.
  const leavesOut = model.custody?.snapshotLeavesOut ?? [];
  const takes = (['A', 'B'] as const).filter((r) => !leavesOut.some((d) => d.role === r));
  const percent = p === null || p.bytesTotal === 0 ? (p !== null && p.filesTotal > 0 ? Math.floor((100 * p.filesDone) / p.filesTotal) : 0) : Math.floor((100 * p.bytesDone) / p.bytesTotal);
  return (
    <Layout page={page} active="snapshot" title="End-of-day snapshot">
      <div id="snapshot-state" data-state={job.state}>
        {drives === null ? <NotInstalled what="Drive management" /> : null}

        {/* Only the custody state may say "safe to remove"; without drive management nothing is called safe. */}
        {model.custody !== null && job.state !== 'running' ? <CustodyBox custody={model.custody} operator={page.user.role === 'operator'} now={now} /> : null}
        {model.custody === null && job.state === 'finished' && job.safeToRemove && job.outcome !== null ? (
          <p class="panel" role="status">
            Snapshot #{job.outcome.sequence} finished: {formatCount(job.outcome.files)} files written and read back on drive A and drive B.
          </p>
        ) : null}

        {job.state === 'finished' && !job.safeToRemove && job.outcome !== null ? (
          <ErrorBox
            message={`Snapshot #${job.outcome.sequence} finished, but not every drive verified: ${job.outcome.perDrive
              .filter((d) => d.state === 'failed')
              .map((d) => `drive ${d.role}: ${d.error?.message ?? 'failed'}`)
              .join('; ')}`}
            action={job.outcome.perDrive.find((d) => d.state === 'failed')?.error?.action ?? 'Do not hand off the failed drive. Replace it and run the snapshot again.'}
          />
        ) : null}

        {job.state === 'failed' && job.error !== null ? <ErrorBox message={`The snapshot failed: ${job.error.message}`} action={job.error.action ?? 'Press End-of-day snapshot to try again.'} /> : null}

        {job.state === 'running' ? (
          <section class="panel progress-panel" data-testid="progress">
            <p class="phase" data-field="phase">
              {p === null ? 'Starting…' : phaseLabels[p.phase]}
            </p>
            <progress id="snapshot-progress" max={100} value={percent} data-field="percent">
              {percent}%
            </progress>
            <div class="progress-figures">
              <div>
                <span class="label">Files</span>
                <span data-field="files">{p === null ? '–' : `${formatCount(p.filesDone)} of ${formatCount(p.filesTotal)}`}</span>
              </div>
              <div>
                <span class="label">Data</span>
                <span data-field="bytes">{p === null ? '–' : `${formatBytes(p.bytesDone)} of ${formatBytes(p.bytesTotal)}`}</span>
              </div>
              <div>
                <span class="label">Speed</span>
                <span data-field="rate">{p === null ? '–' : formatRate(p.bytesPerSecond)}</span>
              </div>
              <div>
                <span class="label">Time left</span>
                <span data-field="left">{p === null ? '–' : formatDuration(p.secondsLeft)}</span>
              </div>
            </div>
            <p class="next">Leave both drives connected until this page says they are safe to remove.</p>
          </section>
        ) : null}

        <section class="drives-pair">
          {(['A', 'B'] as const).map((role) => {
            const status = role === 'A' ? driveA : driveB;
            const live = p?.perDrive.find((d) => d.role === role);
            const final = job.state === 'finished' ? job.outcome?.perDrive.find((d) => d.role === role) : undefined;
            const state = job.state === 'running' ? (live?.state ?? 'writing') : model.custody === null && final !== undefined ? (final.state === 'complete' ? 'verified' : 'failed') : null;
            const card = model.custody?.drives.find((d) => d.role === role);
            return (
              <div class={`drive-card ${state ?? (card === undefined ? '' : cardClass[card.status])}`} data-drive={role}>
                <p class="drive-name">Drive {role}</p>
                <p class="drive-info">{driveLine(status)}</p>
                <p class="drive-state" data-field={`drive-${role}`}>
                  {state !== null ? driveStateLabels[state] : card !== undefined ? cardLabels[card.status] : status?.present ? 'Connected' : 'Waiting for drive'}
                </p>
                {live?.message !== undefined ? <p class="drive-info">{live.message}</p> : null}
                {final?.error !== undefined ? <p class="drive-info">{final.error.message}</p> : null}
              </div>
            );
          })}
        </section>

        {job.state !== 'running' ? (
          confirm && canAct ? (
            <section class="panel confirm" data-testid="confirm">
              <h2>Start the End-of-day snapshot?</h2>
              {leavesOut.length === 0 ? (
                <p>
                  This writes {formatCount(model.pending.files)} new files ({formatBytes(model.pending.bytes)}) to drive A and drive B, then reads both back to verify them. Leave both drives
                  connected until it says they are safe to remove.
                </p>
              ) : (
                <div data-testid="drops-out">
                  {leavesOut.map((d) => (
                    <p class="verdict-problem">
                      {d.reason} <span class="next">What to do: {d.next}</span>
                    </p>
                  ))}
                  <p>
                    Only drive {takes.join(' and ')} gets this snapshot. Leave it connected until it says the snapshot is finished.
                  </p>
                </div>
              )}
              <form method="post" action="/api/snapshot" class="actions">
                <Csrf token={page.csrfToken} />
                <input type="hidden" name="reason" value="end-of-day" />
                <button type="submit" class="button primary big" data-testid="confirm-snapshot">
                  Yes, start the snapshot
                </button>
                <a class="button secondary big" href="/snapshot">
                  Cancel
                </a>
              </form>
            </section>
          ) : (
            <section class="panel">
              <p>
                Not on the drives yet: <strong>{formatCount(model.pending.files)}</strong> files ({formatBytes(model.pending.bytes)}).
                {model.lastSnapshot === null ? ' No snapshot written yet.' : ` Last snapshot #${model.lastSnapshot.sequence} ${formatTime(model.lastSnapshot.finishedAt, now)}.`}
              </p>
              {canAct ? (
                // Once everything is on the drives the button steps back, so "safe to remove" stays the message.
                <a class={model.custody?.safeToRemove === true ? 'button secondary big' : 'button primary huge'} href="/snapshot?confirm=1" data-testid="start-snapshot">
                  End-of-day snapshot
                </a>
              ) : (
                <p class="next">You are logged in as an observer: only an operator can start a snapshot.</p>
              )}
            </section>
          )
        ) : null}

        {model.lastSnapshot !== null && model.lastSnapshot.state !== 'pending' && job.state !== 'running' ? (
          <section class="panel" data-testid="publication">
            <p>
              For the county website: the publication of snapshot #{model.lastSnapshot.sequence} lists the fingerprint of every file and no ballot data. Anyone can check the
              drives or a copy against it.
            </p>
            <a class="button secondary" href={`/snapshots/${model.lastSnapshot.sequence}/publication.zip`} download>
              Download the publication
            </a>
          </section>
        ) : null}
      </div>
    </Layout>
  );
};
