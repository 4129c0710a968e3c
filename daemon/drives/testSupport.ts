import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Result } from '../core/result.ts';
import type { DriveTarget, SnapshotService } from '../snapshot/api.ts';
import type { TriggerDeps } from './triggers.ts';

/** Test-only helpers for real exFAT images on loop devices. Not used by the daemon. */

function has(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Root, loop devices and the exFAT tools: what the real-drive tests need. */
export const canUseLoopDevices: boolean =
  process.getuid?.() === 0 && existsSync('/dev/loop-control') && has('losetup') && has('mkfs.exfat') && has('mount.exfat-fuse') && has('lsblk') && has('blkid');

export const isRoot: boolean = process.getuid?.() === 0;

export interface LoopImage {
  readonly image: string;
  device: string | null;
  /** Detach the loop device (unmounting anything on it first); the image file stays. */
  detach(): void;
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Makes a sparse image (exFAT unless `format` is false) and attaches it to a free loop device. */
export function makeLoopImage(dir: string, name: string, options: { sizeMiB?: number; label?: string; format?: boolean } = {}): LoopImage {
  const image = join(dir, `${name}.img`);
  execFileSync('truncate', ['-s', `${options.sizeMiB ?? 16}M`, image]);
  if (options.format !== false) execFileSync('mkfs.exfat', ['-L', options.label ?? name.slice(0, 11), image], { stdio: 'ignore' });
  const img: LoopImage = {
    image,
    device: null,
    detach() {
      if (img.device === null) return;
      const dev = img.device;
      img.device = null;
      unmountAllOf(dev);
      try {
        execFileSync('losetup', ['-d', dev], { stdio: 'ignore' });
      } catch {
        // already detached
      }
    },
  };
  img.device = attach(image);
  return img;
}

export function attach(image: string): string {
  return execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
}

/** Unmounts every mount of a device (FUSE mounts too), lazily if busy. */
export function unmountAllOf(device: string): void {
  let targets: string[] = [];
  try {
    targets = execFileSync('findmnt', ['-nro', 'TARGET', '--source', device], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    targets = [];
  }
  for (const t of targets) {
    try {
      execFileSync('umount', [t], { stdio: 'ignore' });
    } catch {
      try {
        execFileSync('umount', ['-l', t], { stdio: 'ignore' });
      } catch {
        // gone already
      }
    }
  }
}

export function mountOptions(target: string): string[] {
  try {
    return execFileSync('findmnt', ['-nro', 'OPTIONS', '--mountpoint', target], { encoding: 'utf8' }).trim().split(',');
  } catch {
    return [];
  }
}

export function isMountPoint(target: string): boolean {
  return mountOptions(target).length > 1;
}

/**
 * The triggers' snapshot runner over a plain SnapshotService and a target chooser, the way the
 * custody workflow composes them in the daemon (checks, then the drives, then the run).
 */
export function runnerOver(
  snapshots: SnapshotService,
  prepareTargets: () => Promise<Result<DriveTarget[]>>,
): Pick<TriggerDeps, 'runSnapshot' | 'isBusy'> {
  return {
    runSnapshot: async (request, onProgress) => {
      const targets = await prepareTargets();
      return targets.ok ? snapshots.run({ ...request, drives: targets.value }, onProgress) : targets;
    },
    isBusy: () => snapshots.isBusy(),
  };
}
