import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/log/logger.ts';
import { ok, type Result } from '../core/result.ts';
import { discoverDrives, systemSources } from './discovery.ts';
import { diffCandidates, DriveWatcher } from './hotplug.ts';
import { canUseLoopDevices, makeLoopImage, tempDir, type LoopImage } from './testSupport.ts';
import type { DriveCandidate } from './types.ts';
import { parseUdevMonitor } from './udevMonitor.ts';

const cand = (disk: string, uuid: string | null): DriveCandidate => ({ device: `${disk}1`, disk, serial: 'S', uuid, fstype: 'exfat', label: null, sizeBytes: 1, vendor: null, model: null, mountpoint: null });

describe('diffCandidates', () => {
  it('sees attach, detach, and a re-formatted drive as detach + attach', () => {
    const a = cand('/dev/sdb', 'AAAA-0001');
    const b = cand('/dev/sdc', 'BBBB-0001');
    expect(diffCandidates([a], [a, b])).toEqual({ attached: [b], detached: [] });
    expect(diffCandidates([a, b], [b])).toEqual({ attached: [], detached: [a] });
    const reformatted = cand('/dev/sdb', 'CCCC-0001');
    expect(diffCandidates([a], [reformatted])).toEqual({ attached: [reformatted], detached: [a] });
    // A mount does not make a drive new.
    expect(diffCandidates([a], [{ ...a, mountpoint: '/media/ballotsafe/A' }])).toEqual({ attached: [], detached: [] });
  });

  it('reads kernel uevents as well as udev events', () => {
    const ev = parseUdevMonitor('KERNEL[1153.622181] change   /devices/virtual/block/loop2 (block)\nACTION=change\nSUBSYSTEM=block\nDEVNAME=/dev/loop2\nDEVTYPE=disk\n\n');
    expect(ev).toEqual([expect.objectContaining({ source: 'kernel', action: 'change', devname: '/dev/loop2', subsystem: 'block' })]);
  });
});

describe.skipIf(!canUseLoopDevices)('DriveWatcher on loop-device exFAT images', () => {
  const dir = tempDir('bs-hotplug-');
  const images: LoopImage[] = [];
  afterAll(() => {
    for (const i of images) i.detach();
    dir.remove();
  });
  // Other tests attach loop devices at the same time: only watch loop devices backed by our images.
  const ours = (disk: string): boolean => {
    try {
      return readFileSync(`/sys/block/${basename(disk)}/loop/backing_file`, 'utf8').startsWith(dir.path);
    } catch {
      return false;
    }
  };
  const list = async (): Promise<Result<DriveCandidate[]>> => {
    const r = await discoverDrives(systemSources, { allowLoop: true });
    return r.ok ? ok(r.value.filter((c) => ours(c.disk))) : r;
  };

  async function until(pred: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (pred()) return true;
      await new Promise((r) => setTimeout(r, 50));
    }
    return pred();
  }

  it('notices attach and detach by polling lsblk (works without udev)', async () => {
    const w = new DriveWatcher(list, silentLogger(), 150);
    await w.start();
    const seen: string[] = [];
    w.on('attached', (c) => seen.push(`+${c.disk}:${c.fstype}`));
    w.on('detached', (c) => seen.push(`-${c.disk}`));
    try {
      const img = makeLoopImage(dir.path, 'poll', { label: 'POLL' });
      images.push(img);
      const dev = img.device ?? '';
      expect(await until(() => seen.length === 1, 10_000)).toBe(true);
      expect(seen).toEqual([`+${dev}:exfat`]);
      img.detach();
      expect(await until(() => seen.length === 2, 10_000)).toBe(true);
      expect(seen[1]).toBe(`-${dev}`);
    } finally {
      w.stop();
    }
  });

  it('reacts to udevadm block events without waiting for the timer', async () => {
    // One-hour poll: anything seen within seconds came through `udevadm monitor`.
    const w = new DriveWatcher(list, silentLogger(), 3_600_000);
    await w.start({ udevadm: true });
    const seen: string[] = [];
    w.on('attached', (c) => seen.push(`+${c.disk}`));
    w.on('detached', (c) => seen.push(`-${c.disk}`));
    try {
      await new Promise((r) => setTimeout(r, 500)); // let udevadm subscribe
      const image = makeLoopImage(dir.path, 'event', { label: 'EVENT' });
      images.push(image);
      const dev = image.device ?? '';
      // This machine kind (and CI, which runs on it) delivers kernel block events to udevadm monitor.
      const got = await until(() => seen.includes(`+${dev}`), 10_000);
      expect(got, `udevadm monitor delivered ${w.udevEvents} events and none for ${dev}`).toBe(true);
      image.detach();
      expect(await until(() => seen.includes(`-${dev}`), 10_000)).toBe(true);
    } finally {
      w.stop();
    }
  });
});
