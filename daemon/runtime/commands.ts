import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import type { CliCommand } from '../cli/command.ts';
import { configFromArgs } from '../cli/coreCommands.ts';
import { parseConfig, type Config } from '../core/config.ts';
import { createLogger, type Logger } from '../core/log/logger.ts';
import { demoLogin } from '../web/wiring.ts';
import { LogEvent } from '../core/log/events.ts';
import { logEvent } from '../core/log/logger.ts';
import { startDaemon, type RunningDaemon } from './daemonRuntime.ts';
import { listenForStop } from './shutdown.ts';
import { progressLine } from '../snapshot/progressText.ts';

const daemon: CliCommand = {
  name: 'daemon',
  summary: 'Run the appliance service: capture, imports, snapshot triggers, drives and the web UI',
  usage: 'ballotsafe daemon [--config <file>]',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' } } });
    const config = configFromArgs(values.config);
    if (config === undefined) return 1;
    const logger = createLogger({ level: process.env['BALLOTSAFE_LOG_LEVEL'] ?? config.log.level });
    // Listening before anything starts: a SIGTERM during start (recovery, capture retries) is a stop too.
    const stop = listenForStop(logger);
    const started = await startDaemon({ config, logger, signal: stop.signal });
    if (!started.ok) {
      if (stop.signal.aborted) {
        stop.finished(0);
        return 0;
      }
      // Non-zero, so systemd restarts the service (Restart=on-failure); the alert is already stored.
      logEvent(logger, LogEvent.DaemonFatal, { code: started.error.code, error: started.error.message }, 'error');
      process.stderr.write(`${started.error.message}\n${started.error.action ?? ''}\n`);
      stop.finished(1);
      return 1;
    }
    await stop.requested;
    await started.value.stop();
    stop.finished(0);
    return 0;
  },
};

const demoMarker = '.ballotsafe-demo';

/** The demo's embedded config: the generator's export folders as roots, two folder drives. */
export function demoConfig(dir: string, port: number): Config {
  // The defaults are the demo's layout relative to the folder; only the port and pace differ.
  const parsed = parseConfig(
    {
      election: { name: 'sample-election', title: 'Sample County General Election (demo)' },
      dataDir: 'var',
      roots: [
        { label: 'dominion-export', path: 'export/dominion' },
        { label: 'ess-export', path: 'export/ess' },
        { label: 'election-files', path: 'export/eif', defaultKind: 'election-definition' },
        { label: 'results', path: 'export/results' },
      ],
      capture: { settleMs: 500 },
      drives: { mode: 'folders', a: 'drive-a', b: 'drive-b' },
      web: { host: '127.0.0.1', port },
      log: { level: 'warn' },
    },
    dir,
  );
  if (!parsed.ok) throw new Error(`the embedded demo config is invalid: ${parsed.error.message}`);
  return parsed.value;
}

/** Starts every demo from a clean folder, but never deletes a folder the demo did not make. */
function prepareDemoFolder(dir: string): string | undefined {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    if (!existsSync(join(dir, demoMarker))) return `${dir} exists and was not made by the demo; it is left alone. Remove it or pass --dir <another folder>.`;
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, demoMarker), 'Made by "ballotsafe demo"; deleted and re-made by the next demo run.\n');
  return undefined;
}

async function runDemoSnapshot(running: RunningDaemon, say: (s: string) => void): Promise<boolean> {
  const { drives } = running;
  for (const role of ['A', 'B'] as const) {
    const enrolled = await drives.enroll({ target: role, role, operator: 'demo' });
    if (!enrolled.ok) {
      say(`Could not enroll folder drive ${role}: ${enrolled.error.message}`);
      return false;
    }
  }
  say('Writing the end-of-day snapshot to drives A and B …');
  let lastShown = -1;
  // The same path as the End-of-day button: custody checks, drive preparation, the one job runner.
  const outcome = await running.custody.runSnapshot({ reason: 'end-of-day', actor: 'demo' }, (p) => {
    // Both passes count: writing is the first half, the read-back the second.
    const pct = p.bytesTotal === 0 ? 100 : Math.floor((50 * (p.bytesDone + p.bytesVerified)) / p.bytesTotal);
    if (pct >= lastShown + 20 || p.phase === 'done') {
      lastShown = pct;
      say(`  ${progressLine(p)}`);
    }
  });
  if (!outcome.ok) {
    say(`The snapshot failed: ${outcome.error.message}${outcome.error.action ? `\n  ${outcome.error.action}` : ''}`);
    return false;
  }
  const o = outcome.value;
  const allGood = o.perDrive.every((d) => d.state === 'complete');
  say(`Snapshot ${o.sequence} (${o.files} files) ${allGood ? 'written and verified on both drives' : 'is NOT complete on both drives'}.`);
  say(`  Root hash (publishable): ${o.rootHash}`);
  return allGood;
}

const demo: CliCommand = {
  name: 'demo',
  summary: 'Run the whole job on a generated sample election with two folder drives and the UI on localhost',
  usage: 'ballotsafe demo [--dir demo-data] [--ballots 120] [--seed 7] [--port 8080] [--once]   (--once: exit after the snapshot)',
  async run(argv) {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        dir: { type: 'string', default: 'demo-data' },
        ballots: { type: 'string', default: '120' },
        seed: { type: 'string', default: '7' },
        port: { type: 'string', default: '8080' },
        once: { type: 'boolean', default: false },
      },
    });
    const ballots = Number(values.ballots);
    const seed = Number(values.seed);
    const port = Number(values.port);
    if (!Number.isInteger(ballots) || ballots < 1 || !Number.isInteger(seed) || seed < 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
      process.stderr.write('--ballots and --seed must be whole numbers, --port a port number (0 picks a free one).\n');
      return 2;
    }
    const say = (s: string) => process.stdout.write(`${s}\n`);
    const dir = resolve(values.dir);
    const problem = prepareDemoFolder(dir);
    if (problem !== undefined) {
      process.stderr.write(`${problem}\n`);
      return 1;
    }
    const logger: Logger = createLogger({ level: process.env['BALLOTSAFE_LOG_LEVEL'] ?? 'warn', destination: join(dir, 'var', 'logs', 'ballotsafe.log') });

    say(`Generating a sample election (${ballots} ballots, seed ${seed}) in ${join(dir, 'export')} …`);
    const generated = await generateSampleElection(
      { out: join(dir, 'export'), seed, ballots, format: 'dominion', discrepancies: { flip: 2, drop: 1, dup: 1, totals: 1 } },
      logger,
      { onBatch: (b) => say(`  batch ${b.index + 1}/${b.total} written`) },
    );
    if (!generated.ok) {
      process.stderr.write(`${generated.error.message}\n`);
      return 1;
    }

    const config = demoConfig(dir, port);
    // The sample is one vendor's export; the other watched folders exist empty, as a county's
    // unused share would, so the first screen does not report them unreachable.
    for (const root of config.roots) mkdirSync(root.path, { recursive: true });
    const stop = listenForStop(logger);
    const started = await startDaemon({ config, logger, catalogPollMs: 2000, signal: stop.signal });
    if (!started.ok) {
      stop.finished(1);
      process.stderr.write(`${started.error.message}\n${started.error.action ?? ''}\n`);
      return 1;
    }
    const running = started.value;
    const login = await demoLogin(running.web.deps.accounts);
    say(`\nThe ballotsafe UI is at ${running.web.server.url}`);
    if (login.ok) say(`  Log in as "${login.value.name}" with password "${login.value.password}" (a demo operator account).`);
    say('Capturing the export folders …');
    const pending = await running.capture.settle(120_000);
    const c = running.capture.counters;
    say(`  ${c.captured} files captured into the vault${pending > 0 ? `, ${pending} still settling` : ''}.`);
    const good = await runDemoSnapshot(running, say);
    say(`Check a drive with standard tools: see ${join(config.drives.mode === 'folders' ? config.drives.a : '', 'ballotsafe', 'README.txt')}, or run: ballotsafe verify ${config.drives.mode === 'folders' ? config.drives.a : ''}`);
    if (values.once) {
      await running.stop();
      stop.dispose();
      return good ? 0 : 1;
    }
    say('\nThe daemon keeps running: open the UI, press End-of-day snapshot again, look at alerts. Ctrl-C stops it.');
    await stop.requested;
    await running.stop();
    stop.finished(good ? 0 : 1);
    return good ? 0 : 1;
  },
};

export const runtimeCommands: readonly CliCommand[] = [daemon, demo];
