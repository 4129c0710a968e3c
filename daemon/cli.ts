import { commandCatalog } from './cli/catalog.ts';
import { describeUncaughtFailure } from './runtime/uncaughtFailure.ts';

// Commands are listed in cli/catalog.ts; only the one asked for is loaded (a start pays for one command).

function help(): void {
  const width = Math.max(...commandCatalog.map((c) => c.name.length));
  process.stdout.write('ballotsafe: captures election exports, writes verified dual-drive snapshots, pre-audits ballots\n\n');
  process.stdout.write('Usage: ballotsafe <command> [options]   (every command takes --config <file>)\n\nCommands:\n');
  for (const c of commandCatalog) process.stdout.write(`  ${c.name.padEnd(width)}  ${c.summary}\n`);
  process.stdout.write('\nRun "ballotsafe <command> --help" for the options of one command.\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    help();
    return 0;
  }
  const entry = commandCatalog.find((c) => c.name === name);
  if (entry === undefined) {
    process.stderr.write(`ballotsafe: unknown command "${name}". Run "ballotsafe help" for the list.\n`);
    return 2;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.summary}\n\nUsage:\n  ${command.usage}\n`);
    return 0;
  }
  return command.run(rest);
}

// Output piped into `head` or a closed pager: the reader left, which is not a failure of the command.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});

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
