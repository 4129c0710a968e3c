import type { FC } from 'hono/jsx';
import type { AuditEntry } from '../../core/state/auditLog.ts';
import { auditWords } from '../auditSentences.ts';
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
        {entries.map((e) => {
          const words = auditWords(e.action, e.details_json, { time: (iso) => formatTime(iso, now) });
          return (
            <tr>
              <td>{formatTime(e.at, now)}</td>
              <td>{e.actor}</td>
              <td>{words.title}</td>
              <td>{words.sentence}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  </Layout>
);
