import type { Db } from '../core/db/database.ts';
import { isDatabaseBusy } from '../core/db/writeDiscipline.ts';
import type { NewAlert } from '../core/state/alerts.ts';

type OpenOnce = NewAlert & { subject: string };

/** The alert for a capture batch whose catalog rows could not be written: another program kept the catalog busy. */
export function catalogBusyAlert(files: number, waitedMs: number): OpenOnce {
  const seconds = Math.max(1, Math.round(waitedMs / 1000));
  return {
    severity: 'warning',
    code: 'catalog-busy',
    subject: 'catalog',
    message: `Capture could not record ${files === 1 ? 'a new file' : `${files} new files`} in its catalog: another ballotsafe program kept the catalog busy for more than ${seconds} ${seconds === 1 ? 'second' : 'seconds'}. Nothing is lost: the files are still in the export folder, and capture tries again by itself.`,
    action: 'Nothing to do if this alert does not come back. If it keeps coming back, tell the person who looks after the appliance: a task on it may be holding the catalog.',
    details: { files, waitedMs },
  };
}

/**
 * A batch whose catalog transaction failed because another process held the write lock past the
 * wait (db/writeDiscipline.ts) is given back and retried; the clerk gets an alert, not just a log
 * line. The alert is a write too, so while the lock is still held it waits for the next chance.
 */
export class CatalogBusyAlerts {
  private pending: OpenOnce | undefined;

  constructor(
    private readonly db: Db,
    private readonly raiseOnce: (alert: OpenOnce) => void,
  ) {}

  /** True when `e` is the catalog being busy (the alert is raised now or after the next write). */
  batchFailed(e: unknown, files: number): boolean {
    if (!isDatabaseBusy(e)) return false;
    this.pending = catalogBusyAlert(files, Number(this.db.pragma('busy_timeout', { simple: true })));
    this.raisePending();
    return true;
  }

  /** Raises the alert still owed, if any; call after a write went through. */
  raisePending(): void {
    const alert = this.pending;
    if (alert === undefined) return;
    try {
      this.raiseOnce(alert);
      this.pending = undefined;
    } catch (e) {
      if (!isDatabaseBusy(e)) throw e;
    }
  }
}
