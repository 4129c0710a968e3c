import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { silentLogger } from '../core/log/logger.ts';
import { layoutsFromVxElection } from './layout.ts';
import { runPreaudit, type SheetJob } from './pool.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../../shared/corpus/nh-amherst-scans');
const dir = mkdtempSync(path.join(tmpdir(), 'preaudit-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('worker pool', () => {
  it('reads sheets on worker threads into SQLite, resumes after a stop, records bad images as errors', async () => {
    const layouts = layoutsFromVxElection(JSON.parse(readFileSync(path.join(corpus, 'election.json'), 'utf8')));
    if (!layouts.ok) throw new Error(layouts.error.message);
    const sheet = (name: string): SheetJob => ({
      key: name,
      files: [path.join(corpus, `${name}-front.jpeg`), path.join(corpus, `${name}-back.jpeg`)],
    });
    const broken = path.join(dir, 'broken.jpeg');
    writeFileSync(broken, 'not a jpeg');
    const jobs = [sheet('scan-marked'), sheet('scan-unmarked'), sheet('scan-marked-overvote'), { key: 'broken', files: [broken] }];
    const db = openStateDatabase(path.join(dir, 'state.db'));
    try {
      const stopped = new AbortController();
      stopped.abort();
      const first = await runPreaudit(db, jobs, layouts.value, silentLogger(), { workers: 2, signal: stopped.signal });
      expect(first.done).toBe(0);

      const seen: number[] = [];
      const second = await runPreaudit(db, jobs, layouts.value, silentLogger(), { workers: 2, onProgress: (p) => seen.push(p.done) });
      expect(second).toMatchObject({ done: 4, total: 4, skipped: 0, errors: 1 });
      expect(seen.at(-1)).toBe(4);
      const rows = db.prepare('SELECT sheet_key, status, error_code, reading_json FROM preaudit_sheets ORDER BY sheet_key').all() as {
        sheet_key: string;
        status: string;
        error_code: string | null;
        reading_json: string | null;
      }[];
      expect(rows.map((r) => [r.sheet_key, r.status])).toEqual([
        ['broken', 'error'],
        ['scan-marked', 'read'],
        ['scan-marked-overvote', 'read'],
        ['scan-unmarked', 'read'],
      ]);
      expect(rows[0]!.error_code).toBe('preaudit-image-corrupt');
      const marked = JSON.parse(rows[1]!.reading_json!) as { contestId: string; selected: string[] }[];
      expect(marked.find((c) => c.contestId === 'Governor-061a401b')?.selected).toEqual(['Josiah-Bartlett-1bb99985']);

      const third = await runPreaudit(db, jobs, layouts.value, silentLogger(), { workers: 2 });
      expect(third).toMatchObject({ done: 4, skipped: 4 });
    } finally {
      db.close();
    }
  });
});
