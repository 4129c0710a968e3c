import { parseArgs } from 'node:util';
import { loadConfig, type Config } from '../core/config.ts';
import type { CliCommand } from './command.ts';

/** Loads and validates the config named by --config; prints the operator message on failure. */
export function configFromArgs(configPath: string | undefined): Config | undefined {
  const loaded = loadConfig(configPath);
  if (!loaded.ok) {
    process.stderr.write(`${loaded.error.message}\n${loaded.error.action ?? ''}\n`);
    return undefined;
  }
  return loaded.value;
}

const checkConfig: CliCommand = {
  name: 'check-config',
  summary: 'Validate the configuration file and print the effective settings',
  usage: 'ballotsafe check-config [--config <file>]',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' } } });
    const config = configFromArgs(values.config);
    if (config === undefined) return 1;
    process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    return 0;
  },
};

export const coreCommands: readonly CliCommand[] = [checkConfig];
