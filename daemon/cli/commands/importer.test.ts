import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { validateArloManifest } from '../../importer/arlo.ts';
import { importerCommands } from './importer.ts';
import type { Phase1Report } from '../../importer/report.ts';
import { dominionCorpus, tempDir } from '../../importer/testSupport.ts';

function command(name: string) {
  const c = importerCommands.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no command ${name}`);
  return c;
}

describe('ballotsafe import / check', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('imports the real Dominion export and writes the report, XLSX and Arlo manifest', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `dataDir: ${join(dir, 'var')}\nlog: { level: silent }\nroots: []\n`);
    const out: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    expect(await command('import').run([dominionCorpus, '--config', config])).toBe(0);
    expect(out.join('')).toMatch(/imported\s+dominion-cvr\s+88 records\s+.*CvrExport_1730\.json/);
    // No ballot images were captured, so the check finds every CVR without an image (exit 1).
    expect(await command('check').run(['--config', config])).toBe(1);
    const reports = join(dir, 'var', 'reports');
    const report = JSON.parse(readFileSync(join(reports, 'phase1-report.json'), 'utf8')) as Phase1Report;
    expect(report.summary.cvrRecords).toBe(197);
    expect(report.summary.cvrsWithoutImage).toBe(197);
    expect(existsSync(join(reports, 'phase1-report.xlsx'))).toBe(true);
    expect(validateArloManifest(readFileSync(join(reports, 'arlo-ballot-manifest.csv'), 'utf8')).ok).toBe(true);
    expect(out.join('')).toMatch(/197 {2}CVR records/);
  });

  it('reports a file it cannot import and exits 1', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `dataDir: ${join(dir, 'var')}\nlog: { level: silent }\nroots: []\n`);
    writeFileSync(join(dir, 'CvrExport_9.json'), '{"Sessions":[{"TabulatorId":1,');
    const err: string[] = [];
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    expect(await command('import').run([join(dir, 'CvrExport_9.json'), '--config', config])).toBe(1);
    expect(err.join('')).toMatch(/NOT IMPORTED: .*CvrExport_9\.json at Sessions\[0\]: expected the rest of the JSON/);
  });
});
