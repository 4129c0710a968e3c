import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { err, ok, operatorError, type Result } from '../core/result.ts';

/** The file that makes a drive a ballotsafe drive, relative to its root. */
export const identityRelPath = 'ballotsafe/drive-identity.json';

export const driveIdentitySchema = z
  .object({
    format: z.literal('ballotsafe-drive-identity/1'),
    driveId: z.string().regex(/^[0-9a-f-]{36}$/),
    role: z.enum(['A', 'B']),
    rotationSet: z.number().int().min(1).max(999).nullable(),
    applianceId: z.string().min(1),
    election: z.string().min(1),
    enrolledAt: z.string().min(1),
    enrolledBy: z.string().min(1),
    serial: z.string().nullable(),
    fsUuid: z.string().nullable(),
  })
  .strict();

export type DriveIdentity = z.infer<typeof driveIdentitySchema>;

export async function readIdentity(root: string): Promise<Result<DriveIdentity | null>> {
  let text: string;
  try {
    text = await readFile(join(root, identityRelPath), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return ok(null);
    return err(operatorError('drive-unreadable', "The drive's ballotsafe identity file cannot be read.", 'Unplug the drive, plug it in again; if this repeats, replace the drive.', (e as Error).message));
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return err(operatorError('drive-identity-damaged', 'The identity file on the drive is damaged.', 'Enroll the drive again (Drives page, "Enroll a drive"), or use another drive.'));
  }
  const parsed = driveIdentitySchema.safeParse(data);
  if (!parsed.success) return err(operatorError('drive-identity-damaged', 'The identity file on the drive is not one ballotsafe wrote.', 'Enroll the drive again (Drives page, "Enroll a drive"), or use another drive.'));
  return ok(parsed.data);
}

/** Written like everything on the drives: temp file, fsync, rename, fsync the folder. */
export async function writeIdentity(root: string, identity: DriveIdentity): Promise<Result<void>> {
  try {
    const dir = join(root, 'ballotsafe');
    await mkdir(dir, { recursive: true });
    const final = join(root, identityRelPath);
    const tmp = `${final}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(`${JSON.stringify(identity, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, final);
    const dh = await open(dir, 'r');
    try {
      await dh.sync().catch(() => undefined); // some FUSE file systems refuse fsync on a folder
    } finally {
      await dh.close();
    }
    return ok(undefined);
  } catch (e) {
    return err(operatorError('drive-write-failed', 'The drive cannot be written to.', 'Check the drive is not write-protected and has space; try another drive.', (e as Error).message));
  }
}
