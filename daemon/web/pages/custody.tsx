import type { FC } from 'hono/jsx';
import type { CustodyRecord } from '../deps.ts';
import { formatTime } from '../format.ts';
import { Layout, NotInstalled, type PageContext } from './layout.tsx';

export const CustodyPage: FC<{ page: PageContext; records: readonly CustodyRecord[] | null; now: Date }> = ({ page, records, now }) => (
  <Layout page={page} active="custody" title="Custody log">
    {records === null ? (
      <NotInstalled what="The custody log" />
    ) : records.length === 0 ? (
      <p class="panel">No custody records yet. They are written when drives are enrolled, handed off and returned.</p>
    ) : (
      <table class="table">
        <thead>
          <tr>
            <th>When</th>
            <th>Event</th>
            <th>Drive</th>
            <th>Snapshot</th>
            <th>From → To</th>
            <th>Seal</th>
            <th>Recorded by</th>
          </tr>
        </thead>
        <tbody>
          {records.map((r) => (
            <tr>
              <td>{formatTime(r.at, now)}</td>
              <td>
                {r.event}
                {r.note === null ? null : <div class="path">{r.note}</div>}
              </td>
              <td>{[r.driveRole, r.driveSerial].filter((x) => x !== null).join(' · ') || '–'}</td>
              <td>{r.snapshotSequence === null ? '–' : `#${r.snapshotSequence}`}</td>
              <td>{r.from === null && r.to === null ? '–' : `${r.from ?? '–'} → ${r.to ?? '–'}`}</td>
              <td>{r.sealNumber ?? '–'}</td>
              <td>{r.recordedBy}</td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
  </Layout>
);
