/**
 * Which stored snapshots each drive still lacks: the one rule used by a run to plan its writes and
 * by the confirmation to count them beforehand (so "writes 0 new files" is never followed by 1.5 GB).
 * Pure: the snapshot rows and what each drive holds come in.
 */
export interface CopyPlanRow {
  readonly sequence: number;
  readonly bag_name: string;
  readonly full: number;
}

export interface CopyPlanDrive<D> {
  readonly drive: D;
  /** Complete bags on the drive, by bag name. */
  readonly present: ReadonlySet<string>;
  /** Dropped out (missing, failed): gets nothing. */
  readonly out: boolean;
}

/** bag name → the drives that need it. A drive starts from its oldest bag, a blank one from the pair's base. */
export function bagsToCopy<D>(rows: readonly CopyPlanRow[], drives: readonly CopyPlanDrive<D>[], full: boolean): Map<string, D[]> {
  const seqOf = new Map(rows.map((r) => [r.bag_name, r.sequence]));
  const baseOf = (d: CopyPlanDrive<D>): number | undefined => {
    const seqs = [...d.present].map((n) => seqOf.get(n) ?? Infinity);
    return seqs.length === 0 ? undefined : Math.min(...seqs);
  };
  const latestFull = [...rows].reverse().find((r) => r.full === 1)?.sequence ?? 1;
  const bases = drives.map(baseOf).filter((b): b is number => b !== undefined);
  const pairBase = bases.length > 0 ? Math.min(...bases) : full ? Infinity : latestFull;
  const toWrite = new Map<string, D[]>();
  for (const d of drives) {
    if (d.out) continue;
    const base = baseOf(d) ?? pairBase;
    for (const r of rows) {
      if (r.sequence >= base && !d.present.has(r.bag_name)) toWrite.set(r.bag_name, [...(toWrite.get(r.bag_name) ?? []), d.drive]);
    }
  }
  return toWrite;
}
