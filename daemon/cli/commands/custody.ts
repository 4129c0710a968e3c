import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../command.ts';
import { configFromArgs } from '../coreCommands.ts';
import { dataPaths, type Config } from '../../core/config.ts';
import { openStateDatabase, type Db } from '../../runtime/stateDatabase.ts';
import { createDriveService } from '../../drives/wiring.ts';
import { silentLogger } from '../../core/log/logger.ts';
import { SnapshotLock } from '../../snapshot/lock.ts';
import type { CustodyState } from '../../custody/state.ts';
import { CustodyWorkflow } from '../../custody/workflow.ts';

/** Where the commands write; tests pass their own. */
export interface CustodyIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

const processIo: CustodyIo = { stdout: process.stdout, stderr: process.stderr };

const cardWords: Record<CustodyState['drives'][number]['status'], string> = {
  verified: 'verified, holds every captured file',
  'not-verified': 'connected, not up to date',
  'not-connected': 'NOT PLUGGED IN',
  'not-enrolled': 'NOT SET UP (never enrolled)',
  'wrong-drive': 'WRONG DRIVE',
  failed: 'FAILED',
  writing: 'being written',
  'handed-off': 'handed off',
};

/** The custody part of `ballotsafe status`: the same verdict, drives and last snapshot as the overview. */
export function custodyStatusText(state: CustodyState): string {
  const lines: string[] = ['', `Drives and snapshots: ${state.protected ? 'PROTECTED: every captured file is on both drives, verified' : 'NOT PROTECTED'}`];
  for (const n of state.notProtected) lines.push(`  - ${n.message}`, `    What to do: ${n.action}`);
  if (state.snapshotRunning) lines.push('  A snapshot is running now. Leave both drives connected.');
  for (const d of state.drives) {
    lines.push(`  Drive ${d.role}: ${cardWords[d.status]}${d.lastVerified === null ? '; never had a snapshot' : `; last verified snapshot #${d.lastVerified.sequence}`}${d.notOnDrive.files > 0 ? `; lacks ${d.notOnDrive.files} captured files` : ''}`);
  }
  const s = state.newestSnapshot;
  lines.push(s === null ? '  Last snapshot: none yet' : `  Last snapshot: #${s.sequence} (${s.state}), ${s.files} files, ${s.finishedAt === null ? 'not finished' : `finished ${new Date(s.finishedAt).toLocaleString()}`}, root hash ${s.rootHash}`);
  if (state.handedOff !== null) lines.push(`  Handed off: custody record ${state.handedOff.custodyId}, ${new Date(state.handedOff.at).toLocaleString()}`);
  return `${lines.join('\n')}\n`;
}

async function withWorkflow(config: Config, fn: (wf: CustodyWorkflow, db: Db) => Promise<number>, isSnapshotRunning: () => boolean): Promise<number> {
  const db = openStateDatabase(dataPaths(config).database);
  try {
    const logger = silentLogger();
    const drives = createDriveService({ config, db, logger, isSnapshotRunning });
    return await fn(new CustodyWorkflow({ db, config, logger, drives, isSnapshotRunning }), db);
  } finally {
    db.close();
  }
}

/** Adds the custody verdict, drives and last snapshot to `ballotsafe status` (text output). */
export function withCustodyStatus(command: CliCommand, io: CustodyIo = processIo): CliCommand {
  if (command.name !== 'status') return command;
  return {
    ...command,
    summary: `${command.summary}, the drives and the last snapshot`,
    async run(argv) {
      const code = await command.run(argv);
      // --json keeps one JSON document (the capture part); the custody state is on the web API.
      if (code !== 0 || argv.includes('--json')) return code;
      const { values } = parseArgs({ args: [...argv], strict: false, options: { config: { type: 'string' } } });
      const config = configFromArgs(typeof values.config === 'string' ? values.config : undefined);
      if (config === undefined) return 1;
      const lock = new SnapshotLock(config.dataDir);
      const holder = lock.tryAcquire('status');
      if (holder === undefined) lock.release();
      return withWorkflow(
        config,
        async (wf) => {
          io.stdout.write(custodyStatusText(await wf.state()));
          return 0;
        },
        () => holder !== undefined,
      );
    },
  };
}

const usage = 'ballotsafe handoff <snapshot-number> --to-a "<where drive A goes>" --to-b "<where drive B goes>" --witness "<name>" [--seal-a <seal or bag number>] [--seal-b <number>] [--operator <name>] [--config <file>]';

/** `ballotsafe handoff`: the same guarded hand-off as the web UI's button (CustodyWorkflow.handOff). */
export function handoffCommand(io: CustodyIo = processIo): CliCommand {
  return {
    name: 'handoff',
    summary: 'Eject both drives of the newest verified snapshot and record who takes them where',
    usage,
    async run(argv) {
      let parsed;
      try {
        parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { config: { type: 'string' }, 'to-a': { type: 'string' }, 'to-b': { type: 'string' }, witness: { type: 'string' }, operator: { type: 'string' }, 'seal-a': { type: 'string' }, 'seal-b': { type: 'string' } } });
      } catch (e) {
        io.stderr.write(`${(e as Error).message}\nUsage:\n  ${usage}\n`);
        return 2;
      }
      const seq = parsed.positionals[0];
      const { values } = parsed;
      const toA = values['to-a']?.trim() ?? '';
      const toB = values['to-b']?.trim() ?? '';
      if (seq === undefined || !/^\d{1,9}$/.test(seq) || toA === '' || toB === '') {
        io.stderr.write(`Give the snapshot number and where each drive goes.\nUsage:\n  ${usage}\n`);
        return 2;
      }
      const config = configFromArgs(values.config);
      if (config === undefined) return 1;
      // Hold the snapshot lock while handing off: no snapshot may start writing to drives being ejected.
      const lock = new SnapshotLock(config.dataDir);
      const holder = lock.tryAcquire('handoff');
      try {
        return await withWorkflow(
          config,
          async (wf) => {
            const operator = values.operator?.trim() || (process.env['SUDO_USER'] ?? process.env['USER'] ?? userInfo().username);
            const sealA = values['seal-a']?.trim() ?? '';
            const sealB = values['seal-b']?.trim() ?? '';
            const seals = { ...(sealA === '' ? {} : { A: sealA.slice(0, 60) }), ...(sealB === '' ? {} : { B: sealB.slice(0, 60) }) };
            const r = await wf.handOff({ sequence: Number(seq), operator, witness: values.witness?.trim() ?? '', destinations: { A: toA, B: toB }, seals });
            if (!r.ok) {
              io.stderr.write(`${r.error.message}\n${r.error.action === undefined ? '' : `What to do: ${r.error.action}\n`}`);
              return 1;
            }
            io.stdout.write(`Snapshot #${r.value.snapshotSequence} handed off: custody record ${r.value.id}.\n`);
            for (const d of r.value.drives) io.stdout.write(`  Drive ${d.role}${d.serial === null ? '' : ` (serial ${d.serial})`}${d.seal === undefined ? '' : `, seal ${d.seal}`} → ${d.destination}\n`);
            io.stdout.write(`Print the sheet and sign it: ballotsafe custody --sheet ${r.value.id} > handoff-${r.value.id}.html\n`);
            return 0;
          },
          () => holder !== undefined,
        );
      } finally {
        if (holder === undefined) lock.release();
      }
    },
  };
}

export const custodyCommands: readonly CliCommand[] = [handoffCommand()];
