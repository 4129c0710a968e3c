/**
 * Is a watched root there? A dropped network share shows up as a missing folder, an error, or an
 * empty mount point; the last is told from "everything deleted" by the catalog holding files for
 * it. The "missing" mark is a fact in the catalog, so it outlives a restart.
 */
import { readdirSync } from 'node:fs';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import type { CatalogWriter } from './catalogWriter.ts';
import type { PinnedRoots } from './dirAccess.ts';
import { encodePathBytes } from './pathCodec.ts';
import { plainReason } from './plainReason.ts';
import { errCode, type CaptureAlerts, type CaptureRoot } from './captureTypes.ts';

export class RootPresence {
  constructor(
    private readonly rootDirs: PinnedRoots,
    private readonly writer: CatalogWriter,
    private readonly logger: Logger,
    private readonly alerts: CaptureAlerts,
  ) {}

  private missingKey(root: CaptureRoot): string {
    return `capture.root-missing:${root.label}`;
  }

  isMarkedMissing(root: CaptureRoot): boolean {
    return this.writer.getFact(this.missingKey(root)) !== undefined;
  }

  /** While a root is missing, nothing under it is reported deleted. */
  checkRoot(root: CaptureRoot): boolean {
    let problem: string | undefined;
    let becameLink = false;
    const opened = this.rootDirs.openDir(root.path, Buffer.alloc(0));
    if (!opened.ok) {
      becameLink = opened.error.code === 'ELOOP';
      problem = becameLink
        ? `was replaced by a link${opened.error.linkTarget === undefined ? '' : ` to "${encodePathBytes(opened.error.linkTarget)}"`}, which ballotsafe does not follow (a possible attack)`
        : `cannot be reached: ${plainReason(opened.error.code)}`;
    } else {
      try {
        if (readdirSync(opened.value.access).length === 0 && this.writer.hasCurrentRows(root.label)) problem = 'is empty although files were captured from it (a disconnected share?)';
      } catch (e) {
        problem = `cannot be reached: ${plainReason(errCode(e))}`;
      } finally {
        opened.value.release();
      }
    }
    const wasMissing = this.isMarkedMissing(root);
    if (problem !== undefined) {
      if (!wasMissing) {
        this.writer.setFact(this.missingKey(root), new Date().toISOString());
        logEvent(this.logger, LogEvent.CaptureRootMissing, { root: root.label, path: root.path, problem }, 'warn');
        this.alerts.raise({
          severity: becameLink ? 'critical' : 'warning',
          code: 'root-missing',
          subject: root.label,
          message: `The export folder "${root.label}" ${problem}. Capturing from it is paused; nothing captured is lost.`,
          action: 'Reconnect the share or drive. Capture resumes by itself when the folder is back.',
        });
      }
      return false;
    }
    if (wasMissing) {
      this.writer.setFact(this.missingKey(root), undefined);
      logEvent(this.logger, LogEvent.CaptureRootBack, { root: root.label, path: root.path });
      this.alerts.raise({ severity: 'info', code: 'root-back', subject: root.label, message: `The export folder "${root.label}" is back; capture resumed.` });
    }
    return true;
  }
}
