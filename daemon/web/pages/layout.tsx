import type { Child, FC } from 'hono/jsx';
import type { AlertSeverity } from '../../core/state/alerts.ts';
import type { User } from '../accounts.ts';
import { severityWords } from '../alertLinks.ts';

export type NavKey = 'overview' | 'snapshot' | 'drives' | 'sticks' | 'snapshots' | 'alerts' | 'custody' | 'preaudit' | 'audit' | 'settings';

const nav: readonly { key: NavKey; href: string; label: string }[] = [
  { key: 'overview', href: '/', label: 'Overview' },
  { key: 'snapshot', href: '/snapshot', label: 'Snapshot' },
  { key: 'drives', href: '/drives', label: 'Drives' },
  { key: 'sticks', href: '/sticks', label: 'Export sticks' },
  { key: 'snapshots', href: '/snapshots', label: 'History' },
  { key: 'alerts', href: '/alerts', label: 'Alerts' },
  { key: 'custody', href: '/custody', label: 'Custody' },
  { key: 'preaudit', href: '/preaudit', label: 'Pre-audit' },
  { key: 'audit', href: '/audit', label: 'Audit log' },
  { key: 'settings', href: '/settings', label: 'Settings' },
];

export interface PageContext {
  readonly user: User;
  readonly csrfToken: string;
  readonly electionTitle: string;
  readonly openAlerts: number;
  /** The most serious open alert: the tab badge takes its colour and mark (null or absent: none open). */
  readonly worstAlert?: AlertSeverity | null;
}

/** A hidden CSRF field: every state-changing form carries the session's token. */
export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

export const Document: FC<{ title: string; bodyClass?: string; csrfToken?: string; children?: Child }> = ({ title, bodyClass, csrfToken, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      {csrfToken === undefined ? null : <meta name="csrf-token" content={csrfToken} />}
      <title>{title} · ballotsafe</title>
      <link rel="stylesheet" href="/assets/style.css" />
      <script src="/assets/app.js" defer></script>
    </head>
    <body class={bodyClass}>{children}</body>
  </html>
);

export const Layout: FC<{ page: PageContext; active: NavKey; title: string; live?: boolean; children?: Child }> = ({ page, active, title, live, children }) => (
  <Document title={title} csrfToken={page.csrfToken} bodyClass={live === false ? undefined : 'live'}>
    <a class="skip-link" href="#main">
      Skip to the page content
    </a>
    <header class="top">
      <div class="brand">
        <strong>ballotsafe</strong>
        <span class="election">{page.electionTitle}</span>
      </div>
      <div class="who">
        <span>
          {page.user.name} <span class={`role role-${page.user.role}`}>{page.user.role}</span>
        </span>
        <form method="post" action="/logout">
          <Csrf token={page.csrfToken} />
          <button type="submit" class="button small secondary">Log out</button>
        </form>
      </div>
    </header>
    <nav class="tabs">
      {nav.map((n) => (
        <a href={n.href} class={n.key === active ? 'tab active' : 'tab'} aria-current={n.key === active ? 'page' : undefined}>
          {n.label}
          {n.key === 'alerts' && page.openAlerts > 0 ? <AlertBadge count={page.openAlerts} worst={page.worstAlert ?? 'critical'} /> : null}
        </a>
      ))}
    </nav>
    <div id="connection" class="connection" role="status" hidden>
      Lost contact with the appliance. Retrying… If this stays, check that the appliance is on.
    </div>
    <main id="main" tabindex={-1}>
      <h1>{title}</h1>
      <div class="notice bad offline-notice" data-testid="offline" role="alert">
        <p class="what">No contact with the appliance: this page may be out of date, and nothing on it can be called safe now.</p>
        <p class="next">What to do: do not remove or hand off the drives. Wait for contact to come back; if it does not, check that the appliance is on.</p>
      </div>
      {children}
    </main>
  </Document>
);

/** The open-alert count on the Alerts tab: the worst severity's colour, with its mark and word for those who cannot tell colours apart. */
const AlertBadge: FC<{ count: number; worst: AlertSeverity }> = ({ count, worst }) => (
  <span class={`badge badge-${worst}`} title={`${count} open, the most serious: ${severityWords[worst].word.toLowerCase()}`}>
    <span aria-hidden="true">{severityWords[worst].mark} </span>
    {count}
    <span class="visually-hidden"> open, the most serious: {severityWords[worst].word.toLowerCase()}</span>
  </span>
);

/** An error box that says what happened and what to do next. */
export const ErrorBox: FC<{ message: string; action?: string | undefined }> = ({ message, action }) => (
  <div class="notice bad" role="alert">
    <p class="what">{message}</p>
    {action === undefined ? null : <p class="next">What to do: {action}</p>}
  </div>
);

export const NotInstalled: FC<{ what: string }> = ({ what }) => (
  <div class="notice neutral">
    <p class="what">{what} is not available on this appliance yet.</p>
    <p class="next">Nothing to do here; this page will fill in once {what.toLowerCase()} is installed.</p>
  </div>
);
