import { basename, join } from 'node:path';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import { verifyPath, type Problem, type VerifiedSnapshot, type VerifyPins } from '../snapshot/verify.ts';

/**
 * One drive checked for restore: everything verify checks (signatures first, pins, chain, index,
 * only regular files) except the payload hashes, which restore computes while writing each file.
 * A drive-level problem refuses the drive; a damaged or missing payload file only rules that
 * file out on this drive (the other drive may have a good copy).
 */

export interface RestoreDrive {
  /** "A" for the first drive given, "B" for --also. */
  readonly label: string;
  readonly root: string;
  readonly electionDir: string;
  readonly election: string;
  /** Key id of the public key on the drive. */
  readonly driveKeyId: string | null;
  readonly snapshots: readonly VerifiedSnapshot[];
  /** Payload files (absolute paths) verify found unusable, with why; never read from this drive. */
  readonly badPayload: ReadonlyMap<string, string>;
  /** Things worth saying that do not stop a restore (an interrupted copy, files not in any manifest). */
  readonly notices: readonly string[];
}

export type DriveCheck = { readonly usable: true; readonly drive: RestoreDrive } | { readonly usable: false; readonly label: string; readonly root: string; readonly problems: readonly Problem[] };

const payloadPath = /(^|\/)snapshots\/[^/]+\/data\//;

/** A problem confined to one payload file (or the byte count that follows from one). */
function isPayloadProblem(p: Problem): boolean {
  return payloadPath.test(p.path) || (p.kind === 'BAD' && p.detail.startsWith('Payload-Oxum'));
}

/** Checks `root` and picks the election folder to restore from (`election` when the drive holds several). */
export async function checkRestoreDrive(label: string, root: string, pins: VerifyPins, election: string | undefined): Promise<Result<DriveCheck>> {
  const report = await verifyPath(root, { pins, hashPayload: false });
  const elections = [...new Set(report.snapshots.map((s) => s.electionDir))];
  const chosen = election === undefined ? elections : elections.filter((d) => basename(d) === election);
  if (chosen.length > 1) {
    return err(operatorError('restore-which-election', `Drive ${label} (${root}) holds several elections: ${elections.map((d) => basename(d)).join(', ')}.`, 'Say which one with --election <name>.'));
  }
  const electionDir = chosen[0];
  const refusing = report.problems.filter((p) => !isPayloadProblem(p) && p.kind !== 'INCOMPLETE');
  if (refusing.length > 0 || electionDir === undefined) {
    const none: Problem = { kind: 'MISSING', path: '.', detail: election === undefined ? 'no snapshot with a valid signature on this drive' : `no snapshot of the election "${election}" with a valid signature on this drive` };
    return ok({ usable: false, label, root, problems: refusing.length > 0 ? refusing : [none] });
  }
  const badPayload = new Map<string, string>();
  const notices: string[] = [];
  for (const p of report.problems) {
    if (p.kind === 'INCOMPLETE') notices.push(`${p.path}: an interrupted copy, not a snapshot; ignored`);
    else if (p.kind === 'EXTRA') notices.push(`${p.path}: ${p.detail}; not restored`);
    else if (payloadPath.test(p.path)) badPayload.set(join(root, p.path), p.detail);
    else notices.push(`${p.path}: ${p.detail}`);
  }
  const driveKeyId = report.driveKeys.find((k) => join(root, k.path) === electionDir || k.path === '.')?.keyId ?? null;
  return ok({
    usable: true,
    drive: { label, root, electionDir, election: basename(electionDir), driveKeyId, snapshots: report.snapshots.filter((s) => s.electionDir === electionDir), badPayload, notices },
  });
}
