/**
 * The one list of audit log actions: what `AuditLog.record` may write, with the title the
 * History page shows and a one-line doc (docs/catalogues.md is generated from it). Stored rows are
 * evidence: never rename or reuse an action; add new ones to the block of your area.
 */
export interface AuditActionSpec {
  readonly title: string;
  readonly doc: string;
}

export const AuditActions = {
  // daemon and capture
  'daemon.started': { title: 'Appliance started', doc: 'The daemon started.' },
  'daemon.stopped': { title: 'Appliance stopped', doc: 'The daemon stopped.' },
  'capture.started': { title: 'Capture started', doc: 'Capture began watching the export folders.' },
  'capture.stopped': { title: 'Capture stopped', doc: 'Capture stopped watching the export folders.' },
  'capture.scan': { title: 'Export folders scanned', doc: 'A person asked for a full scan of the export folders.' },
  // snapshots and drives
  'snapshot.requested': { title: 'Snapshot started', doc: 'A snapshot was started (by a person, a trigger or the schedule).' },
  'snapshot.finished': { title: 'Snapshot finished', doc: 'A snapshot ended; details say which drives hold it.' },
  'snapshot.refused': { title: 'Snapshot refused', doc: 'A snapshot was asked for but refused (busy, no drive, wrong step).' },
  'snapshot.drive-refused': { title: 'Drive refused', doc: 'A drive whose earlier bags do not match was not written to.' },
  'drive.enrolled': { title: 'Drive enrolled', doc: 'A drive was enrolled as a snapshot drive.' },
  'drive.enroll.refused': { title: 'Drive not enrolled', doc: 'Enrolling a drive was refused.' },
  'drive.formatted': { title: 'Drive formatted', doc: 'A drive was formatted for snapshots.' },
  'drive.eject': { title: 'Drives made safe to remove', doc: 'A person asked to make the drives safe to remove.' },
  'drive.returned': { title: 'Returned drive checked', doc: 'A drive back from the safe was verified.' },
  'custody.recorded': { title: 'Drives handed off', doc: 'A chain-of-custody hand-off was recorded.' },
  'handoff.refused': { title: 'Hand-off refused', doc: 'A hand-off was refused by the custody state.' },
  'publication.downloaded': { title: 'Publication downloaded', doc: 'A person downloaded the public copy of a snapshot.' },
  // export sticks
  'stick.enrolled': { title: 'Export stick enrolled', doc: 'An export stick was enrolled.' },
  'stick.intake': { title: 'Export stick copied', doc: 'An export stick was copied into the vault.' },
  'stick.brought-by': { title: 'Export stick brought in', doc: 'A person recorded who brought an export stick.' },
  // pre-audit
  'preaudit.style.mapped': { title: 'Ballot style mapped', doc: 'A person mapped a ballot style by hand.' },
  // alerts
  'alert.acknowledged': { title: 'Alert acknowledged', doc: 'A person acknowledged an alert.' },
  'alert.resolved': { title: 'Alert closed', doc: 'An alert closed because its cause went away.' },
  // people and sessions
  'web.login': { title: 'Logged in', doc: 'A person logged in to the status page.' },
  'web.logout': { title: 'Logged out', doc: 'A person logged out.' },
  'web.session.idle-ended': { title: 'Logged out (idle)', doc: 'A session ended after being idle.' },
  'user.added': { title: 'User added', doc: 'A user account was created.' },
  'user.disabled': { title: 'User switched off', doc: 'A user account was switched off.' },
  'user.enabled': { title: 'User switched on', doc: 'A user account was switched on again.' },
  'user.password-set': { title: 'Password changed', doc: "A user's password was set." },
} as const satisfies Record<string, AuditActionSpec>;

export type AuditAction = keyof typeof AuditActions;

export function isAuditAction(s: string): s is AuditAction {
  return Object.hasOwn(AuditActions, s);
}
