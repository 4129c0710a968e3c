import type { OperatorError } from '../result.ts';

/**
 * The one catalogue of alert codes: each code's severity, its title (what happened, in a few
 * words) and what to do in general. An alert's own message says the particulars (which file,
 * which drive); its action, when the call gives none, is the catalogue's. docs/catalogues.md is
 * generated from this list. Stored alerts are evidence: never rename or reuse a code; add new ones
 * to the block of your area.
 */
export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface AlertCodeSpec {
  readonly severity: AlertSeverity;
  readonly title: string;
  readonly whatToDo: string;
}

export const AlertCodes = {
  // capture: the export folders and the vault
  'root-missing': { severity: 'warning', title: 'An export folder is missing (critical when it became a link)', whatToDo: 'Check that the EMS export share is connected. Files already captured are safe.' },
  'root-back': { severity: 'info', title: 'An export folder is back', whatToDo: 'Nothing: capture resumed.' },
  'folder-unreadable': { severity: 'warning', title: 'A folder in the exports cannot be read', whatToDo: 'Ask the EMS administrator to fix the folder permissions; capture tries again.' },
  'file-unreadable': { severity: 'warning', title: 'A file in the exports cannot be read', whatToDo: 'Ask the EMS administrator to fix the file permissions; capture tries again.' },
  'file-unstable': { severity: 'warning', title: 'A file keeps changing while it is read', whatToDo: 'Wait for the EMS to finish writing it; capture tries again.' },
  'zero-byte-file': { severity: 'info', title: 'An empty file was captured', whatToDo: 'Check on the EMS that the export finished.' },
  'captured-file-changed': { severity: 'critical', title: 'A captured file changed', whatToDo: 'Tell the supervisor: the captured version is kept; find out why the file changed on the EMS.' },
  'captured-file-grew': { severity: 'info', title: 'A captured file grew', whatToDo: 'Nothing: the EMS was still writing it; the longer version is captured too.' },
  'captured-file-deleted': { severity: 'critical', title: 'A captured file disappeared', whatToDo: 'Tell the supervisor: the captured copy is kept; find out why it was removed on the EMS.' },
  'captured-file-renamed': { severity: 'info', title: 'A captured file was renamed', whatToDo: 'Nothing: the same content is captured under its new name.' },
  'folder-became-link': { severity: 'critical', title: 'A captured folder was replaced by a link', whatToDo: 'Tell the supervisor: the link is not followed; find out who changed the export share.' },
  'not-captured-special-files': { severity: 'warning', title: 'Special files in the exports were not captured', whatToDo: 'Ask the EMS administrator what they are; the appliance never opens them.' },
  'vault-low-space': { severity: 'warning', title: "The appliance's disk is running low", whatToDo: 'Tell the supervisor; call technical support before it fills.' },
  'vault-full': { severity: 'critical', title: "Capture stopped: the appliance's disk is full", whatToDo: 'Tell the supervisor now and call technical support. New exports wait on the EMS.' },
  'vault-write-failed': { severity: 'critical', title: 'Writing into the vault failed', whatToDo: 'Call technical support; capture tries again.' },
  'capture-cannot-start': { severity: 'critical', title: 'Capture cannot start', whatToDo: 'Call the appliance administrator; keep the EMS exports where they are.' },
  'catalog-busy': { severity: 'warning', title: 'Capture had to wait for the catalog', whatToDo: 'Nothing if it clears: the files are captured on the next try.' },
  // snapshots and drives
  'snapshot-drive-failed': { severity: 'critical', title: 'A drive failed during a snapshot', whatToDo: 'Replace the drive with an enrolled one and run the snapshot again.' },
  'drive-return-verify-failed': { severity: 'critical', title: 'A returned drive failed its check', whatToDo: 'Keep the drive apart and tell the supervisor.' },
  // import and pre-audit
  'import-failed': { severity: 'warning', title: 'An EMS export could not be imported', whatToDo: 'Read the import report; export the file again from the EMS.' },
  'preaudit-disagreement': { severity: 'warning', title: 'The pre-audit disagrees with the EMS', whatToDo: 'Open the pre-audit report and look at the ballots it lists.' },
  'preaudit-style-needs-mapping': { severity: 'warning', title: 'A ballot style needs a person', whatToDo: 'Open the pre-audit page and map the style by hand.' },
  // export sticks
  'stick-not-enrolled': { severity: 'warning', title: 'An unknown stick was plugged in', whatToDo: 'Remove it; only enrolled export sticks are read.' },
  'stick-intake-incomplete': { severity: 'critical', title: 'An export stick was copied only in part', whatToDo: 'Plug the stick in again; if that fails, ask the EMS staff for a new export.' },
  'stick-intake-refused': { severity: 'warning', title: 'An export stick was not read', whatToDo: 'See the Export sticks page for why.' },
  'stick-not-unmounted': { severity: 'critical', title: 'An export stick could not be made safe to remove', whatToDo: 'Leave it plugged in and call technical support.' },
} as const satisfies Record<string, AlertCodeSpec>;

export type CataloguedAlertCode = keyof typeof AlertCodes;

declare const forwarded: unique symbol;
/**
 * The code of an operator error raised as an alert as it stands (a snapshot that could not be
 * signed, a drive refused before writing, an unreadable image archive): its message and action
 * are the error's own, so the code is the error's and not listed above.
 */
export type ForwardedAlertCode = string & { readonly [forwarded]: true };

export function forwardedCode(e: Pick<OperatorError, 'code'>): ForwardedAlertCode {
  return e.code as ForwardedAlertCode;
}

export type AlertCode = CataloguedAlertCode | ForwardedAlertCode;

export function alertCodeSpec(code: string): AlertCodeSpec | undefined {
  return Object.hasOwn(AlertCodes, code) ? AlertCodes[code as CataloguedAlertCode] : undefined;
}
