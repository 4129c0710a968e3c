/**
 * The Dominion ImageCast demo export run as a clerk runs it: a folder appliance (config.yaml with one
 * watched export folder and two folder drives) and `ballotsafe` commands in real processes.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const project = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The real demo export's `Results` folder (batch folders of TIFFs, the CVR zip, the manifests). */
export const dominionDemoResults = path.resolve(project, '../shared/corpus/dominion-imagecast-demo/Results');

/** Writes `<root>/config.yaml`: data in `<root>/var`, the export folder `<root>/export`, drives `<root>/drive-a|b`. */
export function writeFolderApplianceConfig(root: string, electionName: string): void {
  writeFileSync(
    path.join(root, 'config.yaml'),
    [
      'election:',
      `  name: ${electionName}`,
      `dataDir: ${path.join(root, 'var')}`,
      'roots:',
      '  - label: dominion-export',
      `    path: ${path.join(root, 'export')}`,
      'capture:',
      '  settleMs: 0',
      'drives:',
      '  mode: folders',
      `  a: ${path.join(root, 'drive-a')}`,
      `  b: ${path.join(root, 'drive-b')}`,
      '',
    ].join('\n'),
  );
}

/** Runs the installed command with `<root>/config.yaml`, as a clerk's terminal would. */
export function ballotsafeWith(root: string, ...args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [path.join(project, 'bin/ballotsafe.js'), ...args, '--config', path.join(root, 'config.yaml')], {
    encoding: 'utf8',
    timeout: 240_000,
  });
}
