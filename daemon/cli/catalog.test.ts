import { describe, expect, it } from 'vitest';
import type { CliCommand } from './command.ts';
import { commandCatalog } from './catalog.ts';
import { runtimeCommands } from '../runtime/commands.ts';
import { coreCommands } from './coreCommands.ts';
import { driveCommands } from './commands/drives.ts';
import { importerCommands } from './commands/importer.ts';
import { snapshotCommands } from './commands/exportZipsAndKeys.ts';
import { restoreCommand } from './commands/restore.ts';
import { publishCommand } from './commands/publish.ts';
import { intakeCommands } from './commands/stick.ts';
import { captureCommands } from './commands/capture.ts';
import { webCommands } from './commands/user.ts';
import { preauditCommands } from './commands/preaudit.ts';
import { sampleCommands } from '../../scripts/sample-election/command.ts';
import { custodyCommands } from './commands/custody.ts';
import { snapshotCommand } from './commands/snapshot.ts';

// Every command any module declares (a module that adds one must be listed in the catalog too).
const declared: readonly CliCommand[] = [
  ...runtimeCommands,
  ...coreCommands,
  ...driveCommands,
  ...importerCommands,
  snapshotCommand,
  ...snapshotCommands,
  restoreCommand,
  publishCommand,
  ...captureCommands,
  ...webCommands,
  ...sampleCommands,
  ...preauditCommands,
  ...custodyCommands,
  ...intakeCommands,
];

describe('the command catalog', () => {
  it('lists every command the modules declare, once', () => {
    const names = commandCatalog.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(declared.map((c) => c.name).sort());
  });

  it("loads each command by name, with the summary its module declares", async () => {
    for (const entry of commandCatalog) {
      const loaded = await entry.load();
      expect(loaded.name).toBe(entry.name);
      expect(loaded.summary, entry.name).toBe(entry.summary);
      expect(loaded.usage.length).toBeGreaterThan(0);
    }
  });
});
