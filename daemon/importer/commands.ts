import { parseArgs } from 'node:util';
import { dataPaths } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { createLogger } from '../log/logger.ts';
import type { CliCommand } from '../cli/command.ts';
import { configFromArgs } from '../cli/coreCommands.ts';
import { importLocalPath } from './importFile.ts';
import { importPendingCatalogFiles, refreshPhase1Report } from './service.ts';

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
    const db = openDatabase(dataPaths(config).database);
    try {
      const logger = createLogger({ level: config.log.level, destination: `${dataPaths(config).logs}/import.log` });
      const r = await importLocalPath(db, target, logger);
      if (!r.ok) {
        process.stderr.write(`${r.error.message}\n${r.error.action ?? ''}\n`);
        return 1;
      }
      for (const o of r.value.outcomes) {
        if (o.status === 'not-election-data') continue;
        process.stdout.write(`${o.status === 'imported' ? 'imported ' : 'unchanged'}  ${o.format ?? ''}  ${o.records} records  ${o.name}\n`);
        for (const w of o.warnings.slice(0, 5)) process.stdout.write(`  warning: ${w}\n`);
      }
      for (const f of r.value.failures) process.stderr.write(`NOT IMPORTED: ${f.message}\n  ${f.action ?? ''}\n`);
      return r.value.failures.length === 0 ? 0 : 1;
    } finally {
      db.close();
    }
  },
};

const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Phase-1 checks: images vs CVRs, duplicates, EIF vs CVR, totals vs results; writes JSON, XLSX and the Arlo manifest',
  usage: 'ballotsafe check [--config <file>] [--out <folder>]   (exit 0: all checks passed, 1: findings or errors)',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, out: { type: 'string' } } });
    const config = configFromArgs(values.config);
    if (config === undefined) return 1;
    const paths = dataPaths(config);
    const db = openDatabase(paths.database);
    try {
      const logger = createLogger({ level: config.log.level, destination: `${paths.logs}/check.log` });
      const pending = await importPendingCatalogFiles(db, paths.vault, logger);
      for (const f of pending.failures) process.stderr.write(`NOT IMPORTED: ${f.message}\n`);
      const r = await refreshPhase1Report(db, values.out ?? paths.reports, logger);
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
        ['EIF contests missing from CVRs', s.eifContestsMissingFromCvr],
        ['CVR contests missing from EIF', s.cvrContestsMissingFromEif],
        ['EIF options missing from CVRs', s.eifOptionsMissingFromCvr],
        ['CVR options missing from EIF', s.cvrOptionsMissingFromEif],
        ['totals not matching results', s.totalsMismatched],
        ['totals within suppressed ballots', s.totalsWithinSuppressed],
        ['files that could not be imported', s.failedSources],
      ];
      for (const [label, n] of lines) process.stdout.write(`${String(n).padStart(9)}  ${label}\n`);
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
