import type { FC } from 'hono/jsx';
import type { DriveCandidate } from '../../drives/types.ts';
import type { ExportStick, StickIntake } from '../../intake/store.ts';
import { formatBytes, formatTime, groupedHash } from '../format.ts';
import { Csrf, Layout, NotInstalled, type PageContext } from './layout.tsx';

const files = (n: number) => `${n} ${n === 1 ? 'file' : 'files'}`;

const StatusPill: FC<{ r: StickIntake }> = ({ r }) =>
  r.status === 'reading' ? (
    <span class="pill warn">Reading…</span>
  ) : r.status === 'captured' ? (
    <span class="pill good">Captured {files(r.fileCount)}</span>
  ) : r.status === 'incomplete' ? (
    <span class="pill bad">Incomplete</span>
  ) : (
    <span class="pill bad">Not read</span>
  );

const Removal: FC<{ r: StickIntake }> = ({ r }) =>
  r.removable ? <span class="pill good">Can be removed</span> : r.status === 'reading' ? <span class="pill warn">Do not remove yet</span> : <span class="pill bad">Not safe to remove</span>;

export const SticksPage: FC<{ page: PageContext; intakes: readonly StickIntake[] | null; sticks: readonly ExportStick[]; notEnrolled: readonly DriveCandidate[]; now: Date }> = ({ page, intakes, sticks, notEnrolled, now }) => (
  <Layout page={page} active="sticks" title="Export sticks">
    {intakes === null ? (
      <NotInstalled what="Export stick intake" />
    ) : (
      <>
        <p class="panel">
          When the EMS cannot be connected to the appliance, its exports come over on an enrolled export stick. Plug the stick in: the appliance reads it at once without changing
          anything on it, keeps a copy of every file, and records what was on it. Take the stick out only when this page says it can be removed.
        </p>
        {intakes.some((r) => r.status === 'reading') ? (
          <p class="notice" data-testid="stick-reading">
            A stick is being read. Do not remove it yet.
          </p>
        ) : null}
        {notEnrolled.length === 0 ? null : (
          <section class="panel" data-testid="sticks-not-enrolled">
            <h2>Plugged in, not enrolled</h2>
            <p>Nothing has been read from {notEnrolled.length === 1 ? 'this stick' : 'these sticks'}. {notEnrolled.length === 1 ? 'If it carries' : 'If one carries'} exports from the EMS, enroll it once as an export stick, then unplug it and plug it in again.</p>
            {notEnrolled.map((c) => (
              <div class="stick-candidate" data-device={c.device}>
                <p>
                  <strong>{[c.vendor, c.model].filter((x) => x !== null).join(' ') || 'USB stick'}</strong>
                  <span class="path"> {[c.label, c.serial === null ? null : `serial ${c.serial}`, c.sizeBytes === null ? null : formatBytes(c.sizeBytes)].filter((x) => x !== null).join(' · ')}</span>
                </p>
                {page.user.role === 'operator' ? (
                  <form method="post" action="/api/sticks/enroll" class="inline-form">
                    <Csrf token={page.csrfToken} />
                    <input type="hidden" name="device" value={c.device} />
                    <input type="text" name="ems" required maxlength={200} placeholder="Which EMS, e.g. Dominion EMS, counting room" aria-label="Which EMS this stick carries exports from" size={40} />
                    <button type="submit" class="button small">
                      Enroll as export stick
                    </button>
                  </form>
                ) : null}
              </div>
            ))}
          </section>
        )}
        {intakes.length === 0 ? (
          <p class="panel">No stick has been read yet.</p>
        ) : (
          <table class="table" data-testid="stick-intakes">
            <thead>
              <tr>
                <th>When</th>
                <th>From</th>
                <th>What happened</th>
                <th>What was on it</th>
                <th>Brought by</th>
                <th>Stick</th>
              </tr>
            </thead>
            <tbody>
              {intakes.map((r) => (
                <tr data-intake={String(r.id)}>
                  <td>
                    {formatTime(r.startedAt, now)}
                    <div class="path">intake {r.id}</div>
                  </td>
                  <td>
                    {r.ems}
                    <div class="path">{r.serial === null ? `volume ${r.fsUuid ?? 'unknown'}` : `serial ${r.serial}`}</div>
                  </td>
                  <td>
                    <StatusPill r={r} />
                    {r.message === '' ? null : <div>{r.message}</div>}
                  </td>
                  <td>
                    {r.filesOnStick === null ? '–' : `${files(r.fileCount)} captured of ${r.filesOnStick}, ${formatBytes(r.totalBytes)}`}
                    {r.manifestSha256 === null ? null : (
                      <div class="path" title="SHA-256 of the sorted sha256sum lines of every file on the stick">
                        manifest {groupedHash(r.manifestSha256)}
                      </div>
                    )}
                  </td>
                  <td>
                    {r.broughtBy !== null ? (
                      r.broughtBy
                    ) : page.user.role === 'operator' ? (
                      <form method="post" action={`/api/sticks/${r.id}/brought-by`} class="inline-form">
                        <Csrf token={page.csrfToken} />
                        <input type="text" name="broughtBy" required maxlength={200} placeholder="Name" aria-label="Who brought the stick" />
                        <button type="submit" class="button small">
                          Save
                        </button>
                      </form>
                    ) : (
                      'not entered yet'
                    )}
                  </td>
                  <td>
                    <Removal r={r} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h2>Enrolled export sticks</h2>
        {sticks.length === 0 ? (
          <p class="panel">No export stick is enrolled yet. The election supervisor enrolls each stick once; until then a plugged-in stick is not read.</p>
        ) : (
          <table class="table">
            <thead>
              <tr>
                <th>Carries exports from</th>
                <th>Stick</th>
                <th>Enrolled</th>
              </tr>
            </thead>
            <tbody>
              {sticks.map((s) => (
                <tr>
                  <td>{s.ems}</td>
                  <td>
                    {s.description}
                    <div class="path">{[s.label, s.serial === null ? null : `serial ${s.serial}`, s.serial === null ? `volume ${s.fsUuid ?? ''}` : null].filter((x) => x !== null && x !== '').join(' · ')}</div>
                  </td>
                  <td>
                    {formatTime(s.enrolledAt, now)} by {s.enrolledBy}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </>
    )}
  </Layout>
);
