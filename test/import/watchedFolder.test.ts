import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { classifyFile } from '../../daemon/capture/fileKind.ts';
import { vaultObjectPath } from '../../daemon/capture/vaultLayout.ts';
import type { Db } from '../../daemon/core/db/database.ts';
import { ImportService } from '../../daemon/importer/service.ts';
import type { Phase1Report } from '../../daemon/importer/report.ts';
import { corpusDir, importTestDb, tempDir } from '../../daemon/importer/testSupport.ts';
import { readSheetFills } from '../../daemon/preaudit/viewStore.ts';

/**
 * Issue #18: in a watched folder the Dominion CVR_Export zip and CSV were ignored without a word.
 * Files are put in the vault and catalogued as the capture layer does (classifyFile decides the
 * kind); the import service then imports what it reads and lists everything else with why.
 */
let inode = 1;
function capture(db: Db, vault: string, relPath: string, bytes: Buffer): void {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const p = vaultObjectPath(vault, sha);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, bytes);
  const now = new Date().toISOString();
  db.prepare(
    `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
     VALUES ('ems', ?, ?, ?, '0', '0', ?, ?, ?, ?, ?)`,
  ).run(relPath, Buffer.from(relPath), bytes.length, String(inode++), sha, classifyFile(relPath), now, now);
}

describe('watched folder', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('imports the Dominion zip and CSV once (12 records, one active source), lists the report XML as not election data', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const vault = join(dir, 'vault');
    const reports = join(dir, 'reports');
    const db = importTestDb();
    const demo = join(corpusDir, 'dominion-imagecast-demo');
    capture(db, vault, 'Results/CVR_Export_20240412114626.zip', readFileSync(join(demo, 'Results', 'CVR_Export_20240412114626.zip')));
    capture(db, vault, 'Results/CVR_Export_20240412114633.csv', readFileSync(join(demo, 'Results', 'CVR_Export_20240412114633.csv')));
    capture(db, vault, 'Reports/Batches Loaded Report.xml', readFileSync(join(demo, 'Reports', 'Batches Loaded Report.xml')));
    const service = new ImportService({ db, readSheets: () => readSheetFills(db), vaultDir: vault, reportsDir: reports, logger: pino({ level: 'silent' }) });
    await service.tick();
    const report = JSON.parse(readFileSync(join(reports, 'phase1-report.json'), 'utf8')) as Phase1Report;
    expect(report.summary.cvrRecords).toBe(12);
    expect(report.summary.duplicateCvrs).toBe(0);
    expect(report.summary.failedSources).toBe(0);
    expect(report.sources.filter((s) => s.records > 0)).toHaveLength(1);
    const xml = report.sources.find((s) => s.name.endsWith('Batches Loaded Report.xml'));
    expect(xml?.format).toBe('not-election-data');
    expect(xml?.warnings[0]).toMatch(/not a cast vote record format/);
    expect(report.summary.notElectionData).toBe(1);
  });
});
