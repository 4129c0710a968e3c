import { ev, type EventSpec } from './eventSpec.ts';

/**
 * The one catalogue of log events. Every pino line carries `event` from this list, so logs can be
 * searched and alerts traced to code. An entry is `Key: ev(name, level, doc, fields)`:
 * - level: what `logEvent` writes at unless the call names a level for its case;
 * - doc: one line saying what happened (docs/catalogues.md is generated from it);
 * - fields: name → 'string' | 'number' | 'boolean' | 'string[]' | 'json', '|null' when it may be
 *   null, a trailing '?' when a call may leave it out. `logEvent` checks a call's fields against them.
 * An error's text is always the field `error` (its code `code`), never msg/message/err.
 * Add new events to the block of your area; never reuse or rename an existing name (old logs are evidence).
 */
export const LogEvents = {
  // daemon lifecycle
  DaemonStarting: ev('daemon.starting', 'info', 'The daemon starts: the watched roots, data folder and drive mode it uses.', { roots: 'string[]', dataDir: 'string', drives: 'string' }),
  DaemonStarted: ev('daemon.started', 'info', 'Every part is running and the status page answers at url.', { url: 'string' }),
  DaemonStopping: ev('daemon.stopping', 'info', 'The daemon begins stopping its parts.', {}),
  ConfigInvalid: ev('config.invalid', 'error', 'The configuration file was refused (kept for old logs; the CLI now prints the reason).', { error: 'string?' }),
  DbMigrated: ev('db.migrated', 'info', 'The catalog database is open and its schema is up to date.', { path: 'string' }),

  // capture (watcher, vault, catalog)
  CaptureRootWatching: ev('capture.root.watching', 'info', 'A watched export folder is being watched (polling on network shares).', { root: 'string', path: 'string', polling: 'boolean' }),
  CaptureRootMissing: ev('capture.root.missing', 'warn', 'A watched export folder is missing or unreadable; capture waits for it.', { root: 'string', path: 'string', error: 'string' }),
  CaptureRootBack: ev('capture.root.back', 'info', 'A missing export folder is back; capture resumes.', { root: 'string', path: 'string' }),
  CaptureFileCaptured: ev('capture.file.captured', 'debug', 'A file (or a new version of it) was copied into the vault and catalogued.', { root: 'string', relPath: 'string', sha256: 'string', size: 'number', kind: 'string', versionId: 'number' }),
  CaptureFileUnchanged: ev('capture.file.unchanged', 'debug', 'A rescanned file has the captured content; nothing to do.', { root: 'string', relPath: 'string', sha256: 'string' }),
  CaptureFileChanged: ev('capture.file.changed', 'warn', 'An already captured file changed in the export; the captured version is kept and the new one captured too.', { root: 'string', relPath: 'string', before: 'string', after: 'string' }),
  CaptureFileDeleted: ev('capture.file.deleted', 'warn', 'A captured file disappeared from the export (or was renamed); the captured copy is kept.', { root: 'string', relPath: 'string', sha256: 'string', renamedTo: 'string?' }),
  CaptureFileUnreadable: ev('capture.file.unreadable', 'warn', 'A file or folder in the export could not be read; it is retried on the next scan.', { root: 'string', relPath: 'string?', dir: 'string?', code: 'string' }),
  CaptureFileUnstable: ev('capture.file.unstable', 'warn', 'A file kept changing while being read; it is tried again later.', { root: 'string', relPath: 'string', reason: 'string', attempts: 'number?' }),
  CaptureSymlinkRecorded: ev('capture.symlink.recorded', 'info', 'A symlink in the export was recorded with its target, never followed.', { root: 'string', relPath: 'string', target: 'string' }),
  CaptureScanStarted: ev('capture.scan.started', 'info', 'A full scan of a watched folder begins.', { root: 'string' }),
  CaptureScanFinished: ev('capture.scan.finished', 'info', 'A full scan of a watched folder ended, with its counts.', { root: 'string', dirs: 'number', files: 'number', unchanged: 'number', captured: 'number', deduplicated: 'number', sameContent: 'number', changed: 'number', deleted: 'number', bytesRead: 'number', unstable: 'number', failed: 'number', symlinks: 'number' }),
  CaptureVaultLowSpace: ev('capture.vault.low-space', 'warn', 'The vault disk is running low on free space.', { free: 'number' }),
  CaptureVaultFull: ev('capture.vault.full', 'error', 'A file could not be captured because the vault disk is full.', { free: 'number', needed: 'number', file: 'string' }),
  CaptureError: ev('capture.error', 'error', 'Capturing a file or a batch failed unexpectedly; it is retried.', { root: 'string?', relPath: 'string?', files: 'number?', watcher: 'boolean?', error: 'string' }),
  // capture path safety (issue #14, capture slice)
  CaptureFolderBecameLink: ev('capture.folder.became-link', 'error', 'A captured folder was replaced by a symlink; it is recorded, never followed.', { root: 'string', relPath: 'string', target: 'string?' }),
  CaptureCannotStart: ev('capture.cannot-start', 'error', 'The vault cannot be prepared at start (capture does not run).', { vault: 'string', code: 'string', error: 'string' }),
  CaptureVaultWriteFailed: ev('capture.vault.write-failed', 'error', 'A write into the vault failed (temp copy or commit); capture retries.', { vault: 'string', code: 'string', error: 'string' }),
  CaptureSpecialFileListed: ev('capture.special-file.listed', 'warn', 'A FIFO, socket or device in an export: listed, never opened or captured.', { root: 'string', relPath: 'string', type: 'string' }),
  CaptureFileGrew: ev('capture.file.grew', 'info', 'A captured file grew shortly after capture, keeping the captured bytes: still being written.', { root: 'string', relPath: 'string', before: 'string', after: 'string' }),

  // alerts and audit
  AlertRaised: ev('alert.raised', 'warn', 'An alert was raised for the operator (info alerts log at info).', { alertId: 'number', code: 'string', severity: 'string', subject: 'string?', message: 'string' }),
  AlertAcknowledged: ev('alert.acknowledged', 'info', 'A person acknowledged an alert.', { alertId: 'number', by: 'string' }),
  AuditAction: ev('audit.action', 'info', 'An action was written to the append-only audit log.', { actor: 'string', action: 'string', details: 'json?' }),

  // runtime slice (#14): fail loudly, stop promptly, repeated alerts
  AlertRepeated: ev('alert.repeated', 'info', 'An open alert of a repeating cause counted more occurrences (one alert, not one per file).', { alertId: 'number', code: 'string', group: 'string', count: 'number', added: 'number' }),
  CaptureStartFailed: ev('capture.start.failed', 'error', 'Capture could not start (vault unreadable, ...): retried with backoff, then the daemon exits 1.', { attempt: 'number', attempts: 'number', code: 'string?', error: 'string' }),
  DaemonFatal: ev('daemon.fatal', 'error', 'The daemon gave up on a part it cannot run without and exits non-zero so systemd restarts it.', { code: 'string', error: 'string' }),
  DaemonStopTimeout: ev('daemon.stop.timeout', 'warn', 'Stopping took longer than the bound: what still ran is logged and the process exits anyway.', { signal: 'string', reason: 'string?', boundMs: 'number?', stoppedCleanly: 'boolean?', stillRunning: 'string[]' }),
  DaemonStopped: ev('daemon.stopped', 'info', 'Every part stopped; the process exits.', {}),
  DaemonStopRequested: ev('daemon.stop.requested', 'info', 'SIGTERM/SIGINT arrived: the stop watchdog runs from here.', { signal: 'string', boundMs: 'number' }),
  DaemonStopStepFailed: ev('daemon.stop.step-failed', 'error', 'One part failed to stop; the others are still stopped.', { step: 'string', error: 'string' }),

  // snapshot
  SnapshotStarted: ev('snapshot.started', 'info', 'A snapshot begins writing a bag to the drives.', { sequence: 'number', bagName: 'string', files: 'number', bytes: 'number', reason: 'string', full: 'boolean', rootHash: 'string' }),
  SnapshotProgress: ev('snapshot.progress', 'info', 'Every few seconds of a snapshot: files and bytes written and read back, per drive.', { phase: 'string', filesDone: 'number?', filesTotal: 'number?', bytesDone: 'number?', bytesTotal: 'number?', filesVerified: 'number?', bytesPerSecond: 'number?', secondsLeft: 'number|null?', perDrive: 'string[]?', role: 'string?', error: 'string?' }),
  SnapshotFinished: ev('snapshot.finished', 'info', 'A snapshot ended; perDrive says which drives hold the verified bag.', { sequence: 'number', bagName: 'string', rootHash: 'string', files: 'number', bytes: 'number', perDrive: 'string[]' }),
  SnapshotFailed: ev('snapshot.failed', 'error', 'A snapshot did not complete (warn when nothing was written, e.g. nothing new or a drive missing).', { code: 'string?', error: 'string', bagName: 'string?', reason: 'string?', phase: 'string?' }),
  SnapshotDriveDegraded: ev('snapshot.drive.degraded', 'warn', 'One drive failed during a snapshot; the other carries on.', { role: 'string', bagName: 'string?', code: 'string', error: 'string' }),
  SnapshotRecovered: ev('snapshot.recovered', 'info', 'Bags of an interrupted snapshot were recovered at start.', { written: 'string[]' }),
  SnapshotCatchUp: ev('snapshot.catch-up', 'info', 'A drive that missed a bag is being brought up to date.', { bagName: 'string', drives: 'string[]' }),
  VerifyFinished: ev('verify.finished', 'info', 'A drive verification ended (kept for old logs; verify now reports on its own output).', {}),
  // issue #14, pinned verification and never writing over evidence: the check of earlier bags before a snapshot writes
  SnapshotEvidenceChecked: ev('snapshot.evidence.checked', 'info', 'The earlier bags on a drive were re-read and checked before writing a new one.', { role: 'string', bags: 'number', files: 'number', bytes: 'number', ms: 'number', problems: 'number' }),
  SnapshotEvidenceMismatch: ev('snapshot.evidence.mismatch', 'error', 'Earlier bags on a drive do not match their manifests; nothing is written over them.', { role: 'string', drive: 'string', problems: 'string[]' }),
  ExportZipsFinished: ev('export-zips.finished', 'info', 'Zip files for an outside reviewer were written.', { dest: 'string', zips: 'number', files: 'number' }),

  // drives
  DriveAttached: ev('drive.attached', 'info', 'A USB drive was plugged in.', { device: 'string', serial: 'string|null', uuid: 'string|null', label: 'string|null' }),
  DriveDetached: ev('drive.detached', 'info', 'A USB drive was unplugged.', { device: 'string', serial: 'string|null', uuid: 'string|null' }),
  DriveMounted: ev('drive.mounted', 'info', 'An enrolled drive was mounted for a snapshot.', { device: 'string', role: 'string', mountpoint: 'string?', nosymfollow: 'boolean?' }),
  DriveEjected: ev('drive.ejected', 'info', 'A drive was unmounted (and powered off when it could be) to be handed off.', { role: 'string', device: 'string|null', poweredOff: 'boolean', actor: 'string' }),
  DriveEnrolled: ev('drive.enrolled', 'info', 'A drive was enrolled as a snapshot drive.', { driveId: 'string', role: 'string', rotationSet: 'number|null', serial: 'string|null', fsUuid: 'string|null' }),
  DriveRefused: ev('drive.refused', 'warn', 'A plugged-in drive was not used (unknown, wrong format, ...).', { device: 'string?', code: 'string', error: 'string' }),
  DriveVerifiedOnReturn: ev('drive.verified-on-return', 'info', 'A drive that came back from a safe was verified (warn when it failed).', { driveId: 'string', role: 'string', ok: 'boolean', filesChecked: 'number' }),
  TriggerFired: ev('trigger.fired', 'info', 'A snapshot trigger fired (schedule, poll close, button).', { reason: 'string', why: 'string' }),
  TriggerBusy: ev('trigger.busy', 'info', 'A snapshot trigger fired while a snapshot was running; it was not started twice.', { reason: 'string', actor: 'string' }),
  CustodyRecorded: ev('custody.recorded', 'info', 'A chain-of-custody record was written for a hand-off.', { custodyId: 'number', snapshot: 'number', rootHash: 'string' }),

  // import and phase-1 checks
  ImportStarted: ev('import.started', 'info', 'A captured EMS export is being imported.', { file: 'string', format: 'string' }),
  ImportFinished: ev('import.finished', 'info', 'An EMS export was imported.', { file: 'string', format: 'string', records: 'number', ms: 'number', warnings: 'number' }),
  ImportFailed: ev('import.failed', 'warn', 'An EMS export could not be imported, or its check report not written; the report says why.', { file: 'string?', format: 'string?', code: 'string?', error: 'string', report: 'string?' }),
  CheckReportWritten: ev('check.report.written', 'info', 'The phase-1 check report (JSON, spreadsheet, Arlo manifest) was written.', { json: 'string', xlsx: 'string', clean: 'boolean', cvrRecords: 'number', arlo: 'string' }),
  // import (issue #18, CVR import slice): every file ends imported, refused or not election data
  ImportRefused: ev('import.refused', 'warn', 'A captured file looked like election data but was refused.', { file: 'string', format: 'string' }),
  ImportNotElectionData: ev('import.not-election-data', 'info', 'A captured file is not election data and is not imported.', { file: 'string', why: 'string' }),
  ImportSameExport: ev('import.same-export', 'info', 'A captured export repeats one already imported.', { file: 'string', copyOf: 'string?', supersedes: 'string[]?' }),
  ImportInterruptedCleaned: ev('import.interrupted.cleaned', 'info', 'Half-done imports from an interrupted run were removed at start.', { sources: 'number' }),

  // pre-audit
  PreauditStarted: ev('preaudit.started', 'info', 'A pre-audit run begins.', { sheets: 'number', toRead: 'number', skipped: 'number', greyJpegDecoder: 'string' }),
  PreauditProgress: ev('preaudit.progress', 'info', 'Every few seconds of a pre-audit run.', { phase: 'string?', done: 'number', total: 'number', skipped: 'number?', errors: 'number?' }),
  PreauditFinished: ev('preaudit.finished', 'info', 'A pre-audit run ended (warn when it stopped on an error).', { phase: 'string?', done: 'number?', total: 'number?', skipped: 'number?', errors: 'number?', ballotsCompared: 'number?', ballotsWithoutCvr: 'number?', disagreements: 'number?', gray: 'number?', error: 'string?' }),
  PreauditImageRejected: ev('preaudit.image.rejected', 'warn', 'A ballot image could not be read.', { sheet: 'string', code: 'string', error: 'string' }),
  PreauditStyleUnresolved: ev('preaudit.style.unresolved', 'warn', 'A ballot style could not be matched to the election definition; a person must map it.', { style: 'string', printed: 'string', reason: 'string', unresolved: 'number' }),
  PreauditStylesLearning: ev('preaudit.styles.learning', 'info', 'Ballot styles are being learned from the images.', { sheets: 'number', contests: 'number', sources: 'string[]' }),
  PreauditStylesLearned: ev('preaudit.styles.learned', 'info', 'Ballot styles were learned; needsPerson lists those a person must map.', { sheetsSampled: 'number', sheetsUnusable: 'number', mapped: 'string[]', needsPerson: 'json', registerMs: 'number', ocrMs: 'number', ocrMsPerStyle: 'json' }),
  PreauditStyleMappedByHand: ev('preaudit.style.mapped-by-hand', 'info', 'A person mapped a ballot style by hand.', { style: 'string', by: 'string', targets: 'number', sheetsToRead: 'number' }),

  // sample-election generator
  SampleStarted: ev('sample.started', 'info', 'The sample-election generator begins.', { out: 'string', seed: 'number', ballots: 'number', batches: 'number', format: 'string' }),
  SampleBatchWritten: ev('sample.batch.written', 'info', 'The generator wrote one batch of ballots.', { tabulatorId: 'number', batchId: 'number', sheets: 'number', index: 'number', total: 'number' }),
  SampleFinished: ev('sample.finished', 'info', 'The sample-election generator ended.', { out: 'string', sheets: 'number', imageFiles: 'number', seconds: 'number' }),

  // signer (issue #14, signer slice): the separate process that alone holds the signing key;
  // it writes these names itself (daemon/signer/ballotsafe-signer.mjs has no pino).
  SignerListening: ev('signer.listening', 'info', 'The signer process is ready on its socket.', { keyId: 'string', socket: 'string' }),
  SignerSigned: ev('signer.signed', 'info', 'The signer signed a bag manifest.', { keyId: 'string', prehash: 'string', trustedComment: 'string' }),
  SignerRefused: ev('signer.refused', 'warn', 'The signer refused a request.', { reason: 'string' }),
  SignerFailed: ev('signer.failed', 'error', 'The signer failed to answer a request.', { error: 'string' }),

  // web
  WebListening: ev('web.listening', 'info', 'The status page answers at url.', { url: 'string' }),
  WebLoginFailed: ev('web.login.failed', 'warn', 'A sign-in was refused.', { name: 'string', address: 'string', code: 'string' }),
  WebLoginRateLimited: ev('web.login.rate-limited', 'warn', 'Too many failed sign-ins: this name or address waits before trying again.', { name: 'string', address: 'string', waitMs: 'number', limitedBy: 'string' }),
  WebRequestError: ev('web.request.error', 'error', 'A web request failed inside the appliance (a bug); the page shows a plain message.', { path: 'string', method: 'string', error: 'string', stack: 'string?' }),
  // web: issue #14 login and web hardening (wt/web slice)
  WebImageRefused: ev('web.image.refused', 'warn', 'A ballot image was not served (outside the vault or unreadable).', { imageId: 'number', code: 'string' }),
  WebAuditUnsaved: ev('web.audit.unsaved', 'error', 'An action could not be written to the audit log.', { actor: 'string', action: 'string' }),

  // custody (issue #15, custody slice): an action refused by the one custody state
  CustodyRefused: ev('custody.refused', 'warn', 'The custody state refused an action (wrong drive, wrong step).', { action: 'string', code: 'string', error: 'string' }),
  // custody (issue #15, second slice: one snapshot path, drives that drop out, alerts that close)
  SnapshotCrashed: ev('snapshot.crashed', 'error', 'The snapshot engine threw (a bug); the job is marked failed.', { error: 'string', stack: 'string?' }),
  SnapshotDriveDroppedOut: ev('snapshot.drive.dropped-out', 'warn', 'A drive dropped out in the middle of a snapshot.', { role: 'string', code: 'string', error: 'string' }),
  AlertResolved: ev('alert.resolved', 'info', 'An open alert was closed because its cause went away.', { alertId: 'number', code: 'string', role: 'string', message: 'string' }),
  // issue #17, fast-start slice (one writer discipline): a capture batch given back because another
  // process held the catalog's write lock past the wait
  CaptureCatalogBusy: ev('capture.catalog.busy', 'warn', 'A capture batch was given back because another process held the catalog past the wait.', { error: 'string', files: 'number' }),

  // intake (issue #16, export-stick slice): sticks carried over from an air-gapped EMS
  StickEnrolled: ev('stick.enrolled', 'info', 'An export stick was enrolled.', { stickId: 'string', serial: 'string|null', fsUuid: 'string|null' }),
  StickUnknown: ev('stick.unknown', 'warn', 'A stick that is not enrolled was plugged in; nothing is read from it.', { device: 'string', serial: 'string|null', uuid: 'string|null' }),
  StickIntakeStarted: ev('stick.intake.started', 'info', 'Copying an export stick into the vault begins.', { intakeId: 'number', stickId: 'string', device: 'string', serial: 'string|null' }),
  StickIntakeFinished: ev('stick.intake.finished', 'info', 'An export stick was copied (warn when not everything was captured).', { intakeId: 'number', status: 'string', files: 'number', bytes: 'number', manifestSha256: 'string|null', removable: 'boolean' }),
  StickIntakeRefused: ev('stick.intake.refused', 'warn', 'An export stick was not read.', { intakeId: 'number?', device: 'string?', code: 'string', error: 'string' }),
  StickUnmounted: ev('stick.unmounted', 'info', 'An export stick was unmounted and can be removed.', { intakeId: 'number' }),
  StickUnmountFailed: ev('stick.unmount-failed', 'warn', 'An export stick could not be unmounted.', { intakeId: 'number', error: 'string' }),
  // pre-audit (issue #20, preaudit-ux slice): `ballotsafe preaudit <folder>…` and its mapping file
  PreauditFolderRunStarted: ev('preaudit.folder-run.started', 'info', 'A pre-audit on folders given on the command line begins (no appliance configuration).', { folders: 'string[]', dataDir: 'string', temporary: 'boolean', mappingLines: 'number' }),
  // pre-audit (issue #19, domstyle slice): a sheet's style from its CVR's ballot type when its printed code is not read
  PreauditStylesFromCvr: ev('preaudit.styles.from-cvr', 'info', "Sheets whose printed style code was not read get the style their CVR's ballot type is printed as; sheets printed as another style than their CVR's type are set aside; sheets set aside before whose CVR now agrees (a corrected export) are read again (rechecked, issue #19 leftovers slice).", { ballotTypes: 'number', readAgain: 'number', confirmed: 'number', disagreeing: 'number', rechecked: 'number?' }),
  PreauditStyleNotCvrType: ev('preaudit.style.not-cvr-type', 'warn', "A sheet's CVR names another ballot type than the other sheets printed like it (styleType, of styleSheets); it is not compared.", { sheet: 'string', ballotType: 'string', style: 'string', styleType: 'string?', styleSheets: 'number' }),
  // pre-audit (issue #17, memory slice): style learning in a child process that gives its memory back when it exits
  PreauditLearnProcessEnded: ev('preaudit.learn-process.ended', 'info', 'The style-learning process ended, its memory back to the system; peakRssMb is the most it held.', { pid: 'number', ms: 'number', peakRssMb: 'number' }),
  PreauditLearnProcessFailed: ev('preaudit.learn-process.failed', 'error', 'The style-learning process failed or was killed (out of memory, a bug); the pass fails and is tried again later.', { pid: 'number|null', code: 'number|null', signal: 'string|null', error: 'string' }),
  // pre-audit (issue #19, learner slice): a sheet with a smudged printed style code is not learned as a style of its own
  PreauditStyleCodeDamaged: ev('preaudit.style.code-damaged', 'warn', "No style was learned from a single sheet whose printed code is far from every other while its CVR's ballot type is printed as a learned style; the CVR step or a person gives it its style.", { sheet: 'string', code: 'string', ballotType: 'string', typeStyle: 'string', nearestMarks: 'number|null' }),
  // importer (issue #21, phase1zip slice): an ES&S ballot-image zip's images listed for phase 1's checks
  ImportImageZipListed: ev('import.image-zip.listed', 'info', "A captured ballot-image zip's directory was listed (nothing unpacked) so phase 1 counts and links the images inside it.", { file: 'string', images: 'number', cvrPrintouts: 'number' }),
  ImportImageZipUnlisted: ev('import.image-zip.unlisted', 'warn', "A captured ballot-image zip's directory could not be listed (damaged, a possible zip bomb): phase 1 counts none of its images and says why; the pre-audit refuses it with an alert.", { file: 'string', code: 'string', error: 'string' }),
} as const satisfies Record<string, EventSpec>;

type Catalogue = typeof LogEvents;

/** Event names by key, as code writes them: `logEvent(logger, LogEvent.CaptureFileChanged, {...})`. */
export const LogEvent = Object.fromEntries(Object.entries(LogEvents).map(([k, e]) => [k, e.name])) as { readonly [K in keyof Catalogue]: Catalogue[K]['name'] };

export type LogEventName = Catalogue[keyof Catalogue]['name'];

/** The catalogue entry of an event name. */
export type EventEntry<N extends LogEventName> = Extract<Catalogue[keyof Catalogue], { readonly name: N }>;

const byName = new Map<string, EventSpec>(Object.values(LogEvents).map((e) => [e.name, e]));

/** The catalogued entry of a name (undefined for a name not in the catalogue). */
export function eventEntry(name: string): EventSpec | undefined {
  return byName.get(name);
}
