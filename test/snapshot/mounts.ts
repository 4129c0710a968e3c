import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Real file systems for drive tests: exFAT through a loop device and exfat-fuse, FAT32 through
 * fusefat, small tmpfs mounts. Everything is undone by cleanup(), also after a failure.
 */
export interface TestDrive {
  readonly mountPoint: string;
  readonly image?: string;
  readonly loop?: string;
  readonly kind: 'exfat' | 'fat32' | 'tmpfs';
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export class TestMounts {
  readonly base = mkdtempSync(join(tmpdir(), 'bs-mnt-'));
  private readonly drives: TestDrive[] = [];
  private n = 0;

  exfat(sizeMiB: number): TestDrive {
    const image = join(this.base, `exfat${this.n}.img`);
    const mountPoint = join(this.base, `exfat${this.n++}`);
    mkdirSync(mountPoint);
    sh('truncate', ['-s', `${sizeMiB}M`, image]);
    sh('mkfs.exfat', [image]);
    const loop = sh('losetup', ['-f', '--show', image]).trim();
    const d: TestDrive = { mountPoint, image, loop, kind: 'exfat' };
    this.drives.push(d);
    sh('mount.exfat-fuse', [loop, mountPoint]);
    return d;
  }

  fat32(sizeMiB: number): TestDrive {
    const image = join(this.base, `fat${this.n}.img`);
    const mountPoint = join(this.base, `fat${this.n++}`);
    mkdirSync(mountPoint);
    sh('truncate', ['-s', `${sizeMiB}M`, image]);
    sh('mkfs.vfat', ['-F', '32', image]);
    const d: TestDrive = { mountPoint, image, kind: 'fat32' };
    this.drives.push(d);
    // "rw+": fusefat mounts read-only unless told to write.
    sh('fusefat', ['-o', 'rw+', image, mountPoint]);
    return d;
  }

  tmpfs(size: string): TestDrive {
    const mountPoint = join(this.base, `tmpfs${this.n++}`);
    mkdirSync(mountPoint);
    const d: TestDrive = { mountPoint, kind: 'tmpfs' };
    this.drives.push(d);
    sh('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mountPoint]);
    return d;
  }

  /** The pid of the FUSE process serving a mount (found by its command line). */
  fusePid(d: TestDrive): number {
    const needle = d.kind === 'exfat' ? (d.loop ?? '') : (d.image ?? '');
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        if (/(mount\.exfat-fuse|fusefat)$/.test(args[0] ?? '') && args.includes(needle)) return Number(entry);
      } catch {
        /* process gone */
      }
    }
    throw new Error(`no FUSE process for ${d.mountPoint}`);
  }

  /** Pulls the drive: SIGKILL its FUSE process; the mount then answers ENOTCONN. */
  pull(d: TestDrive): void {
    process.kill(this.fusePid(d), 'SIGKILL');
  }

  /** Plugs a pulled drive back in: lazy-unmount the dead mount, check the file system, mount again. */
  replug(d: TestDrive): void {
    this.unmount(d);
    if (d.kind === 'exfat') {
      try {
        sh('fsck.exfat', ['-y', d.loop ?? '']);
      } catch {
        /* fsck exits non-zero after repairing */
      }
      sh('mount.exfat-fuse', [d.loop ?? '', d.mountPoint]);
    } else if (d.kind === 'fat32') {
      try {
        sh('fsck.vfat', ['-a', d.image ?? '']);
      } catch {
        /* non-zero after repairing */
      }
      sh('fusefat', ['-o', 'rw+', d.image ?? '', d.mountPoint]);
    }
  }

  private unmount(d: TestDrive): void {
    try {
      if (d.kind === 'tmpfs') sh('umount', ['-l', d.mountPoint]);
      else sh('fusermount', ['-u', '-z', d.mountPoint]);
    } catch {
      /* not mounted */
    }
  }

  cleanup(): void {
    for (const d of this.drives.splice(0)) {
      this.unmount(d);
      if (d.loop !== undefined) {
        try {
          sh('losetup', ['-d', d.loop]);
        } catch {
          /* already detached */
        }
      }
    }
    rmSync(this.base, { recursive: true, force: true });
  }
}
