import type { FC } from 'hono/jsx';
import type { CustodyRecord, SnapshotRecord } from '../deps.ts';
import { formatBytes, formatCount, formatTime } from '../format.ts';
import { Layout, type PageContext } from './layout.tsx';

const stateLabel: Record<string, [string, string]> = {
  complete: ['good', 'Both drives'],
  degraded: ['bad', 'One drive only'],
  pending: ['neutral', 'Not finished'],
};

export const HistoryPage: FC<{ page: PageContext; snapshots: readonly SnapshotRecord[]; custody: readonly CustodyRecord[] | null; now: Date }> = ({ page, snapshots, custody, now }) => (
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
            <th>On drives</th>
            <th>Root hash (SHA-256)</th>
            <th>Hand-off</th>
          </tr>
        </thead>
        <tbody>
          {snapshots.map((s) => {
            const [pill, label] = stateLabel[s.state] ?? ['neutral', s.state];
            const handoffs = custody?.filter((r) => r.snapshotSequence === s.sequence) ?? [];
            return (
              <tr>
                <td>{s.sequence}</td>
                <td>
                  {formatTime(s.finishedAt, now)}
                  <div class="path">{s.bagName}</div>
                </td>
                <td class="num">
                  {formatCount(s.files)}
                  <div class="path">{formatBytes(s.bytes)}</div>
                </td>
                <td>
                  <span class={`pill ${pill}`}>{label}</span>
                </td>
                <td>
                  <code class="hash-cell">{s.rootHash}</code>
                </td>
                <td>
                  {handoffs.map((h) => (
                    <a class="button small" href={`/custody/${h.id}/sheet`}>
                      Sheet #{h.id}
                    </a>
                  ))}
                  {handoffs.length === 0 && custody !== null && page.user.role === 'operator' && s.state === 'complete' ? (
                    <a class="button small secondary" href={`/snapshots/${s.sequence}/handoff`}>
                      Hand off
                    </a>
                  ) : null}
                  {s.state === 'pending' ? null : (
                    <a class="button small secondary" href={`/snapshots/${s.sequence}/publication.zip`} download>
                      Publication
                    </a>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    )}
  </Layout>
);
