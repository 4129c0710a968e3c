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

  // alerts and audit
  AlertRaised: 'alert.raised',
  AlertAcknowledged: 'alert.acknowledged',
  AuditAction: 'audit.action',

  // snapshot
  SnapshotStarted: 'snapshot.started',
  SnapshotProgress: 'snapshot.progress',
  SnapshotFinished: 'snapshot.finished',
  SnapshotFailed: 'snapshot.failed',
  SnapshotDriveDegraded: 'snapshot.drive.degraded',
  SnapshotRecovered: 'snapshot.recovered',
  SnapshotCatchUp: 'snapshot.catch-up',
  VerifyFinished: 'verify.finished',
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
} as const;

export type LogEventName = (typeof LogEvent)[keyof typeof LogEvent];
