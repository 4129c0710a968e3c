import { parseArgs } from 'node:util';
import { dataPaths } from '../../core/config.ts';
import { openStateDatabase } from '../../runtime/stateDatabase.ts';
import { createLogger, logEvent } from '../../core/log/logger.ts';
import type { CliCommand } from '../command.ts';
import { configFromArgs } from '../coreCommands.ts';
import { ballotImageReason, importLocalPath, type ImportOutcome } from '../../importer/importFile.ts';
import { importPendingCatalogFiles, refreshPhase1Report } from '../../importer/service.ts';
import { recoverInterruptedImports } from '../../importer/store.ts';
import { LogEvent } from '../../core/log/events.ts';
import { counted } from '../../core/words.ts';
import { readSheetFills } from '../../preaudit/viewStore.ts';

const importCommand: CliCommand = {
  name: 'import',
  summary: 'Import a CVR export, EIF or results file (or a folder of them) into the election database',
  usage: 'ballotsafe import <file-or-folder> [--config <file>]',
  async run(argv) {
    const { values, positionals } = parseArgs({ args: [...argv], options: { config: { type: 'string' } }, allowPositionals: true });
    const target = positionals[0];
    if (target === undefined) {
      process.stderr.write('ballotsafe import: name a file or folder to import.\n');
      return 2;
    }
    const config = configFromArgs(values.config);
    if (config === undefined) return 1;
    const db = openStateDatabase(dataPaths(config).database);
    try {
      const logger = createLogger({ level: config.log.level, destination: `${dataPaths(config).logs}/import.log` });
      const cleaned = recoverInterruptedImports(db);
      if (cleaned > 0) logEvent(logger, LogEvent.ImportInterruptedCleaned, { sources: cleaned });
      const r = await importLocalPath(db, target, logger);
      if (!r.ok) {
        process.stderr.write(`${r.error.message}\n${r.error.action ?? ''}\n`);
        return 1;
      }
      // Every file ends in exactly one line: imported, unchanged, not election data or NOT IMPORTED.
      const images = r.value.outcomes.filter((o) => o.reason === ballotImageReason).length;
      if (images > 0) process.stdout.write(`not election data  ${counted(images, 'ballot image file')}\n  why: ${ballotImageReason}\n`);
      for (const o of r.value.outcomes) {
        if (o.reason === ballotImageReason) continue;
        if (o.status === 'not-election-data') {
          process.stdout.write(`not election data  ${o.name}\n  why: ${o.reason ?? 'not a format that holds election data'}\n`);
          continue;
        }
        // A second file of an export already read (e.g. Dominion's CSV beside its zip) is kept, not counted.
        if (o.format === 'ignored') process.stdout.write(`not counted  ${o.name}  (the same ballots as a file already imported)\n`);
        else process.stdout.write(`${o.status === 'imported' ? 'imported ' : 'unchanged'}  ${o.format ?? ''}  ${o.records} records  ${o.name}\n`);
        if (o.detail !== undefined) process.stdout.write(`  ${o.detail}\n`);
        for (const w of o.warnings.slice(0, 5)) process.stdout.write(`  warning: ${w}\n`);
      }
      for (const f of r.value.failures) process.stderr.write(`NOT IMPORTED: ${f.message}\n  ${f.action ?? ''}\n`);
      const usable = r.value.outcomes.filter((o) => o.status !== 'not-election-data').length;
      if (usable === 0 && r.value.failures.length === 0) {
        process.stderr.write(`Nothing was imported from ${target}: no file in it holds election data ballotsafe reads.\n  Check you named the EMS export file or folder.\n`);
      }
      const c = summarize(r.value.outcomes, r.value.failures.length);
      process.stdout.write(`${c}\n`);
      return r.value.failures.length === 0 && usable > 0 ? 0 : 1;
    } finally {
      db.close();
    }
  },
};

function summarize(outcomes: readonly ImportOutcome[], refused: number): string {
  const counted = outcomes.filter((o) => o.format !== 'ignored');
  const n = (status: ImportOutcome['status']) => counted.filter((o) => o.status === status).length;
  const sameExport = outcomes.length - counted.length;
  return `${n('imported')} imported, ${n('unchanged')} unchanged, ${refused} not imported, ${n('not-election-data')} not election data${sameExport > 0 ? `, ${sameExport} not counted (same ballots as another file)` : ''}.`;
}

const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Phase-1 checks: images vs CVRs, duplicates, EIF vs CVR, totals vs results; writes JSON, XLSX and the Arlo manifest',
  usage: 'ballotsafe check [--config <file>] [--out <folder>]   (exit 0: all checks passed, 1: findings or errors)',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, out: { type: 'string' } } });
    const config = configFromArgs(values.config);
    if (config === undefined) return 1;
    const paths = dataPaths(config);
    const db = openStateDatabase(paths.database);
    try {
      const logger = createLogger({ level: config.log.level, destination: `${paths.logs}/check.log` });
      const pending = await importPendingCatalogFiles(db, paths.vault, logger);
      for (const f of pending.failures) process.stderr.write(`NOT IMPORTED: ${f.message}\n`);
      const r = await refreshPhase1Report(db, values.out ?? paths.reports, () => readSheetFills(db), logger);
      if (!r.ok) {
        process.stderr.write(`${r.error.message}\n${r.error.action ?? ''}\n`);
        return 1;
      }
      const s = r.value.report.summary;
      const lines: [string, number][] = [
        ['CVR records', s.cvrRecords],
        ['ballot image files', s.imageFiles],
        ['images without a CVR', s.imagesWithoutCvr],
        ['CVRs without an image', s.cvrsWithoutImage],
        ['duplicate CVR records', s.duplicateCvrs],
        ['duplicate image files', s.duplicateImages],
        ['ballots scanned twice under another id', s.rescannedSheets],
        ['EIF contests missing from CVRs', s.eifContestsMissingFromCvr],
        ['CVR contests missing from EIF', s.cvrContestsMissingFromEif],
        ['EIF options missing from CVRs', s.eifOptionsMissingFromCvr],
        ['CVR options missing from EIF', s.cvrOptionsMissingFromEif],
        ['totals not matching results', s.totalsMismatched],
        ['totals within suppressed ballots', s.totalsWithinSuppressed],
        ['files that could not be imported', s.failedSources],
        ['files that are not election data', s.notElectionData],
      ];
      for (const [label, n] of lines) process.stdout.write(`${String(n).padStart(9)}  ${label}\n`);
      for (const d of r.value.report.rescannedSheets.items) process.stdout.write(`  Same ballot scanned twice: ${d.first.join(' + ')} and ${d.second.join(' + ')}\n`);
      if (s.imageFiles > 0 && s.sheetsCheckedForRescans === 0 && s.sheetsNotCheckedForRescans === 0) process.stdout.write('\nBallots scanned twice under another number are looked for once the pre-audit has read the marks.\n');
      if (s.sheetsNotCheckedForRescans > 0) process.stdout.write(`\n${s.sheetsNotCheckedForRescans} ES&S sheets were not compared for a ballot scanned twice: two voters' filled ovals look alike in ES&S's black-and-white scans.\n`);
      if (s.cvrRecords === 0) process.stdout.write('\nNo cast vote records have been imported, so nothing could be checked. Capture or import the CVR export first.\n');
      if (s.failedSources > 0) process.stdout.write(`\n${counted(s.failedSources, 'file')} could not be imported; the report says why and what to do.\n`);
      process.stdout.write(`\n${s.clean ? 'All phase-1 checks passed.' : 'Some checks need attention; see the report.'}\n`);
      process.stdout.write(`Report: ${r.value.json}\n        ${r.value.xlsx}\n`);
      if (r.value.arloManifest !== null) process.stdout.write(`Arlo ballot manifest: ${r.value.arloManifest}\n`);
      return s.clean ? 0 : 1;
    } finally {
      db.close();
    }
  },
};

export const importerCommands: readonly CliCommand[] = [importCommand, checkCommand];
