/** One drive in a snapshot run: its election folder, the bags it holds, and whether it dropped out. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { OperatorError } from '../core/result.ts';
import type { DriveTarget } from './api.ts';
import { completeMarkerName, bagNamePattern } from './bagFormat.ts';
import { readBounded } from './bagReader.ts';
import { markerText } from './plan.ts';
import type { SnapshotRow } from './store.ts';

export interface DriveRun {
  readonly target: DriveTarget;
  readonly electionDir: string;
  /** Set at the first failure; the drive takes no further part in this run. */
  error: OperatorError | undefined;
  /** Complete bags on the drive (by bag name) with a marker naming the expected root hash. */
  readonly present: Set<string>;
  readonly written: string[];
}

/** Complete bags on a drive: a marker whose root hash matches the one recorded for that bag. */
export async function scanDrive(electionDir: string, rows: readonly SnapshotRow[]): Promise<Set<string>> {
  const present = new Set<string>();
  let names: string[];
  try {
    names = await readdir(join(electionDir, 'snapshots'));
  } catch {
    return present;
  }
  const byName = new Map(rows.map((r) => [r.bag_name, r]));
  for (const name of names) {
    const row = byName.get(name);
    if (row === undefined || !bagNamePattern.test(name)) continue;
    // Bounded, no links, no FIFOs: the drive may be hostile (the evidence check comes next).
    const marker = await readBounded(join(electionDir, 'snapshots', name, completeMarkerName), 64 * 1024);
    if (marker.ok && marker.value.toString('utf8') === markerText({ bagName: row.bag_name, rootHash: row.root_hash, sequence: row.sequence })) present.add(name);
  }
  return present;
}
