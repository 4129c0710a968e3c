import { parseArgs } from 'node:util';
import type { CliCommand } from '../../daemon/cli/command.ts';
import { createLogger } from '../../daemon/core/log/logger.ts';
import { err, ok, operatorError, type Result } from '../../daemon/core/result.ts';
import { generateSampleElection } from './generate.ts';
import type { DiscrepancySpec, SampleOptionsInput } from './plan.ts';

export const SAMPLE_USAGE =
  'ballotsafe sample --out <dir> --seed <n> --ballots <n> [--format dominion|ess|both] [--primary] [--test-deck] [--precincts <n>] [--batch-size <n>]\n' +
  '    [--dominion-design accuvote|imagecast] [--dominion-dpi 200|300] [--ess-dpi 200|300] [--ess-shape jpeg-sides|electionware] [--variants <n>] [--no-images] [--concurrency <n>]\n' +
  '    [--incremental --batch-interval-ms <n>] [--discrepancies flip=3,drop=1,dup=1,totals=1]';

/** "flip=3,drop=1" -> counts; unknown names are an operator error. */
export function parseDiscrepancies(text: string): Result<DiscrepancySpec> {
  const spec: DiscrepancySpec = { flip: 0, drop: 0, dup: 0, totals: 0 };
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const m = /^(flip|drop|dup|totals)=(\d+)$/.exec(part);
    if (m === null) return err(operatorError('sample-bad-discrepancies', `"${part}" is not a discrepancy setting.`, 'Use e.g. --discrepancies flip=3,drop=1,dup=1,totals=1'));
    spec[m[1] as keyof DiscrepancySpec] = Number(m[2]);
  }
  return ok(spec);
}

function int(value: string | undefined, name: string): Result<number | undefined> {
  if (value === undefined) return ok(undefined);
  if (!/^\d+$/.test(value)) return err(operatorError('sample-bad-number', `--${name} must be a whole number, not "${value}".`, `Pass --${name} <number>.`));
  return ok(Number(value));
}

/** Turns command-line words into generator options (validated again by the generator's schema). */
export function sampleOptionsFromArgs(argv: readonly string[]): Result<SampleOptionsInput> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        out: { type: 'string' },
        seed: { type: 'string' },
        ballots: { type: 'string' },
        format: { type: 'string' },
        precincts: { type: 'string' },
        'batch-size': { type: 'string' },
        'dominion-dpi': { type: 'string' },
        'dominion-design': { type: 'string' },
        'ess-dpi': { type: 'string' },
        'ess-shape': { type: 'string' },
        variants: { type: 'string' },
        concurrency: { type: 'string' },
        'no-images': { type: 'boolean' },
        primary: { type: 'boolean' },
        'test-deck': { type: 'boolean' },
        incremental: { type: 'boolean' },
        'batch-interval-ms': { type: 'string' },
        discrepancies: { type: 'string' },
        config: { type: 'string' },
      },
      strict: true,
    }).values;
  } catch (e) {
    return err(operatorError('sample-bad-arguments', e instanceof Error ? e.message : String(e), `Usage: ${SAMPLE_USAGE}`));
  }
  const str = (k: string): string | undefined => (typeof values[k] === 'string' ? (values[k] as string) : undefined);
  const out = str('out');
  if (out === undefined) return err(operatorError('sample-no-out', 'No output folder given.', 'Pass --out <dir> (it is replaced).'));
  const numbers: Record<string, number | undefined> = {};
  for (const name of ['seed', 'ballots', 'precincts', 'batch-size', 'dominion-dpi', 'ess-dpi', 'variants', 'concurrency', 'batch-interval-ms']) {
    const r = int(str(name), name);
    if (!r.ok) return r;
    numbers[name] = r.value;
  }
  let discrepancies: DiscrepancySpec | undefined;
  const d = str('discrepancies');
  if (d !== undefined) {
    const r = parseDiscrepancies(d);
    if (!r.ok) return r;
    discrepancies = r.value;
  }
  const input: Record<string, unknown> = {
    out,
    seed: numbers['seed'] ?? 1,
    ballots: numbers['ballots'] ?? 100,
    format: str('format'),
    precincts: numbers['precincts'],
    batchSize: numbers['batch-size'],
    dominionDpi: numbers['dominion-dpi'],
    dominionDesign: str('dominion-design'),
    essDpi: numbers['ess-dpi'],
    essShape: str('ess-shape'),
    skewVariants: numbers['variants'],
    concurrency: numbers['concurrency'],
    images: values['no-images'] === true ? false : undefined,
    primary: values['primary'] === true ? true : undefined,
    testDeck: values['test-deck'] === true ? true : undefined,
    incremental: values['incremental'] === true,
    batchIntervalMs: numbers['batch-interval-ms'],
    discrepancies,
  };
  for (const k of Object.keys(input)) if (input[k] === undefined) delete input[k];
  return ok(input as SampleOptionsInput);
}

export const sampleCommand: CliCommand = {
  name: 'sample',
  summary: 'Generate a deterministic sample election: ballot scans, Dominion/ES&S exports and ground truth',
  usage: SAMPLE_USAGE,
  async run(argv) {
    const input = sampleOptionsFromArgs(argv);
    if (!input.ok) {
      process.stderr.write(`${input.error.message}\n${input.error.action ?? ''}\n`);
      return 2;
    }
    const logger = createLogger({ level: process.env['BALLOTSAFE_LOG_LEVEL'] ?? 'warn' });
    const result = await generateSampleElection(input.value, logger, {
      onBatch: ({ index, total, tabulatorId, batchId }) => process.stderr.write(`batch ${index + 1}/${total} written (tabulator ${tabulatorId}, batch ${batchId})\n`),
    });
    if (!result.ok) {
      process.stderr.write(`${result.error.message}\n${result.error.action ?? ''}\n`);
      return 1;
    }
    const s = result.value;
    process.stdout.write(
      `Sample election written to ${s.out}: ${s.ballots} ballots, ${s.sheets} sheets, ${s.imageFiles} image files, ${s.batches} batches, ` +
        `${s.discrepancies.length} injected discrepancies, ${s.seconds.toFixed(1)} s (${s.sheetsPerSecond.toFixed(1)} sheets/s)\n`,
    );
    return 0;
  },
};

export const sampleCommands: readonly CliCommand[] = [sampleCommand];
