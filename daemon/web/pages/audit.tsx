import type { FC } from 'hono/jsx';
import type { AuditEntry } from '../../state/auditLog.ts';
import { formatTime } from '../format.ts';
import { Layout, type PageContext } from './layout.tsx';

export const AuditPage: FC<{ page: PageContext; entries: readonly AuditEntry[]; now: Date }> = ({ page, entries, now }) => (
  <Layout page={page} active="audit" title="Audit log">
    <p>Every operator and system action, newest first. This log cannot be edited.</p>
    <table class="table">
      <thead>
        <tr>
          <th>When</th>
          <th>Who</th>
          <th>Action</th>
          <th>Details</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((e) => (
          <tr>
            <td>{formatTime(e.at, now)}</td>
            <td>{e.actor}</td>
            <td>{e.action}</td>
            <td class="path">{e.details_json ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </Layout>
);
