import { z } from 'zod';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { DriveCandidate } from './types.ts';

/**
 * Parses `lsblk -J -b -O` (util-linux 2.38 JSON) and picks the drives ballotsafe may use:
 * whole disks with RM=1 and TRAN=usb that do not hold a system mount point.
 */

// lsblk prints numbers as numbers with -b, as strings without; booleans as true/false or "0"/"1".
const flexBool = z.union([z.boolean(), z.literal('0'), z.literal('1'), z.null()]).transform((v) => v === true || v === '1');
const flexNumber = z
  .union([z.number(), z.string(), z.null()])
  .transform((v) => (typeof v === 'number' ? v : v !== null && /^\d+$/.test(v) ? Number(v) : null));
const str = z.string().nullable().optional().transform((v) => (v === undefined || v === null || v.trim() === '' ? null : v.trim()));

export interface LsblkDevice {
  readonly name: string;
  readonly path: string;
  readonly type: string;
  readonly rm: boolean;
  readonly hotplug: boolean;
  readonly tran: string | null;
  readonly serial: string | null;
  readonly uuid: string | null;
  readonly fstype: string | null;
  readonly label: string | null;
  readonly size: number | null;
  readonly vendor: string | null;
  readonly model: string | null;
  readonly mountpoints: readonly string[];
  readonly children: readonly LsblkDevice[];
}

const deviceSchema: z.ZodType<LsblkDevice, unknown> = z.lazy(() =>
  z
    .object({
      name: z.string(),
      path: z.string().optional(),
      type: z.string(),
      rm: flexBool,
      hotplug: flexBool.optional().transform((v) => v ?? false),
      tran: str,
      serial: str,
      uuid: str,
      fstype: str,
      label: str,
      size: flexNumber.optional().transform((v) => v ?? null),
      vendor: str,
      model: str,
      mountpoint: str,
      mountpoints: z.array(z.string().nullable()).optional(),
      children: z.array(deviceSchema).optional(),
    })
    .transform((d) => ({
      name: d.name,
      path: d.path ?? `/dev/${d.name}`,
      type: d.type,
      rm: d.rm,
      hotplug: d.hotplug,
      tran: d.tran,
      serial: d.serial,
      uuid: d.uuid,
      fstype: d.fstype,
      label: d.label,
      size: d.size,
      vendor: d.vendor,
      model: d.model,
      // lsblk 2.37+ has `mountpoints`; older ones only `mountpoint`.
      mountpoints: [...new Set([...(d.mountpoints ?? []), d.mountpoint].filter((m): m is string => typeof m === 'string' && m !== ''))],
      children: d.children ?? [],
    })),
);

const lsblkSchema = z.object({ blockdevices: z.array(deviceSchema) });

export function parseLsblkJson(text: string): Result<LsblkDevice[]> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return err(operatorError('lsblk-unreadable', `lsblk printed something that is not JSON: ${(e as Error).message}`, 'Check that util-linux is installed and up to date.'));
  }
  const parsed = lsblkSchema.safeParse(data);
  if (!parsed.success) {
    return err(operatorError('lsblk-unreadable', `lsblk output has an unexpected shape: ${parsed.error.issues[0]?.message ?? 'unknown'}`, 'Check that util-linux is installed and up to date.'));
  }
  return ok(parsed.data.blockdevices);
}

/** Mount points that mark a disk as the appliance's own. */
const systemMounts = new Set(['/', '/boot', '/boot/efi', '/usr', '/var', '/home', '[SWAP]']);

function allMounts(d: LsblkDevice): string[] {
  return [...d.mountpoints, ...d.children.flatMap(allMounts)];
}

export interface CandidateOptions {
  /** Accept loop devices (tests with exFAT images). */
  readonly allowLoop?: boolean;
}

/** Removable USB disks (never one holding a system mount), each with the file system to use. */
export function usbCandidates(devices: readonly LsblkDevice[], options: CandidateOptions = {}): DriveCandidate[] {
  const out: DriveCandidate[] = [];
  for (const disk of devices) {
    const isLoop = disk.type === 'loop' && options.allowLoop === true;
    if (!isLoop) {
      if (disk.type !== 'disk' || !disk.rm || disk.tran !== 'usb') continue;
    }
    // Empty card-reader slots and detached loop devices have size 0.
    if (disk.size === 0) continue;
    if (allMounts(disk).some((m) => systemMounts.has(m))) continue;
    // A stick formatted without a partition table carries the file system on the disk itself.
    const partitions = disk.children.filter((c) => c.type === 'part');
    const volume = partitions.find((p) => p.fstype !== null) ?? partitions[0] ?? disk;
    out.push({
      device: volume.path,
      disk: disk.path,
      serial: disk.serial,
      uuid: volume.uuid,
      fstype: volume.fstype,
      label: volume.label,
      sizeBytes: disk.size,
      vendor: disk.vendor,
      model: disk.model,
      mountpoint: volume.mountpoints[0] ?? null,
    });
  }
  return out;
}
