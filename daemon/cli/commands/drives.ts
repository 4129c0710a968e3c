import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { configFromArgs } from '../coreCommands.ts';
import type { CliCommand } from '../command.ts';
import { dataPaths, type Config } from '../../core/config.ts';
import { openStateDatabase, type Db } from '../../runtime/stateDatabase.ts';
import { IntakeStore } from '../../intake/store.ts';
import { silentLogger } from '../../core/log/logger.ts';
import { technicalText, type OperatorError } from '../../core/result.ts';
import { renderHandoffSheet } from '../../drives/handoffSheet.ts';
import type { DriveService } from '../../drives/service.ts';
import { driveRoles, type DriveRole } from '../../drives/types.ts';
import { createDriveService } from '../../drives/wiring.ts';
import { formatBytes } from '../../core/format.ts';

function printError(e: OperatorError): number {
  process.stderr.write(`${technicalText(e)}\n${e.action === undefined ? '' : `What to do: ${e.action}\n`}`);
  return 1;
}

function operatorName(given: string | undefined): string {
  if (given !== undefined && given.trim() !== '') return given.trim();
  return process.env['SUDO_USER'] ?? process.env['USER'] ?? userInfo().username;
}

async function withService(configPath: string | undefined, fn: (svc: DriveService, config: Config, db: Db) => Promise<number>): Promise<number> {
  const config = configFromArgs(configPath);
  if (config === undefined) return 1;
  const db = openStateDatabase(dataPaths(config).database);
  try {
    return await fn(createDriveService({ config, db, logger: silentLogger() }), config, db);
  } finally {
    db.close();
  }
}

const size = (n: number | null) => (n === null ? '' : formatBytes(n));

const drivesCommand: CliCommand = {
  name: 'drives',
  summary: 'List the USB drives (or drive folders) and whether they are enrolled',
  usage: 'ballotsafe drives [--json] [--config <file>]',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, json: { type: 'boolean' } } });
    return withService(values.config, async (svc, _config, db) => {
      const list = await svc.listDrives();
      const sticks = new IntakeStore(db);
      if (!list.ok) return printError(list.error);
      if (values.json === true) {
        process.stdout.write(`${JSON.stringify(list.value, null, 2)}\n`);
        return 0;
      }
      if (list.value.length === 0) {
        process.stdout.write('No removable USB drive is plugged in.\n');
        return 0;
      }
      for (const d of list.value) {
        const stick = d.enrolled === null && d.kind === 'usb' ? sticks.findStick(d.serial, d.uuid) : undefined;
        const who = stick !== undefined ? `export stick (${stick.ems})` : d.enrolled === null ? (d.status === 'missing' ? 'folder missing' : 'NOT ENROLLED') : `drive ${d.enrolled.role}${d.enrolled.rotationSet === null ? '' : ` (set ${d.enrolled.rotationSet})`}`;
        const last = d.lastReturn === null ? '' : `  last check: ${d.lastReturn.ok ? 'OK' : 'FAILED'} ${d.lastReturn.checkedAt}`;
        process.stdout.write(
          `${(d.device ?? d.path ?? '').padEnd(12)} ${who.padEnd(16)} ${d.description}  ${[d.serial && `serial ${d.serial}`, d.fstype, d.label, size(d.sizeBytes), d.path && d.kind === 'usb' ? `mounted at ${d.path}` : ''].filter(Boolean).join(', ')}${last}\n`,
        );
      }
      return 0;
    });
  },
};

const enrollCommand: CliCommand = {
  name: 'enroll',
  summary: 'Enroll a USB drive (or drive folder) as drive A or B, optionally formatting it as exFAT',
  usage: 'ballotsafe enroll <device|folder|A|B> --role A|B [--set N] [--operator NAME] [--format-exfat --yes-erase-everything] [--config <file>]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        role: { type: 'string' },
        set: { type: 'string' },
        operator: { type: 'string' },
        'format-exfat': { type: 'boolean' },
        'yes-erase-everything': { type: 'boolean' },
      },
    });
    const target = positionals[0];
    const role = values.role?.toUpperCase();
    if (target === undefined || positionals.length > 1 || (role !== 'A' && role !== 'B')) {
      process.stderr.write(`Usage: ${enrollCommand.usage}\n`);
      return 2;
    }
    let rotationSet: number | null = null;
    if (values.set !== undefined) {
      if (!/^[1-9][0-9]{0,2}$/.test(values.set)) {
        process.stderr.write('--set must be a number from 1 to 999.\n');
        return 2;
      }
      rotationSet = Number(values.set);
    }
    if (values['format-exfat'] === true && values['yes-erase-everything'] !== true) {
      process.stderr.write(`Formatting erases everything on ${target}.\nWhat to do: if the drive may be erased, run the command again with --yes-erase-everything.\n`);
      return 1;
    }
    return withService(values.config, async (svc) => {
      const r = await svc.enroll({
        target,
        role: role as DriveRole,
        rotationSet,
        operator: operatorName(values.operator),
        ...(values['format-exfat'] === true ? { formatExfat: { confirmEraseEverything: true as const } } : {}),
      });
      if (!r.ok) return printError(r.error);
      process.stdout.write(`Enrolled as drive ${r.value.role}${r.value.rotationSet === null ? '' : ` of set ${r.value.rotationSet}`} (drive id ${r.value.id}${r.value.serial === null ? '' : `, serial ${r.value.serial}`}). Label the drive "${r.value.role}".\n`);
      return 0;
    });
  },
};

const ejectCommand: CliCommand = {
  name: 'eject',
  summary: 'Flush, unmount and power off drive A, B or both',
  usage: 'ballotsafe eject [A|B] [--config <file>]',
  async run(argv) {
    const { values, positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: { config: { type: 'string' }, operator: { type: 'string' } } });
    const which = positionals[0]?.toUpperCase();
    if (positionals.length > 1 || (which !== undefined && which !== 'A' && which !== 'B')) {
      process.stderr.write(`Usage: ${ejectCommand.usage}\n`);
      return 2;
    }
    const roles: readonly DriveRole[] = which === undefined ? driveRoles : [which as DriveRole];
    return withService(values.config, async (svc) => {
      const r = await svc.eject(roles, operatorName(values.operator));
      if (!r.ok) return printError(r.error);
      for (const e of r.value) process.stdout.write(`Drive ${e.role}${e.device === null ? '' : ` (${e.device})`}: ${e.device === null ? 'folder drive, nothing to unmount' : e.poweredOff ? 'ejected and powered off; it is safe to unplug' : 'flushed and unmounted; it is safe to unplug'}.\n`);
      return 0;
    });
  },
};

const custodyCommand: CliCommand = {
  name: 'custody',
  summary: 'List chain-of-custody records, or print one hand-off sheet as HTML',
  usage: 'ballotsafe custody [--json] [--limit N] [--sheet ID > sheet.html] [--config <file>]',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' }, json: { type: 'boolean' }, limit: { type: 'string' }, sheet: { type: 'string' } } });
    return withService(values.config, async (svc, config) => {
      if (values.sheet !== undefined) {
        const rec = /^\d+$/.test(values.sheet) ? svc.custodyRecord(Number(values.sheet)) : undefined;
        if (rec === undefined) {
          process.stderr.write(`There is no custody record ${values.sheet}.\nWhat to do: run "ballotsafe custody" to see the record numbers.\n`);
          return 1;
        }
        process.stdout.write(renderHandoffSheet(rec, { electionTitle: config.election.title, applianceId: svc.applianceId() }));
        return 0;
      }
      const limit = values.limit !== undefined && /^\d+$/.test(values.limit) ? Number(values.limit) : 50;
      const records = svc.custodyRecords(limit);
      if (values.json === true) {
        process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        return 0;
      }
      if (records.length === 0) process.stdout.write('No custody records yet.\n');
      for (const r of records) {
        process.stdout.write(`#${r.id}  ${r.recordedAt}  snapshot ${r.snapshotSequence}  root ${r.rootHash}  by ${r.operator}${r.witness === null ? '' : ` (witness ${r.witness})`}\n`);
        for (const d of r.drives) process.stdout.write(`      drive ${d.role}  serial ${d.serial ?? '-'}  → ${d.destination}\n`);
      }
      return 0;
    });
  },
};

export const driveCommands: readonly CliCommand[] = [drivesCommand, enrollCommand, ejectCommand, custodyCommand];
