import type { FC } from 'hono/jsx';
import type { DriveStatus } from '../deps.ts';
import { formatBytes, formatTime, lastPathPart } from '../format.ts';
import { Csrf, Layout, NotInstalled, type PageContext } from './layout.tsx';

export const DrivesPage: FC<{ page: PageContext; drives: readonly DriveStatus[] | null; busy: boolean; now: Date }> = ({ page, drives, busy, now }) => (
  <Layout page={page} active="drives" title="Drives">
    {drives === null ? (
      <NotInstalled what="Drive management" />
    ) : (
      <section class="drives-pair">
        {drives.map((d) => (
          <div class={`drive-card ${d.present ? '' : 'absent'}`} data-drive={d.role}>
            <p class="drive-name">Drive {d.role}</p>
            <dl class="facts">
              <dt>Present</dt>
              <dd>{d.present ? 'Yes' : 'No'}</dd>
              <dt>Drive</dt>
              <dd class={d.label === undefined && d.serial === undefined ? 'path' : undefined}>{[d.label, d.serial].filter((x) => x !== undefined && x !== '').join(' · ') || (d.mountPoint === undefined ? '–' : lastPathPart(d.mountPoint))}</dd>
              <dt>Enrolled</dt>
              <dd>{d.enrolled ? 'Yes' : 'No'}</dd>
              <dt>Free space</dt>
              <dd>{d.freeBytes === null ? '–' : `${formatBytes(d.freeBytes)}${d.totalBytes === null ? '' : ` of ${formatBytes(d.totalBytes)}`}`}</dd>
              <dt>Last snapshot</dt>
              <dd>{d.lastSnapshotSequence === null ? 'none' : `#${d.lastSnapshotSequence}, ${formatTime(d.lastSnapshotAt, now)}`}</dd>
              <dt>Last verification</dt>
              <dd>{!d.present ? 'not connected: cannot be checked now' : d.lastVerifiedAt === null ? 'never' : `${formatTime(d.lastVerifiedAt, now)} — ${d.lastVerifyOk === true ? 'OK' : 'FAILED'}`}</dd>
            </dl>
            {d.message === undefined ? null : <p class="next">{d.message}</p>}
            {page.user.role === 'operator' && d.present ? (
              <form method="post" action={`/api/drives/${d.role}/eject`}>
                <Csrf token={page.csrfToken} />
                {d.ejectRefusal !== undefined && !busy ? (
                  <p class="next" data-testid={`eject-refusal-${d.role}`}>
                    {d.ejectRefusal.reason} {d.ejectRefusal.next}
                  </p>
                ) : null}
                {d.ejectRefusal?.confirmable === true ? <input type="hidden" name="confirm" value="yes" /> : null}
                <button type="submit" class="button secondary big" disabled={!d.ejectable || busy} data-testid={`eject-${d.role}`}>
                  {d.ejectRefusal?.confirmable === true ? `Eject drive ${d.role} anyway` : `Eject drive ${d.role}`}
                </button>
                {busy ? <p class="next">A snapshot is running: wait until it finishes before ejecting.</p> : null}
              </form>
            ) : null}
          </div>
        ))}
      </section>
    )}
    {drives !== null && page.user.role === 'operator' ? (
      <section class="panel">
        <p>A new or replacement drive must be enrolled once before it takes snapshots.</p>
        <a class="button secondary big" href="/drives/enroll" data-testid="enroll-drive">
          Enroll a drive
        </a>
      </section>
    ) : null}
  </Layout>
);
