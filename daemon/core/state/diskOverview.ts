import { getDiskInfo } from 'node-disk-info';
import { resolve, sep } from 'node:path';
import { err, ok, operatorError, type Result } from '../result.ts';

/** One mounted file system, as `df` reports it (node-disk-info reads `df -kP`). */
export interface MountedDisk {
  readonly filesystem: string;
  readonly mountPoint: string;
  readonly totalBytes: number;
  readonly availableBytes: number;
}

/** The mounted disks overview: every mounted file system with its size and free space. */
export async function mountedDisks(): Promise<Result<MountedDisk[]>> {
  try {
    const disks = await getDiskInfo();
    return ok(
      disks.map((d) => ({
        filesystem: d.filesystem,
        mountPoint: d.mounted,
        // df -kP counts 1024-byte blocks.
        totalBytes: Number(d.blocks) * 1024,
        availableBytes: Number(d.available) * 1024,
      })),
    );
  } catch (e) {
    return err(operatorError('disks-unreadable', `The list of mounted disks could not be read: ${(e as Error).message}`, 'Check that the "df" command works on this machine.'));
  }
}

/** The disk that holds `path`: the mount point that is the longest prefix of it. */
export function diskHolding(path: string, disks: readonly MountedDisk[]): MountedDisk | undefined {
  const target = resolve(path);
  let best: MountedDisk | undefined;
  for (const d of disks) {
    const m = d.mountPoint;
    const inside = target === m || m === sep || target.startsWith(m.endsWith(sep) ? m : m + sep);
    if (inside && (best === undefined || m.length > best.mountPoint.length)) best = d;
  }
  return best;
}
