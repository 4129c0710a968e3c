import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureMigrations } from '../capture/schema.ts';
import { coreMigrations } from '../core/db/coreSchema.ts';
import { openDatabase, type Db } from '../core/db/database.ts';
import { importMigrations } from './schema.ts';

/** Test helpers (imported only by *.test.ts and bench). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const corpusDir = resolve(repoRoot, '..', 'shared', 'corpus');
export const dominionCorpus = join(corpusDir, 'dominion-alaska-2024-partial');
export const nistCorpus = join(corpusDir, 'nist-cvr');

/** A database with only the areas the importer reads (core, capture catalog, import). */
export function importTestDb(path = ':memory:'): Db {
  return openDatabase(path, [coreMigrations, captureMigrations, importMigrations]);
}

export function tempDir(prefix = 'ballotsafe-import-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes rows to an .xlsx file with exceljs (fixtures for the xlsx parsers). */
export async function writeXlsx(path: string, rows: readonly (readonly (string | number | null)[])[], sheetName = 'Sheet1'): Promise<void> {
  const ExcelJS = (await import('exceljs')).default;
  const wb = new ExcelJS.Workbook();
  const ws = wb.addWorksheet(sheetName);
  for (const r of rows) ws.addRow(r.map((v) => (v === null ? undefined : v)));
  await wb.xlsx.writeFile(path);
}

export function csvText(rows: readonly (readonly (string | number)[])[]): string {
  return rows.map((r) => r.map((c) => (/[",\r\n]/.test(String(c)) ? `"${String(c).replace(/"/g, '""')}"` : String(c))).join(',')).join('\r\n') + '\r\n';
}

/** A CVR report in NIST SP 1500-103 v1.0 JSON, modelled on the spec's example_1.xml (section 5.1). */
export function nistFixture(cvrCount = 4): Record<string, unknown> {
  const selections = ['_C1CS1', '_C1CS2', '_C1CS3'];
  const cvrs = Array.from({ length: cvrCount }, (_, i) => {
    const overvote = i === 3;
    const chosen = overvote ? ['_C1CS1', '_C1CS2'] : [selections[i % 2] as string];
    return {
      '@type': 'CVR.CVR',
      BallotImage: [{ '@type': 'CVR.ImageData', Location: `file:CVR${i + 1}_Ballot.jpg` }],
      BallotStyleId: 'bs1',
      BatchId: 'B1',
      BatchSequenceId: i + 1,
      CreatingDeviceId: 'rd-1',
      CurrentSnapshotId: `cvr-00${i + 1}`,
      CVRSnapshot: [
        {
          '@id': `cvr-00${i + 1}`,
          '@type': 'CVR.CVRSnapshot',
          Type: overvote ? 'interpreted' : 'original',
          CVRContest: [
            {
              '@type': 'CVR.CVRContest',
              ContestId: '_C1',
              ...(overvote ? { Overvotes: 1 } : {}),
              CVRContestSelection: chosen.map((id) => ({
                '@type': 'CVR.CVRContestSelection',
                ContestSelectionId: id,
                SelectionPosition: [
                  { '@type': 'CVR.SelectionPosition', HasIndication: 'yes', IsAllocable: overvote ? 'no' : 'yes', NumberVotes: 1, MarkMetricValue: ['95'] },
                ],
                TotalNumberVotes: overvote ? 0 : 1,
              })),
            },
          ],
        },
      ],
      ElectionId: '_EL7',
      UniqueId: String(i + 1),
    };
  });
  return {
    '@type': 'CVR.CastVoteRecordReport',
    CVR: cvrs,
    Election: [
      {
        '@id': '_EL7',
        '@type': 'CVR.Election',
        Name: 'Example election',
        ElectionScopeId: 'gp-1',
        Candidate: [
          { '@id': 'cand-1', '@type': 'CVR.Candidate', Name: 'Alice Ames' },
          { '@id': 'cand-2', '@type': 'CVR.Candidate', Name: 'Bob Burns' },
        ],
        Contest: [
          {
            '@id': '_C1',
            '@type': 'CVR.CandidateContest',
            Name: 'Mayor',
            VotesAllowed: 1,
            ContestSelection: [
              { '@id': '_C1CS1', '@type': 'CVR.CandidateSelection', CandidateIds: ['cand-1'] },
              { '@id': '_C1CS2', '@type': 'CVR.CandidateSelection', CandidateIds: ['cand-2'] },
              { '@id': '_C1CS3', '@type': 'CVR.CandidateSelection', IsWriteIn: true },
            ],
          },
        ],
      },
    ],
    GeneratedDate: '2024-11-05T21:00:00Z',
    GpUnit: [{ '@id': 'gp-1', '@type': 'CVR.GpUnit', Name: 'Example County', Type: 'other', ReportingDeviceIds: ['rd-1'] }],
    ReportGeneratingDeviceIds: ['rd-1'],
    ReportingDevice: [{ '@id': 'rd-1', '@type': 'CVR.ReportingDevice', Manufacturer: 'Example', Model: 'Scanner 1' }],
    ReportType: ['originating-device-export'],
    Version: '1.0.0',
  };
}
