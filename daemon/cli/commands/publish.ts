import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { CliCommand } from '../command.ts';
import { configFromArgs } from '../coreCommands.ts';
import { dataPaths, type Config } from '../../core/config.ts';
import { openStateDatabase } from '../../runtime/stateDatabase.ts';
import type { Result } from '../../core/result.ts';
import { signerForConfig, type Signer } from '../../snapshot/signerChoice.ts';
import { parsePublicKeyFile, publicKeyFile } from '../../snapshot/minisign.ts';
import { makeBundle } from '../../publish/bundle.ts';
import { snapshotsFromDatabase, snapshotsFromDrive, type PublishSource } from '../../publish/sources.ts';

/**
 * `ballotsafe publish <drive | vault> <out-dir>`: a snapshot's publication bundle (signed statement,
 * manifests, verification page), signed by the appliance key through the signer. Exit 0: bundle
 * written; 1: refused (the drive failed verification, the folder is not empty...); 2: usage.
 */

export interface Output {
  out(text: string): void;
  err(text: string): void;
}

const usage = 'ballotsafe publish <drive | vault> <new or empty folder> [--snapshot N] [--election <name>] [--time-zone <zone>] [--config <file>]';

async function emptyFolder(dest: string): Promise<string | undefined> {
  try {
    const entries = await readdir(dest);
    return entries.length > 0 ? `${dest} is not empty. Publishing never overwrites: nothing was written.` : undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return `${dest} cannot be used as a folder. Nothing was written.`;
  }
  await mkdir(dest, { recursive: true });
  return undefined;
}

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** `signer` and `config` stand in for --config in tests. */
export async function runPublish(argv: readonly string[], io: Output, given?: { signer: Signer; config?: Config }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: { snapshot: { type: 'string' }, election: { type: 'string' }, 'time-zone': { type: 'string' }, config: { type: 'string' } }, allowPositionals: true });
  } catch (e) {
    io.err(`${(e as Error).message}.\nUsage: ${usage}\n`);
    return 2;
  }
  const { positionals, values } = parsed;
  const [from, outPath] = positionals;
  if (from === undefined || outPath === undefined || positionals.length !== 2) {
    io.err(`Give a drive (or "vault" for the appliance's own records) and a new or empty folder.\nUsage: ${usage}\n`);
    return 2;
  }
  const sequence = values.snapshot === undefined ? undefined : z.coerce.number().int().positive().safeParse(values.snapshot);
  if (sequence !== undefined && !sequence.success) {
    io.err(`--snapshot "${values.snapshot ?? ''}" is not a snapshot number (1, 2, 3...).\n`);
    return 2;
  }
  const timeZone = values['time-zone'] ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!validZone(timeZone)) {
    io.err(`--time-zone "${timeZone}" is not a time zone name such as America/Chicago.\n`);
    return 2;
  }
  const config = given?.config ?? (given === undefined || from === 'vault' ? configFromArgs(values.config) : undefined);
  if (given === undefined && config === undefined) return 1;
  const signer = given?.signer ?? (config === undefined ? undefined : signerForConfig(config));
  if (signer === undefined) return 1;
  // The drive's snapshots must carry this appliance's signatures, whatever key the drive holds.
  const key = parsePublicKeyFile(publicKeyFile(signer));
  if (key === undefined) throw new Error('the signer gave a public key that does not parse');

  let source: Result<PublishSource>;
  if (from === 'vault') {
    if (config === undefined) return 1;
    const db = openStateDatabase(dataPaths(config).database);
    try {
      source = snapshotsFromDatabase(db, values.election ?? config.election.name, key);
    } finally {
      db.close();
    }
  } else {
    io.err(`Checking ${from}: signatures, chain, every file...\n`);
    source = await snapshotsFromDrive(resolve(from), key, values.election);
  }
  if (!source.ok) {
    io.out(`${source.error.message}\n${source.error.action ?? ''}\n`);
    return 1;
  }
  const bundle = await makeBundle(source.value, sequence?.data, signer, timeZone);
  if (!bundle.ok) {
    io.out(`${bundle.error.message}\n${bundle.error.action ?? ''}\n`);
    return 1;
  }
  const dest = resolve(outPath);
  const problem = await emptyFolder(dest);
  if (problem !== undefined) {
    io.out(`${problem}\nGive a new or empty folder.\n`);
    return 1;
  }
  for (const [name, content] of bundle.value.files) await writeFile(join(dest, name), content, { flag: 'wx' });
  const b = bundle.value;
  io.out(
    `Published snapshot ${b.sequence} of "${b.election}" into ${dest}: ${b.releaseFiles} files listed, root hash ${b.rootHash}, signed with key ${b.keyId}.\n` +
      'Post every file of that folder on the county website, with the public key and key id. Anyone can check it with verify.html (offline, in a browser) or with minisign and sha256sum.\n',
  );
  return 0;
}

export const publishCommand: CliCommand = {
  name: 'publish',
  summary: "Make a snapshot's publication bundle (signed statement, SHA-256 manifests, offline verification page) from a drive or the appliance",
  usage,
  run: (argv) => runPublish(argv, { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) }),
};
