import type { DriveRole } from '../drives/types.ts';
import type { CustodyFacts, DriveFacts, SnapshotFacts } from './facts.ts';
import { filesNextStep } from './filesNextStep.ts';

/** Something that keeps the captured files from being protected now, with what to do about it. */
export interface NotProtected {
  readonly kind: 'no-snapshot' | 'files-not-on-drives' | 'drive-not-enrolled' | 'drive-missing' | 'drive-identity' | 'snapshot-pending' | 'drive-write-failed' | 'drive-check-failed' | 'handed-off' | 'drives-unknown';
  readonly role?: DriveRole;
  readonly message: string;
  readonly action: string;
}

/** Whether an action may be taken now; when not, why and what to do instead. */
export type Permission =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly code: string; readonly reason: string; readonly next: string; readonly confirmable?: boolean };

/** A drive that cannot take a snapshot now, in the words of its drop-out alert. */
export interface DropOut {
  readonly role: DriveRole;
  readonly code: string;
  readonly reason: string;
  readonly next: string;
}

export interface DriveCard {
  readonly role: DriveRole;
  readonly enrolled: boolean;
  readonly present: boolean;
  /** Short word for the card: never "Verified" for a drive that is not connected. */
  readonly status: 'verified' | 'not-verified' | 'not-connected' | 'not-enrolled' | 'wrong-drive' | 'failed' | 'writing' | 'handed-off';
  readonly lastVerified: DriveFacts['lastVerified'];
  readonly notOnDrive: DriveFacts['notOnDrive'];
  readonly label: string | null;
  readonly serial: string | null;
  readonly mountPoint: string | null;
}

export interface CustodyState {
  /** True only when both drives hold every captured file, verified, now (and no snapshot is writing). */
  readonly protected: boolean;
  readonly safeToRemove: boolean;
  readonly notProtected: readonly NotProtected[];
  readonly drives: readonly DriveCard[];
  readonly notOnDrives: CustodyFacts['notOnDrives'];
  readonly newestSnapshot: SnapshotFacts | null;
  readonly handedOff: CustodyFacts['newestHandOff'];
  readonly snapshotRunning: boolean;
  /** Drives that would get nothing from a snapshot started now (they drop out; the other drive still gets it). */
  readonly snapshotLeavesOut: readonly DropOut[];
  readonly actions: {
    /** Allowed while at least one drive can take the snapshot. */
    readonly snapshot: Permission;
    /** Hand-off of the newest snapshot (the only one that may be handed off). */
    readonly handOff: Permission;
    readonly eject: Readonly<Record<DriveRole, Permission>>;
  };
}

export interface StateOptions {
  /** How a time is written for a person (the web passes local time). */
  readonly time: (iso: string) => string;
  readonly bytes: (n: number) => string;
}

const files = (n: number) => (n === 1 ? '1 captured file' : `${n} captured files`);
const refuse = (code: string, reason: string, next: string, confirmable = false): Permission => ({ allowed: false, code, reason, next, ...(confirmable ? { confirmable } : {}) });
const allowed: Permission = { allowed: true };

/** The one place that decides whether the captured files are protected and which action is right now. */
export function custodyState(facts: CustodyFacts, opts: StateOptions): CustodyState {
  const newest = facts.newestSnapshot;
  // After a hand-off the drives are away on purpose: say so once instead of "missing" twice.
  const away = facts.newestHandOff !== null && facts.drives.every((d) => !d.present);
  const items: NotProtected[] = [];
  const listError = facts.drives.find((d) => d.listError !== null)?.listError ?? null;
  if (listError !== null) items.push({ kind: 'drives-unknown', message: `The appliance cannot see its drives: ${listError}`, action: 'Check the drive cables; if it stays, call technical support.' });
  for (const d of facts.drives) {
    if (!d.enrolled) {
      items.push({ kind: 'drive-not-enrolled', role: d.role, message: `Drive ${d.role} has never been set up on this appliance.`, action: `Plug in a new drive and enroll it as drive ${d.role}: Drives page, "Enroll a drive".` });
    } else if (!d.present && !away && listError === null) {
      items.push({ kind: 'drive-missing', role: d.role, message: `Drive ${d.role} is not plugged in.`, action: `Plug in the drive labelled ${d.role} and wait a few seconds.` });
    } else if (d.present && (d.identity === 'missing' || d.identity === 'mismatch')) {
      items.push({ kind: 'drive-identity', role: d.role, message: `The drive in place ${d.role} is not the enrolled drive ${d.role}.`, action: `Check that the drive was not swapped; plug in the real drive ${d.role}, or enroll this one again (Drives page, "Enroll a drive").` });
    }
    if (d.failedReturnCheck !== null) {
      items.push({ kind: 'drive-check-failed', role: d.role, message: `Drive ${d.role} failed its check when it came back from the safe (${opts.time(d.failedReturnCheck.at)}).`, action: `Do not use it. Keep it for the supervisor and use a replacement drive ${d.role}.` });
    }
    if (newest !== null && d.newestWrite?.state === 'failed' && !facts.snapshotRunning) {
      items.push({ kind: 'drive-write-failed', role: d.role, message: `Drive ${d.role} failed while writing snapshot #${newest.sequence}${d.newestWrite.message === null ? '' : `: ${d.newestWrite.message}`}`, action: `Plug in a working drive ${d.role}, then press End-of-day snapshot to catch it up.` });
    }
  }
  if (newest === null) {
    const waiting = facts.notOnDrives.files === 0 ? 'nothing is on the drives' : `${files(facts.notOnDrives.files)} (${opts.bytes(facts.notOnDrives.bytes)}) are on no drive`;
    items.push({ kind: 'no-snapshot', message: `No snapshot has been written yet: ${waiting}.`, action: 'Press End-of-day snapshot when both drives are plugged in.' });
  }
  for (const seq of facts.pendingSnapshots) {
    if (facts.snapshotRunning) continue;
    items.push({ kind: 'snapshot-pending', message: `Snapshot #${seq} did not finish (the appliance stopped while writing).`, action: 'Press End-of-day snapshot: it finishes the snapshot and brings both drives up to date.' });
  }
  if (facts.notOnDrives.files > 0 && newest !== null) {
    const [a, b] = facts.drives;
    const which = a !== undefined && b !== undefined && a.notOnDrive.files !== b.notOnDrive.files ? ` (drive A lacks ${a.notOnDrive.files}, drive B lacks ${b.notOnDrive.files})` : '';
    items.push({ kind: 'files-not-on-drives', message: `${files(facts.notOnDrives.files)} (${opts.bytes(facts.notOnDrives.bytes)}) ${facts.notOnDrives.files === 1 ? 'is' : 'are'} not on both drives yet${which}.`, action: filesNextStep(facts.drives, away) });
  }
  if (away && facts.newestHandOff !== null && newest !== null) {
    items.push({ kind: 'handed-off', message: `The drives of snapshot #${newest.sequence} were handed off (${opts.time(facts.newestHandOff.at)}) and are not here.`, action: 'Bring both drives back and plug them in before the next snapshot.' });
  }
  const isProtected = items.length === 0 && !facts.snapshotRunning;
  return {
    protected: isProtected,
    safeToRemove: isProtected && facts.drives.every((d) => d.present),
    notProtected: items,
    drives: facts.drives.map((d) => card(d, facts, away)),
    notOnDrives: facts.notOnDrives,
    newestSnapshot: newest,
    handedOff: facts.newestHandOff,
    snapshotRunning: facts.snapshotRunning,
    snapshotLeavesOut: snapshotDropOuts(facts),
    actions: { snapshot: snapshotPermission(facts), handOff: handOffPermission(facts, items), eject: { A: ejectPermission(facts, 'A'), B: ejectPermission(facts, 'B') } },
  };
}

function card(d: DriveFacts, facts: CustodyFacts, away: boolean): DriveCard {
  const upToDate = d.lastVerified !== null && facts.newestSnapshot !== null && d.lastVerified.sequence === facts.newestSnapshot.sequence && d.notOnDrive.files === 0 && d.failedReturnCheck === null;
  const status: DriveCard['status'] = !d.enrolled
    ? 'not-enrolled'
    : !d.present
      ? away ? 'handed-off' : 'not-connected'
      : d.identity === 'missing' || d.identity === 'mismatch'
        ? 'wrong-drive'
        : facts.snapshotRunning
          ? 'writing'
          : d.failedReturnCheck !== null || d.newestWrite?.state === 'failed'
            ? 'failed'
            : upToDate ? 'verified' : 'not-verified';
  return { role: d.role, enrolled: d.enrolled, present: d.present, status, lastVerified: d.lastVerified, notOnDrive: d.notOnDrive, label: d.label, serial: d.serial, mountPoint: d.mountPoint };
}

/** The first reason a drive cannot take a snapshot now, in the words the clerk needs. */
function driveProblem(d: DriveFacts): Permission | undefined {
  if (!d.enrolled) return refuse('drive-not-enrolled', `Drive ${d.role} has never been set up on this appliance.`, `Plug in a new drive and enroll it as drive ${d.role}: Drives page, "Enroll a drive".`);
  if (!d.present) return refuse('drive-missing', `Drive ${d.role} is not plugged in.`, `Plug in the drive labelled ${d.role}, wait a few seconds and try again.`);
  if (d.identity === 'missing' || d.identity === 'mismatch') return refuse('drive-wrong', `The drive in place ${d.role} is not the enrolled drive ${d.role}.`, `Plug in the real drive ${d.role}, or enroll this one again (Drives page, "Enroll a drive").`);
  return undefined;
}

const catchUp = (role: DriveRole) => `then press End-of-day snapshot again: it brings drive ${role} level.`;

/** Each drive that would drop out of a snapshot started now, and why, with how to bring it level later. */
function snapshotDropOuts(facts: CustodyFacts): DropOut[] {
  const out: DropOut[] = [];
  for (const d of facts.drives) {
    const p = driveProblem(d);
    if (p === undefined || p.allowed) continue;
    const r = d.role;
    const words: Record<string, [string, string]> = {
      'drive-not-enrolled': [`Drive ${r} has never been set up on this appliance, so it gets nothing from this snapshot.`, `Enroll a drive as drive ${r} on the Drives page, ${catchUp(r)}`],
      'drive-missing': [`Drive ${r} is not plugged in, so it gets nothing from this snapshot.`, `Plug in the drive labelled ${r}, ${catchUp(r)}`],
      'drive-wrong': [`The drive in place ${r} is not the enrolled drive ${r}, so nothing is written to it.`, `Keep that drive for the supervisor. Plug in the real drive ${r}, ${catchUp(r)}`],
    };
    const [reason, next] = words[p.code] ?? [p.reason, p.next];
    out.push({ role: r, code: p.code, reason, next });
  }
  return out;
}

/** A snapshot may start while one drive can take it: the other drops out before writing (issue #15). */
function snapshotPermission(facts: CustodyFacts): Permission {
  if (facts.snapshotRunning) return refuse('snapshot-busy', 'A snapshot is already running.', 'Wait for it to finish; its progress is on the Snapshot page.');
  const problems = facts.drives.map(driveProblem);
  const usable = problems.filter((p) => p === undefined).length;
  if (usable > 0) return allowed;
  const [first, second] = problems;
  if (first === undefined || first.allowed) return refuse('no-drive', 'No drive can take the snapshot.', 'Plug in drives A and B.');
  if (second === undefined || second.allowed || second.code === first.code && second.reason.replace('drive B', 'drive A').replace('Drive B', 'Drive A') === first.reason) return first;
  return refuse(first.code, `${first.reason} ${second.reason}`, `${first.next} ${second.next}`);
}

function handOffPermission(facts: CustodyFacts, items: readonly NotProtected[]): Permission {
  const newest = facts.newestSnapshot;
  if (newest === null) return refuse('no-snapshot', 'There is no snapshot to hand off yet.', 'Press End-of-day snapshot first.');
  if (facts.snapshotRunning) return refuse('snapshot-busy', 'A snapshot is writing to the drives.', 'Wait until it says the drives are safe to remove.');
  if (facts.newestHandOff !== null) return refuse('already-handed-off', `The drives of snapshot #${newest.sequence} were already handed off (record ${facts.newestHandOff.custodyId}).`, 'Open the Custody log to see or print that record. Bring the drives back before the next snapshot.');
  for (const d of facts.drives) {
    const p = driveProblem(d);
    if (p !== undefined && !p.allowed) return refuse(p.code, `${p.reason} Both drives must be here to hand them off.`, p.next);
    if (d.newestWrite?.state !== 'complete') {
      return refuse('snapshot-not-verified', `Snapshot #${newest.sequence} was not written and verified on drive ${d.role}.`, `Press End-of-day snapshot with a working drive ${d.role}, then hand off.`);
    }
  }
  const blocking = items.find((i) => i.kind !== 'handed-off');
  if (blocking !== undefined) return refuse(`not-protected-${blocking.kind}`, blocking.message, blocking.action);
  return allowed;
}

function ejectPermission(facts: CustodyFacts, role: DriveRole): Permission {
  const d = facts.drives.find((x) => x.role === role);
  if (facts.snapshotRunning) return refuse('snapshot-busy', `Drive ${role} is being written by a snapshot.`, 'Wait until the Snapshot page says both drives are safe to remove.');
  if (d === undefined || !d.present) return refuse('drive-missing', `Drive ${role} is not plugged in, so there is nothing to eject.`, 'Look at the Drives page to see which drives are plugged in.');
  if (d.lastVerified === null) {
    return refuse('drive-never-written', `Drive ${role} has never had a snapshot: it holds none of the captured files.`, 'Leave it plugged in and press End-of-day snapshot first.');
  }
  if (d.notOnDrive.files > 0) {
    return refuse('files-not-on-drive', `${files(d.notOnDrive.files)} (not yet on drive ${role}) would be missing from it.`, `Press End-of-day snapshot first, or confirm that drive ${role} may leave without them.`, true);
  }
  return allowed;
}
