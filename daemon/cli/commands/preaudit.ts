import { parseArgs } from 'node:util';
import path from 'node:path';
import type { CliCommand } from '../command.ts';
import { configFromArgs } from '../coreCommands.ts';
import { dataPaths, type Config } from '../../core/config.ts';
import { openStateDatabase } from '../../runtime/stateDatabase.ts';
import { importPendingCatalogFiles } from '../../importer/service.ts';
import { createLogger, type Logger } from '../../core/log/logger.ts';
import { err, ok, type Result } from '../../core/result.ts';
import { writePreauditReport, type WrittenReport } from '../../preaudit/report.ts';
import { PreauditService } from '../../preaudit/service.ts';
import { passExitCode, passSummaryLines } from '../../preaudit/runSummary.ts';
import { PREAUDIT_EXIT, type SheetTally, tallySheets } from '../../preaudit/sheetTally.ts';

export interface PreauditRun extends WrittenReport {
  readonly sheets: number;
  readonly unreadable: number;
  /** Every sheet of the pass: read, set aside, waiting for a person, unreadable, not read yet. */
  readonly tally: SheetTally;
  /** The pass's own words on sheets not read (set apart, waiting for a person), if any. */
  readonly note?: string;
}

/** One pass over the catalog (pending imports first), then the reports under `outDir`. */
export async function runPreauditOnce(config: Config, logger: Logger, outDir?: string, workers?: number): Promise<Result<PreauditRun>> {
  const paths = dataPaths(config);
  const db = openStateDatabase(paths.database);
  try {
    await importPendingCatalogFiles(db, paths.vault, logger);
    const service = new PreauditService({ db, vaultDir: paths.vault, logger, rootPaths: config.roots.map((r) => r.path), ...(workers === undefined ? {} : { workers }) });
    const pass = await service.runOnce();
    if (!pass.ok) return pass;
    // The layouts' contest and option names match the results summary's rows to the layout ids.
    const contests = pass.value.layouts.layouts.flatMap((l) => l.contests);
    const written = await writePreauditReport(db, paths.vault, outDir ?? path.join(paths.reports, 'preaudit'), { contests });
    const note = service.status().message;
    const tally = tallySheets(db, pass.value.sheets.map((s) => s.job.key));
    return ok({ ...written, sheets: pass.value.sheets.length, unreadable: pass.value.progress.errors, tally, ...(note === undefined ? {} : { note }) });
  } catch (e) {
    return err({ code: 'preaudit-failed', message: `The pre-audit failed: ${e instanceof Error ? e.message : String(e)}`, action: 'See the log; run the command again after fixing the cause.' });
  } finally {
    db.close();
  }
}

const preauditCommand: CliCommand = {
  name: 'preaudit',
  summary: 'Read every captured ballot image, compare with the CVRs, write the JSON/XLSX discrepancy report with evidence crops',
  usage:
    'ballotsafe preaudit [--config <file>] [--out <folder>]\n' +
    `  exit ${PREAUDIT_EXIT.allReadNoDisagreement}: every sheet read, no disagreement with the CVRs\n` +
    `  exit ${PREAUDIT_EXIT.disagreements}: disagreements with the CVRs\n` +
    `  exit ${PREAUDIT_EXIT.error}: the pre-audit could not run\n` +
    `  exit ${PREAUDIT_EXIT.sheetsNotRead}: no disagreement among the sheets read, but some sheets were not read (waiting for a person, set aside, unreadable), or ballots read have no CVR to compare with`,
  async run(argv) {
    let values: { config?: string | undefined; out?: string | undefined };
    try {
      values = parseArgs({ args: [...argv], options: { config: { type: 'string' }, out: { type: 'string' } } }).values;
    } catch (e) {
      process.stderr.write(`ballotsafe preaudit: ${e instanceof Error ? e.message : String(e)}\n`);
      return PREAUDIT_EXIT.error;
    }
    const config = configFromArgs(values.config);
    if (config === undefined) return PREAUDIT_EXIT.error;
    const logger = createLogger({ level: process.env['BALLOTSAFE_LOG_LEVEL'] ?? config.log.level, destination: `${dataPaths(config).logs}/preaudit.log` });
    const r = await runPreauditOnce(config, logger, values.out === undefined ? undefined : path.resolve(values.out));
    // The log file is written before the command returns, on every path (a caller may remove the folder next).
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    if (!r.ok) {
      process.stderr.write(`${r.error.message}\n${r.error.action ?? ''}\n`);
      return PREAUDIT_EXIT.error;
    }
    for (const l of passSummaryLines(r.value)) process.stdout.write(`${l}\n`);
    return passExitCode(r.value);
  },
};

export const preauditCommands: readonly CliCommand[] = [preauditCommand];
