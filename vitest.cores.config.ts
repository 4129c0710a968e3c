import { defineConfig } from 'vitest/config';

/**
 * The pure cores' unit tests with coverage thresholds (#17 "Rules that run"): pre-audit image → grid →
 * marks → compare, snapshot plan → bag format, the importer's parsers. `npm run test:cores`, part of
 * `npm test`, which leaves these files out of its main run (BALLOTSAFE_CORES_APART) so they run once.
 */
export const coreTests = [
  'daemon/preaudit/image.test.ts',
  'daemon/preaudit/barGrid.test.ts',
  'daemon/preaudit/marks.test.ts',
  'daemon/preaudit/realScans.test.ts',
  'daemon/snapshot/bagFormat.test.ts',
  'daemon/importer/dominion.test.ts',
  'daemon/importer/nist.test.ts',
  'daemon/importer/fuzz.test.ts',
  'daemon/importer/badInput.test.ts',
  'daemon/importer/tables.test.ts',
  'test/import/hart.test.ts',
  'test/import/clearBallot.test.ts',
  'test/import/essXlsx.test.ts',
  'test/import/nistCdf.test.ts',
  'test/import/encodingWholeFile.test.ts',
];

// dropoutOvals.ts and ringStencil.ts (Dominion's dropout ovals) are read by dominionScans.test.ts, which is not quick enough for this run.
const preauditCore = ['image', 'findGrid', 'barGrid', 'timingMarks', 'accuVoteGrid', 'edgeFit', 'gridMath', 'targets', 'marks', 'compare'].map((f) => `daemon/preaudit/${f}.ts`);
const snapshotCore = ['plan', 'bagFormat', 'names'].map((f) => `daemon/snapshot/${f}.ts`);
const importerParsers = [
  'dominion', 'dominionCsv', 'dominionZip', 'ess', 'essHeader', 'eif', 'nist', 'cdfXml', 'hartXml', 'clearBallot',
  'results', 'tabular', 'encoding', 'jsonStream', 'xlsxStream', 'detectFormat',
].map((f) => `daemon/importer/${f}.ts`);

export default defineConfig({
  test: {
    include: coreTests,
    pool: 'forks',
    testTimeout: 120_000,
    coverage: {
      enabled: true,
      provider: 'v8',
      include: [...preauditCore, ...snapshotCore, ...importerParsers],
      reporter: ['text-summary', 'text'],
      // Measured 2026-12-05 (#17), statements / branches / functions / lines: all 86.7 / 77.4 / 91.3 / 90.0;
      // preaudit 91.2 / 83.2 / 95.6 / 94.4, importer 84.4 / 76.3 / 87.5 / 88.2, snapshot 81.5 / 58.3 / 89.7 / 81.6.
      // Rounded down a little; raise them when tests are added, never lower them to let a change through.
      thresholds: {
        statements: 84, branches: 75, functions: 89, lines: 88,
        'daemon/preaudit/**': { statements: 89, branches: 81, functions: 93, lines: 92 },
        'daemon/importer/**': { statements: 82, branches: 74, functions: 85, lines: 86 },
        'daemon/snapshot/**': { statements: 79, branches: 56, functions: 87, lines: 79 },
      },
    },
  },
});
