import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { CliCommand } from '../command.ts';
import { configFromArgs } from '../coreCommands.ts';
import { dataPaths } from '../../core/config.ts';
import { openStateDatabase } from '../../runtime/stateDatabase.ts';
import { createDriveService } from '../../drives/wiring.ts';
import { createLogger } from '../../core/log/logger.ts';
import { technicalText, type Result } from '../../core/result.ts';
import type { SnapshotOutcome, SnapshotProgress, SnapshotReason } from '../../snapshot/api.ts';
import { SnapshotEngine } from '../../snapshot/engine.ts';
import { progressLine } from '../../snapshot/progressText.ts';
import { counted } from '../../core/words.ts';
import { SnapshotJobs } from '../../custody/snapshotJobs.ts';
import { CustodyWorkflow } from '../../custody/workflow.ts';
import { formatBytes } from '../../core/format.ts';

const reasons = ['operator', 'end-of-day', 'poll-close', 'schedule', 'export-settled', 'catch-up', 'recovery'] as const satisfies readonly SnapshotReason[];

function fail(message: string, action?: string): number {
  process.stderr.write(`${message}\n${action === undefined ? '' : `${action}\n`}`);
  return 1;
}


/**
 * `ballotsafe snapshot`: the configured drives go through the custody workflow, with the same
 * checks as the End-of-day button (enrolled, plugged in, identity). `--drive-a/--drive-b` name two
 * plain folders for a technician's or a test's one-off copy; those are not enrolled drives and
 * get no custody checks.
 */
export const snapshotCommand: CliCommand = {
  name: 'snapshot',
  summary: 'Write an incremental (or --full) snapshot onto drives A and B, read it back and sign it',
  usage: 'ballotsafe snapshot [--reason R] [--full] [--drive-a PATH --drive-b PATH] [--config <file>]',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: { config: { type: 'string' }, reason: { type: 'string', default: 'operator' }, full: { type: 'boolean', default: false }, 'drive-a': { type: 'string' }, 'drive-b': { type: 'string' }, actor: { type: 'string' } },
    });
    const config = configFromArgs(values.config);
    if (config === undefined) return 1;
    const reason = z.enum(reasons).safeParse(values.reason);
    if (!reason.success) return fail(`--reason must be one of: ${reasons.join(', ')}.`);
    const explicit = values['drive-a'] !== undefined || values['drive-b'] !== undefined;
    if (explicit && (values['drive-a'] === undefined || values['drive-b'] === undefined)) return fail('Give both --drive-a and --drive-b (the mounted drives or folders).');
    const logger = createLogger({ level: process.env['BALLOTSAFE_LOG_LEVEL'] ?? 'warn' });
    const db = openStateDatabase(dataPaths(config).database);
    try {
      const engine = new SnapshotEngine({ db, config, logger });
      const jobs = new SnapshotJobs(engine, logger);
      const actor = values.actor ?? process.env['SUDO_USER'] ?? process.env['USER'] ?? 'operator';
      const request = { reason: reason.data, actor, ...(values.full === true ? { full: true } : {}) };
      let last = 0;
      const onProgress = (p: SnapshotProgress) => {
        if (Date.now() - last < 1000 && p.phase !== 'done') return;
        last = Date.now();
        process.stderr.write(`${progressLine(p)}\n`);
      };
      let result: Result<SnapshotOutcome>;
      if (explicit) {
        const drives = [
          { role: 'A' as const, root: resolve(values['drive-a'] ?? '') },
          { role: 'B' as const, root: resolve(values['drive-b'] ?? '') },
        ];
        result = await jobs.run({ ...request, drives }, onProgress);
      } else {
        const drives = createDriveService({ config, db, logger, isSnapshotRunning: () => jobs.isBusy() });
        const workflow = new CustodyWorkflow({ db, config, logger, drives, snapshots: jobs, isSnapshotRunning: () => jobs.isBusy() });
        result = await workflow.runSnapshot(request, onProgress);
      }
      if (!result.ok) return fail(`Snapshot not written: ${technicalText(result.error)}`, result.error.action);
      const o = result.value;
      process.stdout.write(`Snapshot ${o.bagName} (sequence ${o.sequence}): ${o.files} files, ${formatBytes(o.bytes)}\nRoot hash: ${o.rootHash}\n`);
      if (o.copied !== undefined && o.copied.snapshots > 1) process.stdout.write(`Copied in all: ${counted(o.copied.files, 'file')}, ${formatBytes(o.copied.bytes)} (this snapshot and ${counted(o.copied.snapshots - 1, 'earlier snapshot')} a drive lacked)\n`);
      for (const d of o.perDrive) process.stdout.write(`Drive ${d.role}: ${d.state === 'complete' ? 'complete, read back and verified' : `FAILED: ${d.error === undefined ? '' : technicalText(d.error)}\n  ${d.error?.action ?? ''}`}\n`);
      return o.perDrive.every((d) => d.state === 'complete') ? 0 : 1;
    } finally {
      db.close();
    }
  },
};
