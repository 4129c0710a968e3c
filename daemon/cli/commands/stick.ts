import { userInfo } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CaptureService } from '../../capture/captureService.ts';
import type { CliCommand } from '../command.ts';
import { configFromArgs } from '../coreCommands.ts';
import { dataPaths, type Config } from '../../core/config.ts';
import { openStateDatabase, type Db } from '../../runtime/stateDatabase.ts';
import { createLogger, silentLogger, type Logger } from '../../core/log/logger.ts';
import { err, operatorError, technicalText, type OperatorError } from '../../core/result.ts';
import type { StickCapturer } from '../../intake/intakeService.ts';
import type { StickIntake } from '../../intake/store.ts';
import { IntakeStore } from '../../intake/store.ts';
import { recordBroughtBy } from '../../intake/broughtBy.ts';
import { AuditLog } from '../../core/state/auditLog.ts';
import { createIntakeService } from '../../intake/wiring.ts';
import { formatBytes } from '../../core/format.ts';

const usage = [
  'ballotsafe stick list [--config <file>]',
  'ballotsafe stick enroll <device> --ems "<which EMS>" [--operator NAME] [--config <file>]',
  'ballotsafe stick intake <device> --brought-by NAME [--operator NAME] [--config <file>]   (only while the daemon is stopped; the daemon reads enrolled sticks on plug-in)',
  'ballotsafe stick brought-by <intake-number> NAME [--operator NAME] [--config <file>]',
].join('\n  ');

function printError(e: OperatorError): number {
  process.stderr.write(`${technicalText(e)}\n${e.action === undefined ? '' : `What to do: ${e.action}\n`}`);
  return 1;
}

function operatorName(given: string | undefined): string {
  if (given !== undefined && given.trim() !== '') return given.trim();
  return process.env['SUDO_USER'] ?? process.env['USER'] ?? userInfo().username;
}

const files = (n: number) => `${n} ${n === 1 ? 'file' : 'files'}`;

/** One intake in a few lines: the custody record as a clerk or auditor reads it. */
export function describeIntake(r: StickIntake): string {
  const status = r.status === 'captured' ? `captured ${files(r.fileCount)}` : r.status === 'reading' ? 'being read' : r.status === 'incomplete' ? 'INCOMPLETE' : 'not read';
  return [
    `Intake ${r.id}: ${status} — from ${r.ems}, stick ${r.serial === null ? `volume ${r.fsUuid ?? 'unknown'}` : `serial ${r.serial}`}`,
    `  started ${r.startedAt}${r.finishedAt === null ? '' : `, finished ${r.finishedAt}`}; brought by ${r.broughtBy ?? '(not entered yet)'}`,
    `  ${r.filesOnStick === null ? 'nothing listed' : `${files(r.fileCount)} captured of ${r.filesOnStick}, ${formatBytes(r.totalBytes)}`}${r.manifestSha256 === null ? '' : `; manifest SHA-256 ${r.manifestSha256}`}`,
    `  ${r.message}`,
    `  ${r.removable ? 'The stick can be removed.' : r.status === 'reading' ? 'Do not remove the stick yet.' : 'The stick is NOT safe to remove yet.'}`,
  ].join('\n');
}

async function withDb(configPath: string | undefined, fn: (db: Db, config: Config) => Promise<number>): Promise<number> {
  const config = configFromArgs(configPath);
  if (config === undefined) return 1;
  const db = openStateDatabase(dataPaths(config).database);
  try {
    return await fn(db, config);
  } finally {
    db.close();
  }
}

export const stickCommand: CliCommand = {
  name: 'stick',
  summary: 'Export sticks from an air-gapped EMS: enroll one, list intakes, read one, record who brought it',
  usage,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { config: { type: 'string' }, ems: { type: 'string' }, 'brought-by': { type: 'string' }, operator: { type: 'string' } },
    });
    const [verb, arg1, arg2] = positionals;
    const operator = operatorName(values.operator);
    if (verb === 'list' && positionals.length === 1) {
      return withDb(values.config, async (db) => {
        const store = new IntakeStore(db);
        const sticks = store.activeSticks();
        process.stdout.write(sticks.length === 0 ? 'No export stick is enrolled.\n' : `Enrolled export sticks:\n${sticks.map((s) => `  ${s.ems}: ${s.description}${s.serial === null ? ` (volume ${s.fsUuid ?? ''})` : ` (serial ${s.serial})`}, enrolled ${s.enrolledAt} by ${s.enrolledBy}`).join('\n')}\n`);
        const intakes = store.intakes(50);
        process.stdout.write(intakes.length === 0 ? 'No stick has been read yet.\n' : `\n${intakes.map(describeIntake).join('\n\n')}\n`);
        return 0;
      });
    }
    if (verb === 'brought-by' && arg1 !== undefined && arg2 !== undefined && positionals.length === 3 && /^[1-9][0-9]{0,14}$/.test(arg1)) {
      return withDb(values.config, async (db) => {
        const r = recordBroughtBy(new IntakeStore(db), new AuditLog(db, silentLogger()), Number(arg1), arg2, operator);
        if (!r.ok) return printError(r.error);
        process.stdout.write(`${describeIntake(r.value)}\n`);
        return 0;
      });
    }
    if (verb === 'enroll' && arg1 !== undefined && positionals.length === 2 && values.ems !== undefined) {
      return withDb(values.config, async (db) => {
        // Enrolling reads nothing from the stick: no capture behind it.
        const capture: StickCapturer = { captureOnce: async () => err(operatorError('not-capturing', 'Enrolling does not read the stick.')) };
        const r = await createIntakeService({ db, logger: silentLogger(), capture }).enroll({ device: arg1, ems: values.ems ?? '', operator });
        if (!r.ok) return printError(r.error);
        process.stdout.write(`Enrolled as an export stick for ${r.value.ems} (${r.value.description}${r.value.serial === null ? '' : `, serial ${r.value.serial}`}). Label the stick "EXPORT — ${r.value.ems}".\n`);
        return 0;
      });
    }
    if (verb === 'intake' && arg1 !== undefined && positionals.length === 2 && values['brought-by'] !== undefined) {
      return withDb(values.config, async (db, config) => {
        const logger: Logger = createLogger({ level: process.env['BALLOTSAFE_LOG_LEVEL'] ?? config.log.level, destination: join(dataPaths(config).logs, 'stick-intake.log') });
        const capture = new CaptureService({ config, db, logger, watch: false });
        try {
          const svc = createIntakeService({ db, logger, capture });
          const found = await svc.findCandidate(arg1);
          if (!found.ok) return printError(found.error);
          const r = await svc.intake(found.value, { actor: operator, broughtBy: values['brought-by'] ?? '' });
          if (!r.ok) return printError(r.error);
          process.stdout.write(`${describeIntake(r.value)}\n`);
          return r.value.status === 'captured' ? 0 : 1;
        } finally {
          await capture.engine.drain();
          await capture.engine.close();
          await new Promise<void>((resolve) => logger.flush(() => resolve()));
        }
      });
    }
    process.stderr.write(`Usage:\n  ${usage}\n`);
    return 2;
  },
};

export const intakeCommands: readonly CliCommand[] = [stickCommand];
