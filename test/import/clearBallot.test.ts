import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importLocalFile } from '../../daemon/importer/importFile.ts';
import { buildPhase1Report } from '../../daemon/importer/report.ts';
import { corpusDir, importTestDb } from '../../daemon/importer/testSupport.ts';
import { importedRound1, rctabRound1 } from './rctabTally.ts';
import { readSheetFills } from '../../daemon/preaudit/viewStore.ts';

/** Clear Ballot ClearCount CVR CSV from RCTab's test data (issue #18). */
const dir = join(corpusDir, 'rctab-samples', 'clear-ballot');
const file = join(dir, 'clear_ballot_kansas_primary.cvr.csv');

describe('Clear Ballot CSV', () => {
  it('imports every ballot row; the ranked contest is one contest with ranks; round 1 equals RCTab\'s', async () => {
    const lines = readFileSync(file, 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
    const header = (lines[0] ?? '').split(',');
    const ranks = new Set(header.filter((h) => h.startsWith('Choice_')).map((h) => h.split(':')[2]));
    const db = importTestDb();
    const r = await importLocalFile(db, file);
    expect(r.ok ? r.value : r.error.message).toMatchObject({ status: 'imported', format: 'clear-ballot-cvr', records: lines.length - 1 });
    expect(db.prepare<[], { name: string; num_ranks: number | null }>(`SELECT name, num_ranks FROM import_contests`).all()).toEqual([{ name: 'Democratic Primary', num_ranks: ranks.size }]);
    expect(importedRound1(db, 'Democratic Primary')).toEqual(rctabRound1(join(dir, 'clear_ballot_kansas_primary_expected_detailed_report.json')));
    expect(buildPhase1Report(db, () => readSheetFills(db)).summary.duplicateCvrs).toBe(0);
  });
});
