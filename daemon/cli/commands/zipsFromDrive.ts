import { z } from 'zod';
import { createLogger } from '../../core/log/logger.ts';
import { humanBytes } from '../../snapshot/engine.ts';
import { pinsFromArgs } from '../../snapshot/verifyPins.ts';
import { exportZipsFromDrive } from '../../restore/zipsFromDrive.ts';

/** The `--from <drive>` half of `ballotsafe export-zips`: no config or database needed. */
export async function exportFromDrive(drive: string, dest: string, maxBytes: number, args: { snapshot?: string | undefined; key?: string | undefined; election?: string | undefined }): Promise<number> {
  const say = (t: string) => process.stderr.write(t);
  const sequence = args.snapshot === undefined ? undefined : z.coerce.number().int().positive().safeParse(args.snapshot);
  if (sequence !== undefined && !sequence.success) {
    say(`--snapshot "${args.snapshot ?? ''}" is not a snapshot number (1, 2, 3...).\n`);
    return 2;
  }
  const pins = await pinsFromArgs(args.key, []);
  if (!pins.ok) {
    say(`${pins.error.message}\n${pins.error.action ?? ''}\n`);
    return 2;
  }
  say(`Checking ${drive}: signatures, chain, file lists...\n`);
  const result = await exportZipsFromDrive({
    drive,
    dest,
    maxBytes,
    pins: pins.value,
    ...(args.election === undefined ? {} : { election: args.election }),
    ...(sequence?.data === undefined ? {} : { snapshot: sequence.data }),
    logger: createLogger({ level: process.env['BALLOTSAFE_LOG_LEVEL'] ?? 'warn' }),
  });
  if (!result.ok) {
    say(`${result.error.message}\n${result.error.action ?? ''}\n`);
    return 1;
  }
  const v = result.value;
  for (const zip of v.zips) process.stdout.write(`${zip.name}  ${zip.files} files  ${humanBytes(zip.bytes)}\n`);
  process.stdout.write(`Manifest: ${v.manifestPath}\n`);
  const against = pins.value.key !== undefined ? 'the key you gave' : `key ${v.keyId ?? 'none'} found on the drive — compare with the published key id`;
  process.stdout.write(`Made from snapshot ${v.snapshot} on ${drive}; every file matched the signed manifest, checked against ${against}.\n`);
  return 0;
}
