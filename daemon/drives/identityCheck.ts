import { ok, type Result } from '../core/result.ts';
import type { BackendContext } from './backend.ts';
import { readIdentity, type DriveIdentity } from './identity.ts';
import type { EnrolledDrive } from './store.ts';
import type { DriveRole } from './types.ts';

/** Checks the identity file at a drive root against the enrollment record: the drive is the one enrolled, in its own place. */
export async function checkIdentity(ctx: Pick<BackendContext, 'applianceId' | 'refuse'>, root: string, enrolled: EnrolledDrive, slot: DriveRole, where: string): Promise<Result<DriveIdentity>> {
  const id = await readIdentity(root);
  if (!id.ok) return id;
  const fields = { driveId: enrolled.id, role: slot, serial: enrolled.serial, where };
  if (id.value === null) {
    return ctx.refuse('drive-identity-missing', `Drive ${slot} (${where}) has no ballotsafe identity file, although it was enrolled.`, `Check the drive has not been swapped or wiped; then enroll it again as drive ${slot}.`, fields);
  }
  if (id.value.applianceId !== ctx.applianceId()) {
    return ctx.refuse('drive-foreign', `The drive in slot ${slot} (${where}) was enrolled on another ballotsafe appliance.`, 'Use this appliance\'s drives, or enroll this drive here (with formatting).', fields);
  }
  if (id.value.role !== slot) {
    return ctx.refuse('drive-wrong-role', `The drive in slot ${slot} (${where}) is drive ${id.value.role}.`, `Put drive ${id.value.role} in its own place, or enroll this drive as drive ${slot}.`, fields);
  }
  if (id.value.driveId !== enrolled.id) {
    return ctx.refuse('drive-identity-mismatch', `The identity file on drive ${slot} (${where}) does not match the enrollment record (copied or replaced drive?).`, `Check where this drive came from; then enroll it again as drive ${slot}.`, fields);
  }
  return ok(id.value);
}
