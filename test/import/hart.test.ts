import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importLocalPath } from '../../daemon/importer/importFile.ts';
import { buildPhase1Report } from '../../daemon/importer/report.ts';
import { corpusDir, importTestDb } from '../../daemon/importer/testSupport.ts';
import { importedRound1, rctabRound1 } from './rctabTally.ts';
import { readSheetFills } from '../../daemon/preaudit/viewStore.ts';

/** Hart Verity CVR XML (one file per ballot) from RCTab's test data (issue #18). */
const dir = join(corpusDir, 'rctab-samples', 'hart');

describe('Hart CVR XML', () => {
  it('imports every ballot file of the folder; round 1 of CEDAR PARK SCHOOL BOARD equals RCTab\'s', async () => {
    const xmlFiles = readdirSync(dir).filter((f) => f.endsWith('.xml'));
    const db = importTestDb();
    const r = await importLocalPath(db, dir);
    expect(r.ok && r.value.failures).toEqual([]);
    const imported = r.ok ? r.value.outcomes.filter((o) => o.status === 'imported') : [];
    expect(imported.map((o) => o.format)).toEqual(xmlFiles.map(() => 'hart-cvr-xml'));
    expect(imported.reduce((n, o) => n + o.records, 0)).toBe(xmlFiles.length);
    expect(importedRound1(db, 'CEDAR PARK SCHOOL BOARD')).toEqual(rctabRound1(join(dir, 'hart_cedar_park_school_board_expected_detailed_report.json')));
    const ranks = db.prepare<[], { n: number | null }>(`SELECT max(num_ranks) AS n FROM import_contests WHERE name = 'CEDAR PARK SCHOOL BOARD'`).get();
    expect(ranks?.n).toBe(6);
    const report = buildPhase1Report(db, () => readSheetFills(db));
    expect(report.summary.duplicateCvrs).toBe(0);
    expect(report.summary.cvrRecords).toBe(xmlFiles.length);
  });
});
