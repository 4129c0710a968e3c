/**
 * Parses `udevadm monitor --udev --property` output: a header, then one block per event
 * (a "UDEV  [time] action devpath (subsystem)" line, KEY=value lines, a blank line).
 * With --kernel the raw kernel uevents ("KERNEL[time] ...") come too; they are all there is
 * where no udev daemon runs (containers), and carry no ID_* properties.
 */
export interface UdevEvent {
  readonly source: 'udev' | 'kernel';
  readonly action: string;
  readonly devpath: string;
  readonly subsystem: string | null;
  readonly devname: string | null;
  readonly devtype: string | null;
  readonly bus: string | null;
  readonly serial: string | null;
  readonly fsType: string | null;
  readonly fsUuid: string | null;
  readonly fsLabel: string | null;
  readonly properties: Readonly<Record<string, string>>;
}

const headerLine = /^(UDEV|KERNEL)\s*\[[\d.]+\]\s+(\S+)\s+(\S+)\s+\(([^)]*)\)\s*$/;

/** Incremental parser: feed chunks as they arrive, get complete events back. */
export class UdevMonitorParser {
  private buffer = '';
  private current: { source: 'udev' | 'kernel'; action: string; devpath: string; props: Record<string, string> } | null = null;

  push(chunk: string): UdevEvent[] {
    this.buffer += chunk;
    const events: UdevEvent[] = [];
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      const ev = this.line(line);
      if (ev !== null) events.push(ev);
    }
    return events;
  }

  /** Flushes a last event not followed by a blank line. */
  end(): UdevEvent[] {
    const rest = this.buffer.length > 0 ? this.push('\n') : [];
    const ev = this.finish();
    return ev === null ? rest : [...rest, ev];
  }

  private line(line: string): UdevEvent | null {
    const head = headerLine.exec(line);
    if (head !== null) {
      const done = this.finish();
      this.current = { source: head[1] === 'KERNEL' ? 'kernel' : 'udev', action: head[2] ?? '', devpath: head[3] ?? '', props: {} };
      return done;
    }
    if (line.trim() === '') return this.finish();
    if (this.current !== null) {
      const eq = line.indexOf('=');
      if (eq > 0) this.current.props[line.slice(0, eq)] = line.slice(eq + 1);
    }
    return null;
  }

  private finish(): UdevEvent | null {
    const c = this.current;
    this.current = null;
    if (c === null) return null;
    const p = c.props;
    const get = (k: string): string | null => (p[k] === undefined || p[k] === '' ? null : p[k]);
    return {
      source: c.source,
      action: get('ACTION') ?? c.action,
      devpath: get('DEVPATH') ?? c.devpath,
      subsystem: get('SUBSYSTEM'),
      devname: get('DEVNAME'),
      devtype: get('DEVTYPE'),
      bus: get('ID_BUS'),
      serial: get('ID_SERIAL_SHORT'),
      fsType: get('ID_FS_TYPE'),
      fsUuid: get('ID_FS_UUID'),
      fsLabel: get('ID_FS_LABEL'),
      properties: { ...p },
    };
  }
}

export function parseUdevMonitor(text: string): UdevEvent[] {
  const parser = new UdevMonitorParser();
  return [...parser.push(text), ...parser.end()];
}

/** Block-device events of USB drives (udev's view, with ID_BUS). */
export function isUsbBlockEvent(e: UdevEvent): boolean {
  return e.subsystem === 'block' && (e.bus === 'usb' || e.devpath.includes('/usb'));
}

/** Any block-device change: reason enough to re-read the drive list (the list decides what counts). */
export function isBlockEvent(e: UdevEvent): boolean {
  return e.subsystem === 'block' && (e.action === 'add' || e.action === 'remove' || e.action === 'change');
}
