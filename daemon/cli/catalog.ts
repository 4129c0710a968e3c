import type { CliCommand } from './command.ts';

/**
 * Every command by name, with its one-line summary, and how to load it. `ballotsafe help` prints
 * this list without loading any command module, and a command loads only its own module (and what
 * that imports), so a start pays for one command, not for all of them. catalog.test.ts checks that
 * each summary here is the one its module declares and that no module's command is missing.
 */
export interface CatalogEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<CliCommand>;
}

function pick(list: readonly CliCommand[], name: string): CliCommand {
  const command = list.find((c) => c.name === name);
  if (command === undefined) throw new Error(`the command "${name}" is in the catalog but not in its module`);
  return command;
}

const runtime = async (name: string) => pick((await import('../runtime/commands.ts')).runtimeCommands, name);
const drives = async (name: string) => pick((await import('./commands/drives.ts')).driveCommands, name);
const importer = async (name: string) => pick((await import('./commands/importer.ts')).importerCommands, name);
const snapshots = async (name: string) => pick((await import('./commands/exportZipsAndKeys.ts')).snapshotCommands, name);
const capture = async (name: string) => {
  const [{ captureCommands }, { withCustodyStatus }] = await Promise.all([import('./commands/capture.ts'), import('./commands/custody.ts')]);
  return withCustodyStatus(pick(captureCommands, name));
};

export const commandCatalog: readonly CatalogEntry[] = [
  { name: 'daemon', summary: 'Run the appliance service: capture, imports, snapshot triggers, drives and the web UI', load: () => runtime('daemon') },
  { name: 'demo', summary: 'Run the whole job on a generated sample election with two folder drives and the UI on localhost', load: () => runtime('demo') },
  { name: 'check-config', summary: 'Validate the configuration file and print the effective settings', load: async () => pick((await import('./coreCommands.ts')).coreCommands, 'check-config') },
  { name: 'drives', summary: 'List the USB drives (or drive folders) and whether they are enrolled', load: () => drives('drives') },
  { name: 'enroll', summary: 'Enroll a USB drive (or drive folder) as drive A or B, optionally formatting it as exFAT', load: () => drives('enroll') },
  { name: 'eject', summary: 'Flush, unmount and power off drive A, B or both', load: () => drives('eject') },
  { name: 'custody', summary: 'List chain-of-custody records, or print one hand-off sheet as HTML', load: () => drives('custody') },
  { name: 'import', summary: 'Import a CVR export, EIF or results file (or a folder of them) into the election database', load: () => importer('import') },
  {
    name: 'check',
    summary: 'Phase-1 checks: images vs CVRs, duplicates, EIF vs CVR, totals vs results; writes JSON, XLSX and the Arlo manifest',
    load: () => importer('check'),
  },
  { name: 'snapshot', summary: 'Write an incremental (or --full) snapshot onto drives A and B, read it back and sign it', load: async () => (await import('./commands/snapshot.ts')).snapshotCommand },
  { name: 'verify', summary: 'Check a snapshot drive or folder: every file, the chain, signatures, index (no daemon needed)', load: async () => (await import('./commands/verify.ts')).verifyCommand },
  {
    name: 'export-zips',
    summary: 'Write the captured files (from the vault, or --from a snapshot drive) as ZIP archives (stored, zip64, batch folders never split) plus a SHA-256 manifest',
    load: () => snapshots('export-zips'),
  },
  { name: 'keys', summary: "Print the appliance's public signing key (minisign format); without a signing service, create the key on first use", load: () => snapshots('keys') },
  {
    name: 'restore',
    summary: 'Rebuild the export folders as they stood at a snapshot from one or two drives, checking every file (no appliance needed)',
    load: async () => (await import('./commands/restore.ts')).restoreCommand,
  },
  {
    name: 'publish',
    summary: "Make a snapshot's publication bundle (signed statement, SHA-256 manifests, offline verification page) from a drive or the appliance",
    load: async () => (await import('./commands/publish.ts')).publishCommand,
  },
  {
    name: 'stick',
    summary: 'Export sticks from an air-gapped EMS: enroll one, list intakes, read one, record who brought it',
    load: async () => pick((await import('./commands/stick.ts')).intakeCommands, 'stick'),
  },
  { name: 'status', summary: 'Show the watched folders, what was captured, the last capture and open alerts, the drives and the last snapshot', load: () => capture('status') },
  { name: 'scan', summary: 'Reconcile the export folders with the catalog once, capture what is new, then exit', load: () => capture('scan') },
  { name: 'user', summary: 'Manage web UI accounts: add, passwd (set a new password), list, disable, enable', load: async () => pick((await import('./commands/user.ts')).webCommands, 'user') },
  {
    name: 'sample',
    summary: 'Generate a deterministic sample election: ballot scans, Dominion/ES&S exports and ground truth',
    load: async () => pick((await import('../../scripts/sample-election/command.ts')).sampleCommands, 'sample'),
  },
  {
    name: 'preaudit',
    summary: 'Read the ballot images (captured, or in the folders named: no config needed), compare with the CVRs, write the JSON/XLSX report with evidence crops',
    load: async () => (await import('./preauditCommand.ts')).preauditCommand,
  },
  { name: 'handoff', summary: 'Eject both drives of the newest verified snapshot and record who takes them where', load: async () => pick((await import('./commands/custody.ts')).custodyCommands, 'handoff') },
];
