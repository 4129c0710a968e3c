import type { FC } from 'hono/jsx';
import type { SnapshotRecord } from '../deps.ts';
import { formatBytes, formatCount, formatTime } from '../format.ts';
import { Layout, type PageContext } from './layout.tsx';

export const HistoryPage: FC<{ page: PageContext; snapshots: readonly SnapshotRecord[]; now: Date }> = ({ page, snapshots, now }) => (
  <Layout page={page} active="snapshots" title="Snapshot history">
    {snapshots.length === 0 ? (
      <p class="panel">No snapshots yet. The first End-of-day snapshot will appear here.</p>
    ) : (
      <table class="table">
        <thead>
          <tr>
            <th>#</th>
            <th>Finished</th>
            <th class="num">Files</th>
            <th class="num">Data</th>
            <th>Drives</th>
            <th>Root hash</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {snapshots.map((s) => (
            <tr>
              <td>{s.sequence}</td>
              <td>
                {formatTime(s.finishedAt, now)}
                <div class="path">{[s.reason, s.actor].filter((x) => x !== undefined).join(' · ')}</div>
              </td>
              <td class="num">{formatCount(s.files)}</td>
              <td class="num">{formatBytes(s.bytes)}</td>
              <td>
                {s.perDrive.map((d) => (
                  <span class={d.state === 'complete' ? 'pill good' : 'pill bad'}>
                    {d.role} {d.state === 'complete' ? 'OK' : 'failed'}
                  </span>
                ))}
              </td>
              <td>
                <code class="hash-cell">{s.rootHash}</code>
              </td>
              <td>
                <a class="button small" href={`/snapshots/${s.sequence}/handoff`}>
                  Hand-off sheet
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </Layout>
);
