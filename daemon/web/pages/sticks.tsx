import type { FC } from 'hono/jsx';
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

export const SticksPage: FC<{ page: PageContext; intakes: readonly StickIntake[] | null; sticks: readonly ExportStick[]; now: Date }> = ({ page, intakes, sticks, now }) => (
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
