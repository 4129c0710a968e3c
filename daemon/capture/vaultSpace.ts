/**
 * Room in the vault: every copy reserves its size first (free space read at most every 250 ms),
 * so capture stops with one clear alert before the disk fills, and resumes by itself. A vault
 * that refuses writes for another reason is one critical alert per cause.
 */
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import type { Vault } from './vault.ts';
import { cannotWrite } from './vaultProblems.ts';
import type { CaptureAlerts, CaptureSettings } from './captureTypes.ts';

export class VaultSpace {
  private reservedBytes = 0;
  private freeCache: { at: number; bytes: number } | undefined;

  constructor(
    private readonly vault: Vault,
    private readonly settings: CaptureSettings,
    private readonly logger: Logger,
    private readonly alerts: CaptureAlerts,
  ) {}

  /** Is there room in the vault for `size` more bytes? Warns and refuses with alerts. */
  async reserve(size: number, subject: string): Promise<boolean> {
    const now = Date.now();
    if (this.freeCache === undefined || now - this.freeCache.at > 250) this.freeCache = { at: now, bytes: await this.vault.freeBytes() };
    const after = this.freeCache.bytes - this.reservedBytes - size;
    if (after < this.settings.minFreeBytes) {
      logEvent(this.logger, LogEvent.CaptureVaultFull, { free: this.freeCache.bytes, needed: size, file: subject }, 'error');
      this.alerts.raiseOnce({
        severity: 'critical',
        code: 'vault-full',
        subject: 'vault',
        message: `Capturing has stopped: the appliance's disk has ${formatBytes(this.freeCache.bytes)} free and ballotsafe keeps at least ${formatBytes(this.settings.minFreeBytes)} free. New export files are waiting, not lost.`,
        action: 'Free space on the appliance disk (or replace it with a larger one); capture resumes by itself.',
      });
      return false;
    }
    if (after < this.settings.lowSpaceWarnBytes) {
      logEvent(this.logger, LogEvent.CaptureVaultLowSpace, { free: this.freeCache.bytes }, 'warn');
      this.alerts.raiseOnce({
        severity: 'warning',
        code: 'vault-low-space',
        subject: 'vault',
        message: `The appliance's disk is running low: ${formatBytes(this.freeCache.bytes)} free. Capture stops at ${formatBytes(this.settings.minFreeBytes)}.`,
        action: 'Plan to free space or replace the disk soon.',
      });
    }
    this.reservedBytes += size;
    return true;
  }

  release(bytes: number): void {
    this.reservedBytes -= bytes;
  }

  /** The disk said it is full: read the free space afresh next time and raise vault-full. */
  async refusedFull(subject: string): Promise<void> {
    this.freeCache = undefined;
    await this.reserve(Number.MAX_SAFE_INTEGER / 4, subject); // raises vault-full
  }

  /** The vault would not take a write: a critical alert once per cause (not per file or try). */
  writeFailed(code: string, message: string): void {
    this.freeCache = undefined;
    logEvent(this.logger, LogEvent.CaptureVaultWriteFailed, { vault: this.vault.dir, code, error: message }, 'error');
    if (code === 'ENOSPC' || code === 'EDQUOT') return void this.reserve(Number.MAX_SAFE_INTEGER / 4, 'vault'); // raises vault-full
    this.alerts.raiseOnce(cannotWrite(this.vault.dir, code, message));
  }
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
