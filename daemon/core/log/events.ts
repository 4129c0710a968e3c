/**
 * The one catalogue of log event names. Every pino line carries `event` from this list,
 * so logs can be searched and alerts can be traced to code. Add new events to the section
 * of your area; never reuse or rename an existing name (old logs are evidence).
 */
export const LogEvent = {
  // daemon lifecycle
  DaemonStarting: 'daemon.starting',
  DaemonStarted: 'daemon.started',
  DaemonStopping: 'daemon.stopping',
  ConfigInvalid: 'config.invalid',
  DbMigrated: 'db.migrated',

  // capture (watcher, vault, catalog)
  CaptureRootWatching: 'capture.root.watching',
  CaptureRootMissing: 'capture.root.missing',
  CaptureRootBack: 'capture.root.back',
  CaptureFileCaptured: 'capture.file.captured',
  CaptureFileUnchanged: 'capture.file.unchanged',
  CaptureFileChanged: 'capture.file.changed',
  CaptureFileDeleted: 'capture.file.deleted',
  CaptureFileUnreadable: 'capture.file.unreadable',
  CaptureFileUnstable: 'capture.file.unstable',
  CaptureSymlinkRecorded: 'capture.symlink.recorded',
  CaptureScanStarted: 'capture.scan.started',
  CaptureScanFinished: 'capture.scan.finished',
  CaptureVaultLowSpace: 'capture.vault.low-space',
  CaptureVaultFull: 'capture.vault.full',
  /** How the vault makes a batch durable: syncfs, or an fsync per file when `sync -f` cannot run. */
  CaptureVaultSyncMode: 'capture.vault.sync-mode',
  CaptureError: 'capture.error',
  // capture path safety (issue #14, capture slice)
  /** A captured folder was replaced by a symlink; it is recorded, never followed. */
  CaptureFolderBecameLink: 'capture.folder.became-link',
  /** The vault cannot be prepared at start (capture does not run). */
  CaptureCannotStart: 'capture.cannot-start',
  /** A write into the vault failed (temp copy or commit); capture retries. */
  CaptureVaultWriteFailed: 'capture.vault.write-failed',
  /** A FIFO, socket or device in an export: listed, never opened or captured. */
  CaptureSpecialFileListed: 'capture.special-file.listed',
  /** A captured file grew shortly after capture, keeping the captured bytes: still being written. */
  CaptureFileGrew: 'capture.file.grew',

  // alerts and audit
  AlertRaised: 'alert.raised',
  AlertAcknowledged: 'alert.acknowledged',
  AuditAction: 'audit.action',

  // runtime slice (#14): fail loudly, stop promptly, repeated alerts
  /** An open alert of a repeating cause counted more occurrences (one alert, not one per file). */
  AlertRepeated: 'alert.repeated',
  /** Capture could not start (vault unreadable, ...): retried with backoff, then the daemon exits 1. */
  CaptureStartFailed: 'capture.start.failed',
  /** The daemon gave up on a part it cannot run without and exits non-zero so systemd restarts it. */
  DaemonFatal: 'daemon.fatal',
  /** Stopping took longer than the bound: what still ran is logged and the process exits anyway. */
  DaemonStopTimeout: 'daemon.stop.timeout',
  DaemonStopped: 'daemon.stopped',
  /** SIGTERM/SIGINT arrived: the stop watchdog runs from here. */
  DaemonStopRequested: 'daemon.stop.requested',
  /** One part failed to stop; the others are still stopped. */
  DaemonStopStepFailed: 'daemon.stop.step-failed',

  // snapshot
  SnapshotStarted: 'snapshot.started',
  SnapshotProgress: 'snapshot.progress',
  SnapshotFinished: 'snapshot.finished',
  SnapshotFailed: 'snapshot.failed',
  SnapshotDriveDegraded: 'snapshot.drive.degraded',
  SnapshotRecovered: 'snapshot.recovered',
  SnapshotCatchUp: 'snapshot.catch-up',
  VerifyFinished: 'verify.finished',
  // issue #14, pinned verification and never writing over evidence: the check of earlier bags before a snapshot writes
  SnapshotEvidenceChecked: 'snapshot.evidence.checked',
  SnapshotEvidenceMismatch: 'snapshot.evidence.mismatch',
  ExportZipsFinished: 'export-zips.finished',

  // drives
  DriveAttached: 'drive.attached',
  DriveDetached: 'drive.detached',
  DriveMounted: 'drive.mounted',
  DriveEjected: 'drive.ejected',
  DriveEnrolled: 'drive.enrolled',
  DriveRefused: 'drive.refused',
  DriveVerifiedOnReturn: 'drive.verified-on-return',
  TriggerFired: 'trigger.fired',
  TriggerBusy: 'trigger.busy',
  CustodyRecorded: 'custody.recorded',

  // import and phase-1 checks
  ImportStarted: 'import.started',
  ImportFinished: 'import.finished',
  ImportFailed: 'import.failed',
  CheckReportWritten: 'check.report.written',
  // import (issue #18, CVR import slice): every file ends imported, refused or not election data
  ImportRefused: 'import.refused',
  ImportNotElectionData: 'import.not-election-data',
  ImportSameExport: 'import.same-export',
  ImportInterruptedCleaned: 'import.interrupted.cleaned',

  // pre-audit
  PreauditStarted: 'preaudit.started',
  PreauditProgress: 'preaudit.progress',
  PreauditFinished: 'preaudit.finished',
  PreauditImageRejected: 'preaudit.image.rejected',
  PreauditStyleUnresolved: 'preaudit.style.unresolved',
  PreauditStylesLearning: 'preaudit.styles.learning',
  PreauditStylesLearned: 'preaudit.styles.learned',
  PreauditStyleMappedByHand: 'preaudit.style.mapped-by-hand',

  // sample-election generator
  SampleStarted: 'sample.started',
  SampleBatchWritten: 'sample.batch.written',
  SampleFinished: 'sample.finished',

  // signer (issue #14, signer slice): the separate process that alone holds the signing key;
  // it writes these names itself (daemon/signer/ballotsafe-signer.mjs has no pino).
  SignerListening: 'signer.listening',
  SignerSigned: 'signer.signed',
  SignerRefused: 'signer.refused',
  SignerFailed: 'signer.failed',

  // web
  WebListening: 'web.listening',
  WebLoginFailed: 'web.login.failed',
  WebLoginRateLimited: 'web.login.rate-limited',
  WebRequestError: 'web.request.error',
  // web: issue #14 login and web hardening (wt/web slice)
  WebImageRefused: 'web.image.refused',
  WebAuditUnsaved: 'web.audit.unsaved',

  // custody (issue #15, custody slice): an action refused by the one custody state
  CustodyRefused: 'custody.refused',
  // custody (issue #15, second slice: one snapshot path, drives that drop out, alerts that close)
  SnapshotCrashed: 'snapshot.crashed',
  SnapshotDriveDroppedOut: 'snapshot.drive.dropped-out',
  AlertResolved: 'alert.resolved',
  // issue #17, fast-start slice (one writer discipline): a capture batch given back because another
  // process held the catalog's write lock past the wait
  CaptureCatalogBusy: 'capture.catalog.busy',

  // intake (issue #16, export-stick slice): sticks carried over from an air-gapped EMS
  StickEnrolled: 'stick.enrolled',
  StickUnknown: 'stick.unknown',
  StickIntakeStarted: 'stick.intake.started',
  StickIntakeFinished: 'stick.intake.finished',
  StickIntakeRefused: 'stick.intake.refused',
  StickUnmounted: 'stick.unmounted',
  StickUnmountFailed: 'stick.unmount-failed',

  // pre-audit (issue #20, preaudit-ux slice): `ballotsafe preaudit <folder>…` and its mapping file
  PreauditFolderRunStarted: 'preaudit.folder-run.started',
} as const;

export type LogEventName = (typeof LogEvent)[keyof typeof LogEvent];
