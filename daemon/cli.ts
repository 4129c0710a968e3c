import type { CliCommand } from './cli/command.ts';
import { coreCommands } from './cli/coreCommands.ts';
import { driveCommands } from './drives/commands.ts';
import { importerCommands } from './importer/commands.ts';
import { snapshotCommands } from './snapshot/commands.ts';
import { restoreCommand } from './restore/restoreCommand.ts';
import { captureCommands } from './capture/commands.ts';
import { webCommands } from './web/commands.ts';
import { runtimeCommands } from './runtime/commands.ts';
import { preauditCommands } from './preaudit/commands.ts';
import { describeUncaughtFailure } from './runtime/uncaughtFailure.ts';
import { sampleCommands } from '../scripts/sample-election/command.ts';
import { custodyCommands, withCustodyStatus } from './custody/commands.ts';
import { snapshotCommand } from './custody/snapshotCommand.ts';
import { intakeCommands } from './intake/commands.ts';

// Each area contributes its commands here (one import, one spread).
const commands: readonly CliCommand[] = [...runtimeCommands, ...coreCommands, ...driveCommands, ...importerCommands, snapshotCommand, ...snapshotCommands, restoreCommand, ...captureCommands.map((c) => withCustodyStatus(c)), ...webCommands, ...sampleCommands, ...preauditCommands, ...custodyCommands, ...intakeCommands];

function help(): void {
  const width = Math.max(...commands.map((c) => c.name.length));
  process.stdout.write('ballotsafe: captures election exports, writes verified dual-drive snapshots, pre-audits ballots\n\n');
  process.stdout.write('Usage: ballotsafe <command> [options]   (every command takes --config <file>)\n\nCommands:\n');
  for (const c of commands) process.stdout.write(`  ${c.name.padEnd(width)}  ${c.summary}\n`);
  process.stdout.write('\nRun "ballotsafe <command> --help" for the options of one command.\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    help();
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    process.stderr.write(`ballotsafe: unknown command "${name}". Run "ballotsafe help" for the list.\n`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\n\nUsage:\n  ${command.usage}\n`);
    return 0;
  }
  return command.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    // A full disk is told in plain words; a bug in one line (the stack with BALLOTSAFE_DEBUG=1).
    const report = describeUncaughtFailure(e, process.env['BALLOTSAFE_DEBUG'] === '1');
    process.stderr.write(report.text);
    process.exitCode = report.exitCode;
  },
);
