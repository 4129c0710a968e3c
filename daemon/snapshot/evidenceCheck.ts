import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { operatorError, type OperatorError } from '../core/result.ts';
import { bagNamePattern, completeMarkerName } from './bagFormat.ts';
import { describeType, forEachConcurrently, hashRegular, readBounded, walkTree } from './bagReader.ts';
import { evictFromCache } from './driveIo.ts';
import type { DriveRole } from './api.ts';
import { markerText, tagWriteOrder, type PlannedItem } from './plan.ts';
import { counted } from '../core/words.ts';

/**
 * Before a snapshot writes anything to a drive: does the drive still hold exactly what this
 * appliance wrote to it? Every earlier bag with a completion marker is compared with the database
 * (marker, every tag file byte for byte, every data file's size and SHA-256, nothing extra); a bag
 * written completely to this drive must not have lost its marker; nothing on the way is a link.
 * A drive that fails is evidence of tampering (or of a failing drive) and must not be written to.
 */

export interface EvidenceBag {
  readonly bagName: string;
  readonly sequence: number;
  readonly rootHash: string;
  readonly tagFiles: Readonly<Record<string, string>>;
  readonly items: readonly PlannedItem[];
  /** The database records a complete, read-back write of this bag to this very drive. */
  readonly completedOnThisDrive: boolean;
}

export interface EvidenceReport {
  /** Plain-words problems, each naming the file (relative to the election folder). */
  readonly problems: readonly string[];
  readonly bagsChecked: number;
  readonly filesChecked: number;
  readonly bytesChecked: number;
}

async function lstatOrNull(path: string) {
  return lstat(path).catch(() => null);
}

export async function checkDriveEvidence(driveRoot: string, electionDir: string, bags: readonly EvidenceBag[], options: { concurrency: number; readFromMedia: boolean }): Promise<EvidenceReport> {
  const problems: string[] = [];
  let bagsChecked = 0;
  let filesChecked = 0;
  let bytesChecked = 0;
  const report = () => ({ problems, bagsChecked, filesChecked, bytesChecked });

  // The folders the snapshot writes into must be real folders (a link would send writes elsewhere).
  for (const p of [join(driveRoot, 'ballotsafe'), electionDir, join(electionDir, 'snapshots')]) {
    const st = await lstatOrNull(p);
    if (st !== null && !st.isDirectory()) problems.push(`${p.slice(driveRoot.length + 1)} is ${describeType(st)}, not a folder`);
  }
  if (problems.length > 0) return report();
  // The files the snapshot reads or replaces there (README, public key, index) must be plain files.
  for (const [dir, prefix] of [[join(driveRoot, 'ballotsafe'), 'ballotsafe/'], [electionDir, '']] as const) {
    for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) if (!e.isFile() && !e.isDirectory()) problems.push(`${prefix}${e.name} is ${describeType(e)}`);
  }

  const snapDir = join(electionDir, 'snapshots');
  const entries = await readdir(snapDir, { withFileTypes: true }).catch(() => []);
  const byName = new Map(bags.map((b) => [b.bagName, b]));
  const jobs: Array<{ rel: string; item: PlannedItem }> = [];
  for (const e of entries) {
    const rel = `snapshots/${e.name}`;
    if (!e.isDirectory()) {
      if (!e.isFile() || bagNamePattern.test(e.name)) problems.push(`${rel} is ${describeType(e)}`);
      continue;
    }
    if (!bagNamePattern.test(e.name)) continue;
    const bag = byName.get(e.name);
    const dir = join(snapDir, e.name);
    const marker = await readBounded(join(dir, completeMarkerName), 64 * 1024);
    const tree = await walkTree(dir, rel);
    for (const s of tree.strange) problems.push(`${s.rel} is ${s.what}`);
    if (!marker.ok) {
      if (marker.unsafe.kind !== 'missing') problems.push(`${rel}/${completeMarkerName} ${marker.unsafe.detail}`);
      else if (bag?.completedOnThisDrive === true) problems.push(`${rel} was written completely to this drive, but its completion marker is gone`);
      // Otherwise an interrupted copy: this snapshot finishes it.
      continue;
    }
    bagsChecked++;
    if (bag === undefined) {
      problems.push(`${rel} is a snapshot this appliance never wrote`);
      continue;
    }
    if (marker.value.toString('utf8') !== markerText(bag)) problems.push(`${rel}/${completeMarkerName} differs from what was written (root hash ${bag.rootHash})`);
    const expected = new Map<string, PlannedItem | string>();
    for (const name of tagWriteOrder) expected.set(`${rel}/${name}`, bag.tagFiles[name] ?? '');
    expected.set(`${rel}/${completeMarkerName}`, 'checked above');
    for (const item of bag.items) expected.set(`${rel}/${item.payloadPath}`, item);
    for (const [fileRel, { size }] of tree.files) {
      const want = expected.get(fileRel);
      if (want === undefined) problems.push(`${fileRel} was not written by this appliance`);
      else if (typeof want !== 'string' && want.size !== size) problems.push(`${fileRel} is ${size} bytes; ${want.size} were written`);
      else if (typeof want !== 'string') jobs.push({ rel: fileRel, item: want });
    }
    for (const name of tagWriteOrder) {
      const path = join(dir, name);
      const want = Buffer.from(bag.tagFiles[name] ?? '', 'utf8');
      const got = await readBounded(path, want.length);
      if (!got.ok) problems.push(`${rel}/${name} ${got.unsafe.detail}`);
      else if (!got.value.equals(want)) problems.push(`${rel}/${name} differs from what was written`);
    }
    for (const item of bag.items) if (!tree.files.has(`${rel}/${item.payloadPath}`)) problems.push(`${rel}/${item.payloadPath} is missing`);
  }

  // Every data file re-read (from the media, not the page cache) and hashed, several at a time.
  if (jobs.length > 0 && options.readFromMedia) await evictFromCache(snapDir);
  await forEachConcurrently(jobs, options.concurrency, async ({ rel, item }, buffer) => {
    const got = await hashRegular(join(electionDir, rel), buffer, item.size);
    if (!got.ok) return void problems.push(`${rel} ${got.unsafe.detail}`);
    filesChecked++;
    bytesChecked += got.value.size;
    if (got.value.sha256 !== item.sha256 || got.value.size !== item.size) problems.push(`${rel} differs from what was written`);
  });
  return report();
}

/** The operator's words for a drive that failed the check (undefined: it passed). */
export function evidenceRefusal(role: DriveRole, report: EvidenceReport): OperatorError | undefined {
  const [first] = report.problems;
  if (first === undefined) return undefined;
  const more = report.problems.length > 1 ? ` (and ${counted(report.problems.length - 1, 'more difference', 'more differences')})` : '';
  return operatorError(
    'drive-evidence-mismatch',
    `Drive ${role} does not match what was written to it: keep it as evidence and enroll a replacement. Nothing was written to it. First difference: ${first}${more}.`,
    `Do not write to or reuse drive ${role}: label it, keep it safe as evidence and tell the election supervisor. Enroll a new drive ${role}; the next snapshot writes every snapshot onto it.`,
  );
}
