import { mkdir, readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { CliCommand } from '../command.ts';
import { humanBytes } from '../../snapshot/engine.ts';
import { keyIdHex } from '../../snapshot/minisign.ts';
import { pinsFromArgs } from '../../snapshot/verifyPins.ts';
import type { VerifyPins } from '../../snapshot/verify.ts';
import { checkRestoreDrive, type RestoreDrive } from '../../restore/restoreDrive.ts';
import { planRestore } from '../../restore/restorePlan.ts';
import { restoreFiles, type RestoreProgress } from '../../restore/restoreFiles.ts';
import { counted } from '../../core/words.ts';

/**
 * `ballotsafe restore <drive> <dest>`: the export tree as it stood at a snapshot, from one or two
 * drives, on any Linux machine (no appliance database, no config). Exit 0: every file restored and
 * matching the signed manifests; 1: a drive refused or a file not restored; 2: usage.
 */

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const usage = 'ballotsafe restore <drive> <empty destination folder> [--snapshot N] [--key <public key file, public key or key id>] [--also <second drive>] [--election <name>]';
const sequenceArg = z.coerce.number().int().positive();

/** Where the drives' key came from, in words a clerk can compare with the published key id. */
function keyLine(pins: VerifyPins, drive: RestoreDrive): string {
  if (pins.key !== undefined) return `checked against the key you gave, ${keyIdHex(pins.key.keyId)}`;
  if (pins.keyId !== undefined) return `checked against key ${drive.driveKeyId ?? 'none'} found on the drive, which has the key id you gave (give the public key itself with --key to be sure)`;
  return `checked against key ${drive.driveKeyId ?? 'none'} found on the drive — compare with the published key id`;
}

/** The destination must be new or empty: restore never overwrites anything. */
async function prepareDest(dest: string): Promise<string | undefined> {
  try {
    const entries = await readdir(dest);
    if (entries.length > 0) return `${dest} is not empty (${counted(entries.length, 'item')} in it). Restore never overwrites: nothing was written.`;
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return `${dest} is a file, not a folder. Nothing was written.`;
    if (code !== 'ENOENT') return `${dest} cannot be read (${code ?? 'error'}). Nothing was written.`;
  }
  try {
    await mkdir(dest, { recursive: true });
    return undefined;
  } catch (e) {
    return `The folder ${dest} cannot be made (${(e as NodeJS.ErrnoException).code ?? 'error'}). Nothing was written.`;
  }
}

export async function runRestore(argv: readonly string[], io: Output): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { snapshot: { type: 'string' }, key: { type: 'string' }, also: { type: 'string' }, election: { type: 'string' } }, allowPositionals: true });
  } catch (e) {
    io.err(`${(e as Error).message}.\nUsage: ${usage}\n`);
    return 2;
  }
  const { positionals, values } = parsed;
  const [drivePath, destPath] = positionals;
  if (drivePath === undefined || destPath === undefined || positionals.length !== 2) {
    io.err(`Give the drive and an empty destination folder.\nUsage: ${usage}\n`);
    return 2;
  }
  const sequence = values.snapshot === undefined ? undefined : sequenceArg.safeParse(values.snapshot);
  if (sequence !== undefined && !sequence.success) {
    io.err(`--snapshot "${values.snapshot ?? ''}" is not a snapshot number (1, 2, 3...).\nUsage: ${usage}\n`);
    return 2;
  }
  const pins = await pinsFromArgs(values.key, []);
  if (!pins.ok) {
    io.err(`${pins.error.message}\n${pins.error.action ?? ''}\n`);
    return 2;
  }
  const dest = resolve(destPath);
  const destProblem = await prepareDest(dest);
  if (destProblem !== undefined) {
    io.err(`${destProblem}\nRestore into a new or empty folder.\n`);
    return 1;
  }

  // Check each drive before anything is read from it.
  const given = [{ label: 'A', root: resolve(drivePath) }, ...(values.also === undefined ? [] : [{ label: 'B', root: resolve(values.also) }])];
  const usable: RestoreDrive[] = [];
  for (const g of given) {
    io.err(`Checking drive ${g.label} (${g.root}): signatures, chain, file lists...\n`);
    const checked = await checkRestoreDrive(g.label, g.root, pins.value, values.election);
    if (!checked.ok) {
      io.out(`Drive ${g.label} (${g.root}): ${checked.error.message}\n${checked.error.action ?? ''}\n`);
      continue;
    }
    const c = checked.value;
    if (!c.usable) {
      io.out(`Drive ${g.label} (${g.root}) REFUSED: it failed verification; nothing was read from it.\n`);
      for (const p of c.problems) io.out(`  ${p.kind.padEnd(10)} ${p.path}: ${p.detail}\n`);
      continue;
    }
    const d = c.drive;
    usable.push(d);
    io.out(`Drive ${d.label} (${d.root}): election "${d.election}", ${counted(d.snapshots.length, 'signed snapshot')}, chain correct; ${keyLine(pins.value, d)}.\n`);
    for (const n of d.notices) io.out(`  note: ${n}\n`);
    for (const [path, why] of d.badPayload) io.out(`  damaged: ${path}: ${why}\n`);
  }
  const [first, second] = usable;
  if (first === undefined) {
    io.out('Nothing restored: no drive passed verification. Keep the drives as they are and call the election office.\n');
    return 1;
  }
  if (second !== undefined && second.election !== first.election) {
    io.out(`Nothing restored: drive A holds election "${first.election}", drive B "${second.election}".\n`);
    return 1;
  }
  // The snapshot comes from the drive that has it (the newest of both by default).
  const newest = Math.max(...usable.flatMap((d) => d.snapshots.map((s) => s.sequence)));
  const wanted = sequence?.data ?? newest;
  const holder = usable.find((d) => d.snapshots.some((s) => s.sequence === wanted)) ?? first;
  const plan = planRestore(holder.snapshots, wanted);
  if (!plan.ok) {
    io.out(`Nothing restored: ${plan.error.message}\n${plan.error.action ?? ''}\n`);
    return 1;
  }
  const snap = plan.value.snapshot;
  const other = usable.find((d) => d !== holder);
  const twin = other?.snapshots.find((s) => s.sequence === snap.sequence);
  if (other !== undefined && twin !== undefined && twin.rootHash !== snap.rootHash) {
    io.out(`Nothing restored: the two drives hold different snapshots numbered ${snap.sequence} (root hashes ${snap.rootHash} and ${twin.rootHash}). Keep both drives and call the election office.\n`);
    return 1;
  }
  io.out(`Restoring snapshot ${snap.sequence} (${snap.bagName}, root hash ${snap.rootHash}): ${plan.value.files.length} files, ${humanBytes(plan.value.bytes)} into ${dest}\n`);

  let last = 0;
  const progress = (p: RestoreProgress): void => {
    if (Date.now() - last < 1000 && p.filesDone !== p.filesTotal) return;
    last = Date.now();
    io.err(`restoring: ${p.filesDone}/${p.filesTotal} files, ${humanBytes(p.bytesDone)} of ${humanBytes(p.bytesTotal)}\n`);
  };
  const order = [holder, ...usable.filter((d) => d !== holder)];
  const result = await restoreFiles(plan.value.files, order, dest, progress);
  if (!result.ok) {
    io.out(`${result.error.message}\n${result.error.action ?? ''}\n`);
    return 1;
  }
  const outcomes = result.value;
  const bad = outcomes.filter((o) => o.from === null);
  const perDrive = new Map<string, number>();
  for (const o of outcomes) {
    if (o.from !== null) perDrive.set(o.from, (perDrive.get(o.from) ?? 0) + 1);
    if (o.from !== null && o.from !== holder.label) io.out(`from drive ${o.from}: ${o.file.shown} (${o.rejected.join('; ')})\n`);
    if (o.from === null) io.out(`NOT RESTORED: ${o.file.shown} (${o.file.bagName}/${o.file.record.payloadPath}): ${o.rejected.join('; ')}\n`);
  }
  const sources = [...perDrive].sort(([a], [b]) => a.localeCompare(b)).map(([label, n]) => `${n} from drive ${label}`).join(', ');
  if (bad.length === 0) {
    io.out(`RESTORED all ${outcomes.length} files (${humanBytes(plan.value.bytes)}) of snapshot ${snap.sequence} into ${dest}${sources === '' ? '' : ` (${sources})`}; every file matched the signed manifest.\n`);
    return 0;
  }
  io.out(
    `INCOMPLETE: ${bad.length} of ${outcomes.length} files could not be restored (listed above; none of them was left under its name). ${outcomes.length - bad.length} files restored${sources === '' ? '' : ` (${sources})`} and checked.\n` +
      (usable.length < 2 ? 'Restore again with the other drive of the pair: add --also <second drive>.\n' : 'Neither drive has a good copy of those files; keep both drives and call the election office.\n'),
  );
  return 1;
}

export const restoreCommand: CliCommand = {
  name: 'restore',
  summary: 'Rebuild the export folders as they stood at a snapshot from one or two drives, checking every file (no appliance needed)',
  usage,
  run: (argv) =>
    runRestore(argv, {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
    }),
};
