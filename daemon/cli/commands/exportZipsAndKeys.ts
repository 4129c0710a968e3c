import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../command.ts';
import { configFromArgs } from '../coreCommands.ts';
import { dataPaths } from '../../core/config.ts';
import { openStateDatabase } from '../../runtime/stateDatabase.ts';
import { createLogger } from '../../core/log/logger.ts';
import { humanBytes } from '../../snapshot/engine.ts';
import { exportZips, parseByteSize } from '../../snapshot/exportZips.ts';
import { signerForConfig } from '../../snapshot/signerChoice.ts';
import { SocketSigner } from '../../snapshot/socketSigner.ts';
import { keyIdHex, publicKeyFile, publicKeyFileName } from '../../snapshot/minisign.ts';
import { verifyCommand as verify } from './verify.ts';
import { exportFromDrive } from './zipsFromDrive.ts';

function fail(message: string, action?: string): number {
  process.stderr.write(`${message}\n${action === undefined ? '' : `${action}\n`}`);
  return 1;
}

// `ballotsafe snapshot` lives in cli/commands/snapshot.ts: it starts through the custody workflow.

const exportZipsCommand: CliCommand = {
  name: 'export-zips',
  summary: 'Write the captured files (from the vault, or --from a snapshot drive) as ZIP archives (stored, zip64, batch folders never split) plus a SHA-256 manifest',
  usage: 'ballotsafe export-zips --max-size 5G <dest> [--config <file>]\n  ballotsafe export-zips --from <drive> --max-size 5G <dest> [--snapshot N] [--key <published key>] [--election <name>]',
  async run(argv) {
    let parsed;
    try {
      parsed = parseArgs({
        args: [...argv],
        options: { config: { type: 'string' }, 'max-size': { type: 'string', default: '5G' }, from: { type: 'string' }, snapshot: { type: 'string' }, key: { type: 'string' }, election: { type: 'string' } },
        allowPositionals: true,
      });
    } catch (e) {
      process.stderr.write(`${(e as Error).message}.\nUsage: ${exportZipsCommand.usage}\n`);
      return 2;
    }
    const { values, positionals } = parsed;
    const [dest] = positionals;
    if (dest === undefined || positionals.length !== 1) return fail(`Usage: ${exportZipsCommand.usage}`);
    const maxBytes = parseByteSize(values['max-size'] ?? '5G');
    if (maxBytes === undefined) return fail(`--max-size "${values['max-size'] ?? ''}" is not a size like 5G, 700M or 4096.`);
    const logger = createLogger({ level: process.env['BALLOTSAFE_LOG_LEVEL'] ?? 'warn' });
    if (values.from !== undefined) return exportFromDrive(values.from, resolve(dest), maxBytes, { snapshot: values.snapshot, key: values.key, election: values.election });
    const config = configFromArgs(values.config);
    if (config === undefined) return 1;
    const db = openStateDatabase(dataPaths(config).database);
    try {
      const result = await exportZips({ db, vaultDir: dataPaths(config).vault, electionName: config.election.name, dest: resolve(dest), maxBytes, logger });
      if (!result.ok) return fail(result.error.message, result.error.action);
      for (const z of result.value.zips) process.stdout.write(`${z.name}  ${z.files} files  ${humanBytes(z.bytes)}\n`);
      process.stdout.write(`Manifest: ${result.value.manifestPath}\n`);
      return 0;
    } finally {
      db.close();
    }
  },
};

const keys: CliCommand = {
  name: 'keys',
  summary: "Print the appliance's public signing key (minisign format); without a signing service, create the key on first use",
  usage: 'ballotsafe keys [--config <file>]',
  async run(argv) {
    const { values } = parseArgs({ args: [...argv], options: { config: { type: 'string' } } });
    const config = configFromArgs(values.config);
    if (config === undefined) return 1;
    const signer = signerForConfig(config);
    process.stdout.write(publicKeyFile(signer));
    if (!(signer instanceof SocketSigner)) {
      process.stderr.write(`Key id ${keyIdHex(signer.keyId)}; file ${resolve(dataPaths(config).keys, publicKeyFileName)}\n`);
      return 0;
    }
    // The key is the signer's alone: show that the service runs and holds the key the config pins.
    const held = await signer.publicKey();
    if (!held.ok) return fail(`Key id ${keyIdHex(signer.keyId)} (from the config). ${held.error.message}`, held.error.action);
    if (held.value.publicKey !== publicKeyFile(signer)) {
      return fail(
        `The signing service holds key ${held.value.keyId}, but the config names key ${keyIdHex(signer.keyId)}: snapshots cannot be signed.`,
        'Restore the appliance key from its backup (installer guide, "Signing key"), or correct signing.publicKey in the config.',
      );
    }
    process.stderr.write(`Key id ${keyIdHex(signer.keyId)}; held by the signing service at ${signer.socketPath}, which this program cannot read.\n`);
    return 0;
  },
};

export const snapshotCommands: readonly CliCommand[] = [verify, exportZipsCommand, keys];
