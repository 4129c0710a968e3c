import type { AlertRow, AlertSeverity } from '../core/state/alerts.ts';

/** The page where the clerk fixes what an alert is about, by the alert's code. */
export interface AlertPage {
  readonly href: string;
  readonly label: string;
}

const rules: readonly { readonly test: RegExp; readonly page: AlertPage }[] = [
  { test: /^(snapshot-drive|drive-|evidence-|bag-)/, page: { href: '/drives', label: 'Open the Drives page' } },
  { test: /^(snapshot|signing|vault-object|key-)/, page: { href: '/snapshot', label: 'Open the Snapshot page' } },
  { test: /^(custody|handoff)/, page: { href: '/custody', label: 'Open the Custody page' } },
  { test: /^(preaudit|import)/, page: { href: '/preaudit', label: 'Open the Pre-audit page' } },
  { test: /^(root-|capture|captured-file|file-|folder-|not-captured|zero-byte|low-space|disk-|vault)/, page: { href: '/', label: 'Open the Overview' } },
];

export function alertPage(code: string): AlertPage {
  return rules.find((r) => r.test.test(code))?.page ?? { href: '/', label: 'Open the Overview' };
}

const rank: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

/** The most serious open alert's severity, for the tab badge's colour; null when none is open. */
export function worstSeverity(open: readonly Pick<AlertRow, 'severity'>[]): AlertSeverity | null {
  let worst: AlertSeverity | null = null;
  for (const a of open) if (worst === null || rank[a.severity] > rank[worst]) worst = a.severity;
  return worst;
}

/** The word and mark shown beside each severity colour, so colour never carries it alone. */
export const severityWords: Record<AlertSeverity, { readonly word: string; readonly mark: string }> = {
  critical: { word: 'Critical', mark: '‼' },
  warning: { word: 'Warning', mark: '!' },
  info: { word: 'Note', mark: 'i' },
};
