import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { discoverDrives, type DiscoverySources, type DrivelistDrive } from './discovery.ts';
import { parseLsblkJson, usbCandidates } from './lsblk.ts';
import { isUsbBlockEvent, parseUdevMonitor, UdevMonitorParser } from './udevMonitor.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('lsblk -J -b -O parsing', () => {
  it('finds the removable USB sticks and nothing else', () => {
    const parsed = parseLsblkJson(fixture('lsblk-appliance.json'));
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.map((d) => d.name)).toEqual(['sda', 'sdb', 'sdc', 'sdd', 'sde', 'sdf', 'nvme0n1']);
    const c = usbCandidates(parsed.value);
    // sda: SATA; sdd: USB SSD reporting RM=0; sde: empty card reader; nvme0n1: system disk.
    expect(c.map((x) => x.disk)).toEqual(['/dev/sdb', '/dev/sdc', '/dev/sdf']);
    expect(c[0]).toEqual({
      device: '/dev/sdb1',
      disk: '/dev/sdb',
      serial: '4C530001231116103383',
      uuid: '6BEA-F925',
      fstype: 'exfat',
      label: 'BSAFE-A',
      sizeBytes: 31104958464,
      vendor: 'SanDisk',
      model: 'Cruzer Blade',
      mountpoint: null,
    });
    expect(c[1]).toMatchObject({ device: '/dev/sdc1', fstype: 'vfat', label: 'KINGSTON', uuid: 'A1B2-C3D4', mountpoint: '/media/usb0', vendor: 'Kingston' });
    // No partition table: the file system is on the disk itself.
    expect(c[2]).toMatchObject({ device: '/dev/sdf', disk: '/dev/sdf', fstype: 'exfat', uuid: '5E2C-1A0B', serial: 'E0D55EA573DCF450E97C0B2A' });
  });

  it('never offers a USB stick that holds the root file system', () => {
    const parsed = parseLsblkJson(fixture('lsblk-usb-root.json'));
    expect(parsed.ok && usbCandidates(parsed.value)).toEqual([]);
  });

  it('accepts the older string-valued format and refuses garbage', () => {
    const old = JSON.stringify({ blockdevices: [{ name: 'sdb', type: 'disk', rm: '1', tran: 'usb', size: '8004304896', serial: 'X1', mountpoint: null, children: [{ name: 'sdb1', type: 'part', rm: '1', fstype: 'exfat', uuid: 'AAAA-BBBB', mountpoint: null }] }] });
    const parsed = parseLsblkJson(old);
    expect(parsed.ok && usbCandidates(parsed.value).map((c) => [c.device, c.sizeBytes, c.uuid])).toEqual([['/dev/sdb1', 8004304896, 'AAAA-BBBB']]);
    const bad = parseLsblkJson('{"blockdevices": [{"name": 5}]}');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('lsblk-unreadable');
    expect(parseLsblkJson('not json').ok).toBe(false);
  });
});

describe('udevadm monitor --udev --property parsing', () => {
  it('reads add and remove blocks of a SanDisk stick', () => {
    const events = parseUdevMonitor(fixture('udev-monitor-sandisk.txt'));
    expect(events.map((e) => [e.action, e.devname, e.devtype])).toEqual([
      ['add', '/dev/sdb', 'disk'],
      ['add', '/dev/sdb1', 'partition'],
      ['remove', '/dev/sdb1', 'partition'],
      ['remove', '/dev/sdb', 'disk'],
    ]);
    expect(events[1]).toMatchObject({ bus: 'usb', serial: '4C530001231116103383', fsType: 'exfat', fsUuid: '6BEA-F925', fsLabel: 'BSAFE-A', subsystem: 'block' });
    expect(events.every(isUsbBlockEvent)).toBe(true);
  });

  it('parses chunks split anywhere and ignores non-block events', () => {
    const text = fixture('udev-monitor-kingston-add.txt');
    const parser = new UdevMonitorParser();
    const got = [];
    for (let i = 0; i < text.length; i += 7) got.push(...parser.push(text.slice(i, i + 7)));
    got.push(...parser.end());
    expect(got.map((e) => [e.subsystem, e.devname])).toEqual([
      ['usb', null],
      ['block', '/dev/sdc'],
      ['block', '/dev/sdc1'],
    ]);
    expect(got.filter(isUsbBlockEvent).map((e) => e.devname)).toEqual(['/dev/sdc', '/dev/sdc1']);
    expect(got[2]).toMatchObject({ fsType: 'vfat', fsUuid: 'A1B2-C3D4', serial: '408D5C1EB4D5E3A0B9C2E8F1' });
  });
});

describe('discoverDrives', () => {
  const sources = (drivelist: readonly DrivelistDrive[] | Error): DiscoverySources => ({
    lsblk: async () => fixture('lsblk-appliance.json'),
    drivelist: async () => {
      if (drivelist instanceof Error) throw drivelist;
      return drivelist;
    },
  });

  it('lets drivelist veto a drive it calls a system drive', async () => {
    const r = await discoverDrives(sources([{ device: '/dev/sdc', isUSB: true, isSystem: true, isRemovable: true, description: 'Kingston' }]));
    expect(r.ok && r.value.map((c) => c.disk)).toEqual(['/dev/sdb', '/dev/sdf']);
  });

  it('works on lsblk alone when drivelist fails', async () => {
    const r = await discoverDrives(sources(new Error('no native module')));
    expect(r.ok && r.value.map((c) => c.disk)).toEqual(['/dev/sdb', '/dev/sdc', '/dev/sdf']);
  });

  it('reports a failing lsblk as an operator error', async () => {
    const r = await discoverDrives({ lsblk: async () => Promise.reject(new Error('ENOENT')), drivelist: async () => [] });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('lsblk-failed');
  });
});
