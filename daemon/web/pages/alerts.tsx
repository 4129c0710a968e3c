import type { FC } from 'hono/jsx';
import { z } from 'zod';
import { alertDetails, type AlertRow } from '../../core/state/alerts.ts';
import { alertPage, severityWords } from '../alertLinks.ts';
import { formatTime } from '../format.ts';
import { Csrf, Layout, type PageContext } from './layout.tsx';

/** The same colour for a severity on the card, its pill and the tab badge (style.css). */
const pillClass: Record<AlertRow['severity'], string> = { critical: 'bad', warning: 'warn', info: 'neutral' };

/** The exact technical words behind an alert (a parser's message), for the technician only. */
const technicianDetails = (a: AlertRow): string | undefined => alertDetails(a, z.object({ technician: z.string() }))?.technician;

export const AlertsPage: FC<{ page: PageContext; open: readonly AlertRow[]; acknowledged: readonly AlertRow[]; now: Date }> = ({ page, open, acknowledged, now }) => (
  <Layout page={page} active="alerts" title="Alerts">
    {open.length === 0 ? <p class="notice good-note">No open alerts.</p> : null}
    <ul class="alert-list">
      {open.map((a) => (
        <li class={`alert ${a.severity}`} data-alert={a.id}>
          <div class="alert-body">
            <p class="alert-head">
              <span class={`pill ${pillClass[a.severity]}`}>
                <span aria-hidden="true">{severityWords[a.severity].mark} </span>
                {severityWords[a.severity].word}
              </span>{' '}
              {formatTime(a.raised_at, now)}
              {a.subject === null ? null : <span class="path"> · {a.subject}</span>}
            </p>
            <p class="what">{a.message}</p>
            {a.action === null ? null : <p class="next">What to do: {a.action}</p>}
            {technicianDetails(a) === undefined ? null : (
              <details class="technician" data-testid="technician-details">
                <summary>Details for the technician</summary>
                <p class="path">{technicianDetails(a)}</p>
              </details>
            )}
            <p>
              <a href={alertPage(a.code).href} data-testid="alert-page">
                {alertPage(a.code).label}
              </a>
            </p>
          </div>
          {page.user.role === 'operator' ? (
            <form method="post" action={`/api/alerts/${a.id}/ack`}>
              <Csrf token={page.csrfToken} />
              <button type="submit" class="button primary big">
                Acknowledge
              </button>
            </form>
          ) : null}
        </li>
      ))}
    </ul>
    {acknowledged.length === 0 ? null : (
      <section class="panel">
        <h2>Acknowledged</h2>
        <table class="table">
          <thead>
            <tr>
              <th>Raised</th>
              <th>Alert</th>
              <th>Acknowledged by</th>
              <th>When</th>
            </tr>
          </thead>
          <tbody>
            {acknowledged.map((a) => (
              <tr>
                <td>{formatTime(a.raised_at, now)}</td>
                <td>
                  {a.message}
                  {a.subject === null ? null : <div class="path">{a.subject}</div>}
                </td>
                <td>{a.acknowledged_by}</td>
                <td>{formatTime(a.acknowledged_at, now)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    )}
  </Layout>
);
