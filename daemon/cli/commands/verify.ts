import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../command.ts';
import { verifyPath } from '../../snapshot/verify.ts';
import { formatReport } from '../../snapshot/verifyReportText.ts';
import { pinsFromArgs } from '../../snapshot/verifyPins.ts';

// `ballotsafe verify` in a module of its own: it runs on a stranger's laptop, so it loads only
// the bag reader (not the database, the logger or the ZIP writer the other snapshot commands need).

function fail(message: string, action?: string): number {
  process.stderr.write(`${message}\n${action === undefined ? '' : `${action}\n`}`);
  return 1;
}

export const verifyCommand: CliCommand = {
  name: 'verify',
  summary: 'Check a snapshot drive or folder: every file, the chain, signatures, index (no daemon needed)',
  usage: 'ballotsafe verify <drive-or-folder> [--key <public key file, public key or key id>] [--expect <published root hash>]...',
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({ args: [...argv], options: { key: { type: 'string' }, expect: { type: 'string', multiple: true } }, allowPositionals: true });
    } catch (e) {
      return fail(`${(e as Error).message}.`, `Usage: ${verifyCommand.usage}`);
    }
    const { positionals, values } = parsed;
    const [target] = positionals;
    if (target === undefined || positionals.length !== 1) return fail(`Usage: ${verifyCommand.usage}`);
    const pins = await pinsFromArgs(values.key, values.expect ?? []);
    if (!pins.ok) return fail(pins.error.message, pins.error.action);
    const report = await verifyPath(resolve(target), { pins: pins.value });
    process.stdout.write(formatReport(report, target));
    return report.ok ? 0 : 1;
  },
};
