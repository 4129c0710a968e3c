import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { parseLsblkJson, usbCandidates, type CandidateOptions } from './lsblk.ts';
import type { DriveCandidate } from './types.ts';

const run = promisify(execFile);

/** The drivelist fields we use (its own type has more). */
export interface DrivelistDrive {
  readonly device: string;
  readonly isUSB: boolean | null;
  readonly isSystem: boolean;
  readonly isRemovable: boolean;
  readonly description: string;
}

export interface DiscoverySources {
  /** `lsblk -J -b -O` output. */
  lsblk(): Promise<string>;
  /** drivelist.list(); may fail (then lsblk alone decides). */
  drivelist(): Promise<readonly DrivelistDrive[]>;
  /** File-system probe for volumes lsblk could not describe (no udev database, e.g. loop images). */
  probe?(device: string): Promise<{ uuid: string | null; fstype: string | null; label: string | null }>;
}

export async function blkidProbe(device: string): Promise<{ uuid: string | null; fstype: string | null; label: string | null }> {
  try {
    const { stdout } = await run('blkid', ['-p', '-o', 'export', device], { timeout: 10_000 });
    const kv = new Map(stdout.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
    return { uuid: kv.get('UUID') ?? null, fstype: kv.get('TYPE') ?? null, label: kv.get('LABEL') ?? null };
  } catch {
    return { uuid: null, fstype: null, label: null };
  }
}

export const systemSources: DiscoverySources = {
  async lsblk() {
    const { stdout } = await run('lsblk', ['-J', '-b', '-O'], { timeout: 15_000, maxBuffer: 8 * 1024 * 1024 });
    return stdout;
  },
  async drivelist() {
    const { list } = await import('drivelist');
    return list();
  },
  probe: blkidProbe,
};

/**
 * Removable USB drives on the appliance: lsblk decides (RM, TRAN, serial, UUID, file system),
 * drivelist is a second opinion that can only remove a drive (one it calls a system drive or not USB).
 */
export async function discoverDrives(sources: DiscoverySources = systemSources, options: CandidateOptions = {}): Promise<Result<DriveCandidate[]>> {
  let text: string;
  try {
    text = await sources.lsblk();
  } catch (e) {
    return err(operatorError('lsblk-failed', `Cannot list the drives (lsblk): ${(e as Error).message}`, 'Check that util-linux is installed.'));
  }
  const parsed = parseLsblkJson(text);
  if (!parsed.ok) return parsed;
  let candidates = usbCandidates(parsed.value, options);
  let second: readonly DrivelistDrive[] = [];
  try {
    second = await sources.drivelist();
  } catch {
    second = [];
  }
  const vetoed = new Set(second.filter((d) => d.isSystem || d.isUSB === false).map((d) => d.device));
  candidates = candidates.filter((c) => !vetoed.has(c.disk) || c.disk.startsWith('/dev/loop'));
  if (sources.probe !== undefined) {
    const probe = sources.probe;
    candidates = await Promise.all(
      candidates.map(async (c) => {
        if (c.uuid !== null && c.fstype !== null) return c;
        const p = await probe(c.device);
        return { ...c, uuid: c.uuid ?? p.uuid, fstype: c.fstype ?? p.fstype, label: c.label ?? p.label };
      }),
    );
  }
  return ok(candidates);
}
