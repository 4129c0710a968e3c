import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { importerCommands } from '../../daemon/cli/commands/importer.ts';
import type { Phase1Report } from '../../daemon/importer/report.ts';
import { corpusDir, tempDir } from '../../daemon/importer/testSupport.ts';

/**
 * Issue #18: every file given to `import` ends as imported, refused (why, what to do) or not
 * election data (why); `check` is never "all passed" with nothing imported or something refused.
 * Runs the real commands on real vendor files from the shared corpus.
 */
function command(name: string) {
  const c = importerCommands.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no command ${name}`);
  return c;
}


describe('import and check say what happened to every file', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  function setup(): { dir: string; config: string; out: string[]; err: string[] } {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `dataDir: ${join(dir, 'var')}\nlog: { level: silent }\nroots: []\n`);
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out.push(String(chunk));
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
      err.push(String(chunk));
      return true;
    });
    return { dir, config, out, err };
  }

  const unread: [string, string, RegExp][] = [
    ['an Excel 97-2003 workbook', 'xls', /Excel 97-2003 \(\.xls\)/],
    ['a CSV table of no known layout', '', /CSV table ballotsafe does not recognise/],
  ];
  for (const [label, file, name] of unread) {
    it(`refuses ${label} by name, with what to export instead, and exits 1`, async () => {
      const { dir, config, err } = setup();
      let target = file;
      if (target === '') {
        target = join(dir, 'export.csv');
        writeFileSync(target, 'Voter,Choice\r\n1,SMITH\r\n');
      } else if (target === 'xls') {
        target = join(dir, 'CVR export.xls');
        writeFileSync(target, Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]));
      }
      expect(await command('import').run([target, '--config', config])).toBe(1);
      const text = err.join('');
      expect(text).toMatch(/NOT IMPORTED: /);
      expect(text).toMatch(name);
      expect(text).toMatch(/Export|export/);
    });
  }

  it("says a second file of the same Dominion export is not counted, and does not call it imported", async () => {
    const { config, out } = setup();
    expect(await command('import').run([join(corpusDir, 'dominion-imagecast-demo', 'Results'), '--config', config])).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/imported +dominion-cvr-zip {2}12 records {2}.*CVR_Export_\d+\.zip/);
    expect(text).toMatch(/not counted {2}.*CVR_Export_\d+\.csv {2}\(the same ballots as a file already imported\)/);
    expect(text).toMatch(/^1 imported, 0 unchanged, 0 not imported, 12 not election data, 1 not counted \(same ballots as another file\)\.$/m);
  });

  it('lists a folder of non-election files one by one with why, and exits 1 when nothing was imported', async () => {
    const { dir, config, out, err } = setup();
    const folder = join(dir, 'share');
    mkdirSync(folder);
    writeFileSync(join(folder, 'notes.txt'), 'pick up keys\n');
    copyFileSync(join(corpusDir, 'dominion-imagecast-demo', 'Reports', 'Batches Loaded Report.xml'), join(folder, 'Batches Loaded Report.xml'));
    expect(await command('import').run([folder, '--config', config])).toBe(1);
    const text = out.join('');
    expect(text).toMatch(/not election data {2}.*notes\.txt\n {2}why: a \.txt file/);
    expect(text).toMatch(/not election data {2}.*Batches Loaded Report\.xml\n {2}why: an XML file/);
    expect(err.join('')).toMatch(/Nothing was imported/);
  });

  it('check is not "all passed" when no CVR was imported, and lists the refused file in the report', async () => {
    const { dir, config, out } = setup();
    const folder = join(dir, 'share');
    mkdirSync(folder);
    writeFileSync(join(folder, 'cvr.xls'), Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0, 0, 0]));
    await command('import').run([folder, '--config', config]);
    out.length = 0;
    expect(await command('check').run(['--config', config])).toBe(1);
    const text = out.join('');
    expect(text).not.toMatch(/All phase-1 checks passed/);
    expect(text).toMatch(/No cast vote records have been imported/);
    const report = JSON.parse(readFileSync(join(dir, 'var', 'reports', 'phase1-report.json'), 'utf8')) as Phase1Report;
    expect(report.summary.clean).toBe(false);
    expect(report.summary.failedSources).toBe(1);
    expect(report.sources.find((s) => s.name.endsWith('cvr.xls'))?.error).toMatch(/Excel 97-2003/);
  });

  it('check is not "all passed" on an empty database', async () => {
    const { config, out } = setup();
    expect(await command('check').run(['--config', config])).toBe(1);
    expect(out.join('')).not.toMatch(/All phase-1 checks passed/);
  });
});
