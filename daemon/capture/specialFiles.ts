import type { Dirent } from 'node:fs';
import { z } from 'zod';
import type { Db } from '../core/db/database.ts';
import type { NewAlert } from '../core/state/alerts.ts';
import { counted } from '../core/words.ts';

/**
 * FIFOs, sockets and devices found in an export. They are not election data and are never opened
 * (a FIFO would block a reader), but they are listed, so an operator sees that the export holds
 * something odd instead of it being skipped without a word.
 */
export const SpecialFileType = z.enum(['fifo', 'socket', 'char-device', 'block-device', 'unknown']);
export type SpecialFileType = z.infer<typeof SpecialFileType>;

export interface SpecialFileRecord {
  readonly id: number;
  readonly rootLabel: string;
  readonly relPath: string;
  readonly type: SpecialFileType;
  readonly firstSeenAt: string;
  readonly status: 'current' | 'gone';
}

const SpecialFileRow = z.object({
  id: z.number().int(),
  root_label: z.string(),
  rel_path: z.string(),
  file_type: SpecialFileType,
  first_seen_at: z.string(),
  status: z.enum(['current', 'gone']),
});

/** What a directory entry that is neither a file, a folder nor a symlink is. */
export function specialTypeOf(d: Dirent): SpecialFileType {
  if (d.isFIFO()) return 'fifo';
  if (d.isSocket()) return 'socket';
  if (d.isCharacterDevice()) return 'char-device';
  if (d.isBlockDevice()) return 'block-device';
  return 'unknown';
}

const DIR_EXPR = "rtrim(rel_path, replace(rel_path, '/', ''))";

/** The catalog's list of special files: written by the capture engine, read by the status. */
export class SpecialFiles {
  constructor(private readonly db: Db) {}

  /** Returns true when this path was not already listed as current with this type. */
  record(rootLabel: string, relPath: string, type: SpecialFileType, at: string): boolean {
    const existing = this.db
      .prepare<[string, string, string], { id: number; status: string }>('SELECT id, status FROM special_files WHERE root_label = ? AND rel_path = ? AND file_type = ?')
      .get(rootLabel, relPath, type);
    if (existing?.status === 'current') return false;
    if (existing !== undefined) this.db.prepare("UPDATE special_files SET status = 'current' WHERE id = ?").run(existing.id);
    else this.db.prepare('INSERT INTO special_files (root_label, rel_path, file_type, first_seen_at) VALUES (?, ?, ?, ?)').run(rootLabel, relPath, type, at);
    return true;
  }

  /** Marks those listed in this folder (dirKey '' or 'a/b/') but not in `present` as gone. */
  markGoneInDir(rootLabel: string, dirKey: string, present: ReadonlySet<string>): void {
    const rows = this.db
      .prepare<[string, string], { id: number; rel_path: string }>(`SELECT id, rel_path FROM special_files WHERE root_label = ? AND ${DIR_EXPR} = ? AND status = 'current'`)
      .all(rootLabel, dirKey);
    for (const r of rows) if (!present.has(r.rel_path)) this.db.prepare("UPDATE special_files SET status = 'gone' WHERE id = ?").run(r.id);
  }

  list(rootLabel?: string): SpecialFileRecord[] {
    const rows =
      rootLabel === undefined
        ? this.db.prepare('SELECT * FROM special_files ORDER BY id').all()
        : this.db.prepare('SELECT * FROM special_files WHERE root_label = ? ORDER BY id').all(rootLabel);
    return rows.map((raw) => {
      const r = SpecialFileRow.parse(raw);
      return { id: r.id, rootLabel: r.root_label, relPath: r.rel_path, type: r.file_type, firstSeenAt: r.first_seen_at, status: r.status };
    });
  }
}

/** Special files newly listed during one pass over a root: one alert per pass, not one per file. */
export class SpecialFilesPass {
  private readonly found = new Map<string, { relPath: string; type: SpecialFileType }[]>();

  note(rootLabel: string, relPath: string, type: SpecialFileType): void {
    const list = this.found.get(rootLabel) ?? [];
    list.push({ relPath, type });
    this.found.set(rootLabel, list);
  }

  /** The alert for what this pass over the root found (undefined: nothing new); starts a new pass. */
  takeAlert(rootLabel: string): (NewAlert & { subject: string }) | undefined {
    const found = this.found.get(rootLabel);
    this.found.delete(rootLabel);
    if (found === undefined || found.length === 0) return undefined;
    const names = found.slice(0, 10).map((f) => `"${f.relPath}"`).join(', ');
    return {
      severity: 'warning',
      code: 'not-captured-special-files',
      subject: rootLabel,
      message: `The export folder "${rootLabel}" holds ${counted(found.length, 'item')} that ${found.length === 1 ? 'is not a file' : 'are not files'} (pipes, sockets or devices), e.g. ${names}. They are not election data and were not captured.`,
      action: 'Ask the EMS administrator why they are in the export folder; they are listed in the status until they are removed.',
      details: { items: found.slice(0, 200), total: found.length },
    };
  }
}
