import type { FC } from 'hono/jsx';
import type { DriveProgress } from '../../snapshot/api.ts';
import { phaseWords } from '../../snapshot/progressText.ts';
import type { DriveStatus } from '../deps.ts';
import { formatBytes, formatCount, formatDuration, formatRate, formatTime, groupedHash, lastPathPart } from '../format.ts';
import { snapshotProgressView } from '../snapshotProgress.ts';
import type { SnapshotPageModel } from '../views.ts';
import { Csrf, ErrorBox, Layout, NotInstalled, type PageContext } from './layout.tsx';
import { CustodyBox, cardClass, cardLabels } from './custodyBox.tsx';

export const phaseLabels = phaseWords;

const driveStateLabels: Record<DriveProgress['state'], string> = { writing: 'Working', verified: 'Verified', failed: 'Failed' };

function driveLine(d: DriveStatus | undefined): string {
  if (d === undefined) return 'not set up';
  if (!d.present) return 'not connected';
  // A folder's last name ("drive-b"), not the appliance's full path.
  return [d.label, d.serial].filter((x) => x !== undefined && x !== '').join(' · ') || (d.mountPoint === undefined ? 'connected' : `connected: ${lastPathPart(d.mountPoint)}`);
}

export const SnapshotPage: FC<{ page: PageContext; model: SnapshotPageModel; confirm: boolean; now: Date }> = ({ page, model, confirm, now }) => {
  const { job, drives } = model;
  const canAct = page.user.role === 'operator';
  const driveA = drives?.find((d) => d.role === 'A');
  const driveB = drives?.find((d) => d.role === 'B');
  const p = job.progress;
  const view = p === null ? null : snapshotProgressView(p);
  // Drives that would drop out of a snapshot started now: said before the clerk confirms, not only after.
  const leavesOut = model.custody?.snapshotLeavesOut ?? [];
  const takes = (['A', 'B'] as const).filter((r) => !leavesOut.some((d) => d.role === r));
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

        {job.state === 'finished' && job.outcome?.copied !== undefined && job.outcome.copied.snapshots > 1 ? (
          <p class="notice neutral" data-testid="copied">
            This run copied {formatCount(job.outcome.copied.files)} file{job.outcome.copied.files === 1 ? '' : 's'} ({formatBytes(job.outcome.copied.bytes)}) to the drives: snapshot #{job.outcome.sequence}
            {' '}and {job.outcome.copied.snapshots - 1} earlier snapshot{job.outcome.copied.snapshots === 2 ? '' : 's'} a drive was missing.
          </p>
        ) : null}

        {job.state === 'failed' && job.error !== null ? <ErrorBox message={`The snapshot failed: ${job.error.message}`} action={job.error.action ?? 'Press End-of-day snapshot to try again.'} /> : null}

        {job.state === 'running' ? (
          <section class="panel progress-panel" data-testid="progress">
            <p class="phase" data-field="phase">
              {p === null ? 'Starting…' : phaseLabels[p.phase]}
            </p>
            <label class="bar-label" for="snapshot-progress">
              Written to the drives: <span data-field="files">{view === null ? '–' : view.written}</span>
            </label>
            <progress id="snapshot-progress" max={100} value={view?.writtenPercent ?? 0} data-field="percent">
              {view?.writtenPercent ?? 0}%
            </progress>
            <label class="bar-label" for="readback-progress">
              Read back and checked: <span data-field="readback">{view === null ? '–' : view.readBack}</span>
            </label>
            <progress id="readback-progress" max={100} value={view?.readBackPercent ?? 0} data-field="readback-percent">
              {view?.readBackPercent ?? 0}%
            </progress>
            <div class="progress-figures">
              <div>
                <span class="label">Data written</span>
                <span data-field="bytes">{view === null ? '–' : view.bytes}</span>
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
                <p data-testid="confirm-count">
                  {model.preview === undefined || model.preview === null ? (
                    <>This writes {formatCount(model.pending.files)} new files ({formatBytes(model.pending.bytes)}) to drive A and drive B</>
                  ) : (
                    <>
                      This writes {formatCount(model.preview.newFiles.files)} new file{model.preview.newFiles.files === 1 ? '' : 's'} ({formatBytes(model.preview.newFiles.bytes)}) to drive A and drive B
                      {model.preview.catchUp.snapshots === 0
                        ? ''
                        : `, and copies ${formatCount(model.preview.catchUp.files)} file${model.preview.catchUp.files === 1 ? '' : 's'} (${formatBytes(model.preview.catchUp.bytes)}) from ${model.preview.catchUp.snapshots === 1 ? 'an earlier snapshot' : `${model.preview.catchUp.snapshots} earlier snapshots`} that drive ${model.preview.catchUp.drives.join(' and drive ')} lacks`}
                    </>
                  )}
                  , then reads them back to verify them. Leave both drives connected until it says they are safe to remove.
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
