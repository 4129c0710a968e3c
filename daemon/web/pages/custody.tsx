import type { FC } from 'hono/jsx';
import type { CustodyRecord } from '../deps.ts';
import { formatTime, shortHash } from '../format.ts';
import { Layout, NotInstalled, type PageContext } from './layout.tsx';

export const CustodyPage: FC<{ page: PageContext; records: readonly CustodyRecord[] | null; now: Date }> = ({ page, records, now }) => (
  <Layout page={page} active="custody" title="Custody log">
    {records === null ? (
      <NotInstalled what="The custody log" />
    ) : records.length === 0 ? (
      <p class="panel">No hand-offs yet. After a snapshot says "safe to remove", press "Hand off the drives" to record where each drive goes.</p>
    ) : (
      <table class="table">
        <thead>
          <tr>
            <th>When</th>
            <th>Snapshot</th>
            <th>Drives and destinations</th>
            <th>Handed over by</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr>
              <td>{formatTime(r.recordedAt, now)}</td>
              <td>
                #{r.snapshotSequence}
                <div class="path">{shortHash(r.rootHash)}</div>
              </td>
              <td>
                {r.drives.map((d) => (
                  <div>
                    <strong>{d.role}</strong> → {d.destination}
                    <span class="path">
                      {' '}
                      {d.serial ?? d.uuid ?? ''} {d.ejected ? '' : '(not ejected)'}
                    </span>
                  </div>
                ))}
              </td>
              <td>
                {r.operator}
                {r.witness === null ? null : <div class="path">witness: {r.witness}</div>}
              </td>
              <td>
                <a class="button small" href={`/custody/${r.id}/sheet`}>
                  Print sheet
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </Layout>
);
