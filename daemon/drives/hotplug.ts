import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { LogEvent } from '../core/log/events.ts';
import { logEvent, type Logger } from '../core/log/logger.ts';
import type { Result } from '../core/result.ts';
import type { DriveCandidate } from './types.ts';
import { isBlockEvent, UdevMonitorParser } from './udevMonitor.ts';

/** A stable key for "the same drive with the same file system". */
export function candidateKey(c: DriveCandidate): string {
  return `${c.disk}|${c.serial ?? ''}|${c.uuid ?? ''}`;
}

export interface DriveChanges {
  readonly attached: DriveCandidate[];
  readonly detached: DriveCandidate[];
}

export function diffCandidates(before: readonly DriveCandidate[], after: readonly DriveCandidate[]): DriveChanges {
  const was = new Map(before.map((c) => [candidateKey(c), c]));
  const now = new Map(after.map((c) => [candidateKey(c), c]));
  return {
    attached: [...now].filter(([k]) => !was.has(k)).map(([, c]) => c),
    detached: [...was].filter(([k]) => !now.has(k)).map(([, c]) => c),
  };
}

export interface HotplugEvents {
  attached: [DriveCandidate];
  detached: [DriveCandidate];
}

/**
 * Watches for drives coming and going by diffing the drive list. The list is re-read on a timer
 * (works everywhere, also without udev, e.g. in containers) and at once when udev or libusb says
 * something changed, so a plugged drive shows up within a second on the appliance.
 */
export class DriveWatcher extends EventEmitter<HotplugEvents> {
  private known: DriveCandidate[] = [];
  private timer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private again = false;
  private udev: ChildProcess | null = null;
  private usbCleanup: (() => void) | null = null;
  /** Block events seen from udevadm (tests check the event path separately from the timer). */
  udevEvents = 0;

  constructor(
    private readonly list: () => Promise<Result<DriveCandidate[]>>,
    private readonly logger: Logger,
    private readonly intervalMs = 3000,
  ) {
    super();
  }

  current(): readonly DriveCandidate[] {
    return this.known;
  }

  /** First scan sets the baseline (drives already present count as attached). */
  async start(options: { udevadm?: boolean; usb?: boolean } = {}): Promise<void> {
    await this.scanNow();
    this.timer = setInterval(() => void this.scanNow(), this.intervalMs);
    this.timer.unref();
    if (options.udevadm === true) this.startUdevadm();
    if (options.usb === true) await this.startUsb();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.udev?.kill();
    this.udev = null;
    this.usbCleanup?.();
    this.usbCleanup = null;
  }

  /** Re-reads the list; concurrent calls coalesce into one more scan. */
  scanNow(): Promise<void> {
    if (this.scanning !== null) {
      this.again = true;
      return this.scanning;
    }
    this.scanning = (async () => {
      do {
        this.again = false;
        const listed = await this.list();
        if (!listed.ok) continue;
        const changes = diffCandidates(this.known, listed.value);
        this.known = listed.value;
        for (const c of changes.detached) {
          logEvent(this.logger, LogEvent.DriveDetached, { device: c.device, serial: c.serial, uuid: c.uuid });
          this.emit('detached', c);
        }
        for (const c of changes.attached) {
          logEvent(this.logger, LogEvent.DriveAttached, { device: c.device, serial: c.serial, uuid: c.uuid, label: c.label });
          this.emit('attached', c);
        }
      } while (this.again);
    })().finally(() => {
      this.scanning = null;
    });
    return this.scanning;
  }

  private startUdevadm(): void {
    const parser = new UdevMonitorParser();
    // Kernel events too: without a udev daemon (containers) they are the only ones. The drive list
    // decides what counts, so any block event just triggers a re-read (coalesced by scanNow).
    const child = spawn('udevadm', ['monitor', '--udev', '--kernel', '--property', '--subsystem-match=block'], { stdio: ['ignore', 'pipe', 'ignore'] });
    child.on('error', () => undefined); // no udevadm: the timer still works
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      if (parser.push(chunk).some(isBlockEvent)) {
        this.udevEvents++;
        void this.scanNow();
      }
    });
    this.udev = child;
  }

  private async startUsb(): Promise<void> {
    // Without /sys/bus/usb (containers) the usb package rejects in the background: don't start it.
    if (!existsSync('/sys/bus/usb/devices')) return;
    try {
      const { usb } = await import('usb');
      await usb.getDevices(); // throws here, not later, when libusb cannot enumerate
      // libusb sees the USB device before the kernel made the block device; udev settles it soon after.
      const later = (): void => {
        setTimeout(() => void this.scanNow(), 1500).unref();
      };
      // usb 3.x is WebUSB-shaped: connect/disconnect events (it allows all devices by default).
      usb.addEventListener('connect', later);
      usb.addEventListener('disconnect', later);
      this.usbCleanup = () => {
        usb.removeEventListener('connect', later);
        usb.removeEventListener('disconnect', later);
      };
    } catch {
      // No libusb access (container, permissions): the timer still works.
    }
  }
}
