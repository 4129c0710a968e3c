import type { NewAlert } from '../core/state/alerts.ts';
import { operatorError, type OperatorError } from '../core/result.ts';

/**
 * What capture says when its own vault (on the appliance's disk) fails it: at start, or while
 * writing. Clerks get plain words; the system's error code goes into the alert's details only.
 */

/** The disk problem behind a system error code, in plain words. */
export function diskProblemInWords(code: string): string {
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'the ballotsafe service is not allowed to use it';
    case 'EROFS':
      return 'the disk has become read-only';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'the disk is full';
    case 'EIO':
      return 'the disk reports read or write errors';
    case 'ENOENT':
    case 'ENOTDIR':
      return 'the folder is missing or is not a folder';
    default:
      return 'an unexpected disk error';
  }
}

/** Capture cannot start: the runtime stops the daemon (systemd restarts it) after raising this alert. */
export function cannotStart(vaultDir: string, code: string): { readonly failure: OperatorError; readonly alert: NewAlert & { subject: string } } {
  const message = `Capture cannot start: ballotsafe cannot use its vault folder ${vaultDir} (${diskProblemInWords(code)}). No export files are being captured.`;
  const action =
    'Call the person who looks after the appliance: the vault folder must exist and belong to the ballotsafe service, on a healthy disk. ballotsafe restarts by itself and captures everything waiting once this is fixed.';
  return {
    failure: operatorError('capture-cannot-start', message, action),
    alert: { severity: 'critical', code: 'capture-cannot-start', subject: 'vault', message, action, details: { code, vault: vaultDir } },
  };
}

/** Writing into the vault failed: one open alert per cause; capture keeps retrying. */
export function cannotWrite(vaultDir: string, code: string, error: string): NewAlert & { subject: string } {
  return {
    severity: 'critical',
    code: 'vault-write-failed',
    subject: `vault:${code}`,
    message: `Capturing has stopped: ballotsafe cannot write into its vault folder ${vaultDir} (${diskProblemInWords(code)}). New export files are waiting, not lost.`,
    action: 'Call the person who looks after the appliance to fix the disk. Capture retries by itself and catches up once it can write again.',
    details: { code, error, vault: vaultDir },
  };
}
