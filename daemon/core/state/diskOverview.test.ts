import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diskHolding, mountedDisks, type MountedDisk } from './diskOverview.ts';

const disk = (mountPoint: string): MountedDisk => ({ filesystem: 'x', mountPoint, totalBytes: 1, availableBytes: 1 });

describe('diskHolding', () => {
  it('picks the longest mount point that contains the path, not a sibling with the same prefix', () => {
    const disks = [disk('/'), disk('/var'), disk('/var/lib/ballotsafe'), disk('/media/ballotsafe/A')];
    expect(diskHolding('/var/lib/ballotsafe/vault/objects', disks)?.mountPoint).toBe('/var/lib/ballotsafe');
    expect(diskHolding('/var/lib/ballotsafe2', disks)?.mountPoint).toBe('/var');
    expect(diskHolding('/media/ballotsafe/A', disks)?.mountPoint).toBe('/media/ballotsafe/A');
    expect(diskHolding('/etc', disks)?.mountPoint).toBe('/');
    expect(diskHolding('/etc', [disk('/var')])).toBeUndefined();
  });
});

describe('mountedDisks', () => {
  it('lists a real mount with its size and free space', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bs-disks-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    try {
      const listed = await mountedDisks();
      expect(listed.ok).toBe(true);
      if (!listed.ok) return;
      const d = diskHolding(join(dir, 'vault'), listed.value);
      expect(d?.mountPoint).toBe(dir);
      expect(d?.totalBytes).toBe(4 * 1024 * 1024);
      expect(d?.availableBytes).toBeGreaterThan(3 * 1024 * 1024);
    } finally {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
