import type { FC } from 'hono/jsx';
import { formatBytes, formatCount, formatTime, shortHash } from '../format.ts';
import type { OverviewModel } from '../views.ts';
import { Layout, type PageContext } from './layout.tsx';
import { cardLabels } from './custodyBox.tsx';

export const OverviewPage: FC<{ page: PageContext; model: OverviewModel; now: Date }> = ({ page, model, now }) => {
  const v = model.verdict;
  return (
    <Layout page={page} active="overview" title="Overview">
      <section class={v.ok ? 'verdict good' : 'verdict bad'} data-testid="verdict" role="status">
        <div class="verdict-mark" aria-hidden="true">{v.ok ? '✓' : '!'}</div>
        <div>
          <p class="verdict-headline">{v.headline}</p>
          {v.problems.map((p) => (
            <p class="verdict-problem">
              {p.message} <span class="next">What to do: {p.action}</span>
            </p>
          ))}
          {v.note === null ? null : <p class="verdict-note">{v.note}</p>}
        </div>
      </section>

      <section class="stats">
        <div class="stat">
          <span class="stat-value" data-testid="files-today">{formatCount(model.catalog.filesToday)}</span>
          <span class="stat-label">files captured today</span>
        </div>
        <div class="stat">
          <span class="stat-value" data-testid="files-total">{formatCount(model.catalog.filesTotal)}</span>
          <span class="stat-label">files in all ({formatBytes(model.catalog.bytesTotal)})</span>
        </div>
        <div class="stat">
          <span class="stat-value small">{formatTime(model.catalog.lastCaptureAt, now)}</span>
          <span class="stat-label">last capture</span>
        </div>
        <a class={model.openAlerts.total > 0 ? 'stat warn' : 'stat'} href="/alerts">
          <span class="stat-value" data-testid="open-alerts">{formatCount(model.openAlerts.total)}</span>
          <span class="stat-label">open alerts</span>
        </a>
      </section>

      <div class="columns">
        <section class="panel">
          <h2>Watched export folders</h2>
          <table class="table">
            <thead>
              <tr>
                <th>Folder</th>
                <th>State</th>
                <th class="num">Today</th>
                <th class="num">In all</th>
                <th>Last file</th>
              </tr>
            </thead>
            <tbody>
              {model.roots.map((r) => (
                <tr>
                  <td>
                    <strong>{r.label}</strong>
                  </td>
                  <td>
                    {r.state === 'ok' ? <span class="pill good">OK</span> : r.state === 'missing' ? <span class="pill bad">Missing</span> : <span class="pill neutral">Unknown</span>}
                  </td>
                  <td class="num">{formatCount(r.filesToday)}</td>
                  <td class="num">{formatCount(r.filesTotal)}</td>
                  <td>{formatTime(r.lastCaptureAt, now)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="panel">
          <h2>Drives</h2>
          {model.lastSnapshot === null ? (
            <p>No snapshot written yet.</p>
          ) : (
            <p>
              Last snapshot <strong>#{model.lastSnapshot.sequence}</strong> {formatTime(model.lastSnapshot.finishedAt, now)}, root hash{' '}
              <code>{shortHash(model.lastSnapshot.rootHash)}</code>
            </p>
          )}
          <p>
            Not on the drives yet: <strong data-testid="not-on-drives">{formatCount(model.notOnDrives.files)}</strong> files ({formatBytes(model.notOnDrives.bytes)})
          </p>
          {model.custody === null ? null : (
            <ul class="drive-list">
              {model.custody.drives.map((d) => (
                <li data-drive={d.role}>
                  <strong>Drive {d.role}:</strong> {cardLabels[d.status]}
                  {d.lastVerified === null ? '' : ` (last verified snapshot #${d.lastVerified.sequence})`}
                </li>
              ))}
            </ul>
          )}
          <a class="button primary big" href="/snapshot">
            Go to End-of-day snapshot
          </a>
        </section>
      </div>
    </Layout>
  );
};
