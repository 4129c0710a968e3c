import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { silentLogger } from '../core/log/logger.ts';
import { runPreaudit, type SheetJob } from '../preaudit/pool.ts';
import { readSampleLayouts } from '../../test/preaudit/sampleElection.ts';
import { checksFromReport } from '../web/importChecks.ts';
import { importLocalPath } from './importFile.ts';
import { buildPhase1Report } from './report.ts';
import { tempDir } from './testSupport.ts';
import { readSheetFills } from '../preaudit/viewStore.ts';

/**
 * Phase 1 on a generated election with images: its injected "dup" is a rescan (new image bytes, a
 * new CVR record id), so neither the image-hash nor the CVR-identity check can see it; the
 * pre-audit's readings of the marks can.
 */
const t = tempDir('ballotsafe-rescans-');
afterAll(() => t.cleanup());

interface TruthSheet { sheetId: string; duplicateOf: string | null; images: { vendor: string; paths: string[] }[] }

async function phase1(name: string, dup: number) {
  const out = join(t.dir, name);
  const g = await generateSampleElection({ out, seed: 11, ballots: 10, precincts: 2, format: 'dominion', batchSize: 20, skewVariants: 2, discrepancies: { flip: 0, drop: 0, dup, totals: 0 } });
  if (!g.ok) throw new Error(g.error.message);
  const sheets: TruthSheet[] = readdirSync(join(out, 'truth', 'ballots')).flatMap((f) => (JSON.parse(readFileSync(join(out, 'truth', 'ballots', f), 'utf8')) as { sheets: TruthSheet[] }).sheets);
  const db = openStateDatabase(':memory:');
  const imported = await importLocalPath(db, join(out, 'dominion'));
  expect(imported.ok && imported.value.failures).toEqual([]);
  // The capture catalog's rows for the images, and the sheets the pre-audit reads (keyed as catalogSheets keys them).
  const insert = db.prepare(
    `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
     VALUES ('scans', ?, ?, 1, '0', '0', ?, ?, 'ballot-image', '2026-11-03T20:00:00Z', '2026-11-03T20:00:00Z')`,
  );
  const jobs: SheetJob[] = [];
  const fileOf = new Map<string, string>();
  for (const s of sheets) {
    const rel = s.images.find((i) => i.vendor === 'dominion')?.paths[0];
    if (rel === undefined) throw new Error(`no Dominion image for ${s.sheetId}`);
    const id = insert.run(rel, Buffer.from(rel), rel, `sha-${rel}`).lastInsertRowid;
    jobs.push({ key: `${rel}#${String(id)}`, files: [join(out, rel)] });
    fileOf.set(s.sheetId, `scans:${rel}`);
  }
  const layouts = readSampleLayouts(join(out, 'truth'));
  if (!layouts.ok) throw new Error(layouts.error.message);
  const read = await runPreaudit(db, jobs, [...layouts.value.values()], silentLogger(), { workers: 1 });
  expect(read.errors).toBe(0);
  const report = buildPhase1Report(db, () => readSheetFills(db));
  db.close();
  return { report, sheets, fileOf };
}

describe('phase 1 finds the same ballot scanned twice under another id', () => {
  it("reports the generator's injected rescan: the duplicates check fails and names both files", async () => {
    const { report, sheets, fileOf } = await phase1('with-dup', 1);
    const dup = sheets.find((s) => s.duplicateOf !== null);
    expect(dup).toBeDefined();
    // the bytes differ and the CVR ids differ: the older checks see nothing
    expect(report.summary.duplicateImages).toBe(0);
    expect(report.summary.duplicateCvrs).toBe(0);
    expect(report.summary.sheetsCheckedForRescans).toBe(sheets.length);
    expect(report.rescannedSheets.items.map((p) => [...p.first, ...p.second].sort())).toEqual([[fileOf.get(dup?.duplicateOf ?? ''), fileOf.get(dup?.sheetId ?? '')].sort()]);
    expect(report.summary.clean).toBe(false);
    const check = checksFromReport(report).find((c) => c.id === 'duplicates');
    expect(check?.state).toBe('fail');
    expect(check?.summary).toContain('1 ballot scanned twice');
    expect(check?.details[0]).toContain(fileOf.get(dup?.sheetId ?? '') ?? '?');
  }, 120_000);

  it('an election with no rescan: nothing flagged, every read sheet compared', async () => {
    const { report, sheets } = await phase1('no-dup', 0);
    expect(report.summary.rescannedSheets).toBe(0);
    expect(report.summary.sheetsCheckedForRescans).toBe(sheets.length);
    const check = checksFromReport(report).find((c) => c.id === 'duplicates');
    expect(check?.state).toBe('pass');
    expect(check?.summary).toContain(`${sheets.length} sheets compared by their marks`);
  }, 120_000);

  it('images not read by the pre-audit yet: the check says rescans are not looked for yet', () => {
    const db = openStateDatabase(':memory:');
    db.prepare(
      `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
       VALUES ('scans', 'a.tif', 'a.tif', 1, '0', '0', 'a', 'sha-a', 'ballot-image', '2026-11-03T20:00:00Z', '2026-11-03T20:00:00Z')`,
    ).run();
    const report = buildPhase1Report(db, () => readSheetFills(db));
    db.close();
    expect(report.summary.sheetsCheckedForRescans).toBe(0);
    expect(checksFromReport(report).find((c) => c.id === 'duplicates')?.summary).toContain('looked for once the pre-audit has read the marks');
    // not a pass: a ballot scanned twice could be there unseen
    expect(checksFromReport(report).find((c) => c.id === 'duplicates')?.state).toBe('warn');
  });
});
