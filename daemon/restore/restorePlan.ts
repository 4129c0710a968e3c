import { decodePathText } from '../capture/pathCodec.ts';
import { err, ok, operatorError, type Result } from '../core/result.ts';
import type { FileRecord } from '../snapshot/bagFormat.ts';
import { isSafeRelativePath } from '../snapshot/bagReader.ts';
import type { VerifiedSnapshot } from '../snapshot/verify.ts';

/**
 * Which file versions make up the export as it stood at snapshot N: for every root and path, the
 * newest version captured in snapshots 1..N (catalog ids only grow, so the highest id is the newest).
 * The drives record captured files, not deletions: a file deleted from the export after it was
 * captured is restored too, as the vault keeps it.
 */

export interface PlannedFile {
  readonly record: FileRecord;
  /** The snapshot (bag) holding this version, and its signed root hash. */
  readonly bagName: string;
  readonly rootHash: string;
  /** `<root label>/<original path>` as bytes (names on Linux are bytes; see capture/pathCodec.ts). */
  readonly target: Buffer;
  /** The same for people: `<root label>/<path>` as the catalog writes it. */
  readonly shown: string;
}

export interface RestorePlan {
  readonly snapshot: VerifiedSnapshot;
  readonly files: readonly PlannedFile[];
  readonly bytes: number;
}

/** Root labels are single plain folder names (config.ts allows fewer characters still). */
function isSafeLabel(label: string): boolean {
  return isSafeRelativePath(label) && !label.includes('/') && !label.startsWith('.');
}

/**
 * A relative path that stays beneath its folder on Linux: no leading "/", no "", "." or ".." part,
 * no NUL. (Backslashes are ordinary characters in Linux names, unlike on the drives.)
 */
function staysBeneath(rel: Buffer): boolean {
  const text = rel.toString('latin1');
  return rel.length > 0 && !rel.includes(0) && text.split('/').every((part) => part !== '' && part !== '.' && part !== '..');
}

/** The original path's bytes, or undefined when it could leave its folder once decoded. */
function targetBytes(r: FileRecord): Buffer | undefined {
  if (!isSafeLabel(r.rootLabel)) return undefined;
  let bytes: Buffer;
  try {
    bytes = decodePathText(r.relPath);
  } catch {
    return undefined;
  }
  if (!staysBeneath(bytes)) return undefined;
  return Buffer.concat([Buffer.from(`${r.rootLabel}/`), bytes]);
}

/** Newest snapshot when `sequence` is undefined. */
export function planRestore(snapshots: readonly VerifiedSnapshot[], sequence: number | undefined): Result<RestorePlan> {
  const sorted = [...snapshots].sort((a, b) => a.sequence - b.sequence);
  const wanted = sequence ?? sorted[sorted.length - 1]?.sequence;
  const snapshot = sorted.find((s) => s.sequence === wanted);
  if (snapshot === undefined) {
    return err(operatorError('restore-no-such-snapshot', `Snapshot ${wanted ?? '?'} is not on the drive; it holds snapshots ${sorted.map((s) => s.sequence).join(', ') || 'none'}.`, 'Give one of those numbers with --snapshot, or leave --snapshot out for the newest.'));
  }
  const newest = new Map<string, PlannedFile>();
  for (const s of sorted) {
    if (s.sequence > snapshot.sequence) break;
    for (const r of s.records) {
      const key = `${r.rootLabel}\u0000${r.relPath}`;
      const seen = newest.get(key);
      if (seen !== undefined && seen.record.catalogId > r.catalogId) continue;
      const target = targetBytes(r);
      if (target === undefined) {
        return err(operatorError('restore-unsafe-name', `Snapshot ${s.bagName} names a file "${r.rootLabel}/${r.relPath.slice(0, 200)}" that would land outside the restore folder.`, 'Keep this drive as evidence and restore from the other drive; report it to technical support.'));
      }
      newest.set(key, { record: r, bagName: s.bagName, rootHash: s.rootHash, target, shown: `${r.rootLabel}/${r.relPath}` });
    }
  }
  const files = [...newest.values()].sort((a, b) => Buffer.compare(a.target, b.target));
  return ok({ snapshot, files, bytes: files.reduce((n, f) => n + f.record.size, 0) });
}
