import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { contestsFromImports } from '../preaudit/contestDefinitions.ts';
import { layoutsFromVxElection } from '../preaudit/layout.ts';
import { importerCommands } from '../cli/commands/importer.ts';
import { importLocalPath } from './importFile.ts';
import { corpusDir, importTestDb, tempDir } from './testSupport.ts';

/** A VotingWorks election.json is an election definition: imported with its counts, or refused in plain words. */
const nhElection = join(corpusDir, 'nh-amherst-scans', 'election.json');

function command(name: string) {
  const c = importerCommands.find((x) => x.name === name);
  if (c === undefined) throw new Error(`no command ${name}`);
  return c;
}

describe('ballotsafe import of a VotingWorks election.json', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  async function runImport(file: string): Promise<{ code: number; out: string; err: string }> {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const config = join(dir, 'config.yaml');
    writeFileSync(config, `dataDir: ${join(dir, 'var')}\nlog: { level: silent }\nroots: []\n`);
    const out: string[] = [];
    const err: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => out.push(String(chunk)) > 0);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => err.push(String(chunk)) > 0);
    const code = await command('import').run([file, '--config', config]);
    vi.restoreAllMocks();
    return { code, out: out.join(''), err: err.join('') };
  }

  function brokenCopy(name: string, edit: (election: { contests: Record<string, unknown>[] }) => void): string {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const election = JSON.parse(readFileSync(nhElection, 'utf8')) as { contests: Record<string, unknown>[] };
    edit(election);
    const path = join(dir, name);
    writeFileSync(path, JSON.stringify(election));
    return path;
  }

  it('imports the real NH election.json with its contest, option and write-in counts (exit 0)', async () => {
    const r = await runImport(nhElection);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/imported\s+vx-election\s+65 records\s+.*election\.json/);
    expect(r.out).toMatch(/election definition: 14 contests, 36 candidates or answers, 15 write-in lines/);
    expect(r.out).toMatch(/1 imported, 0 unchanged, 0 not imported, 0 not election data/);
  });

  it('gives the pre-audit contest names under the ids its grid layouts use', async () => {
    const db = importTestDb();
    const imported = await importLocalPath(db, nhElection);
    expect(imported.ok && imported.value.failures).toEqual([]);
    const defs = contestsFromImports(db);
    expect(defs.ok).toBe(true);
    if (!defs.ok) return;
    expect(defs.value.contests).toHaveLength(14);
    const governor = defs.value.contests.find((c) => c.title === 'Governor');
    expect(governor).toMatchObject({ seats: 1, allowWriteIns: true });
    expect(governor?.options.map((o) => o.name)).toEqual(['Josiah Bartlett', 'Hannah Dustin', 'John Spencer']);
    // Every target of the election's own grid layouts names a contest and option the definition knows.
    const layouts = layoutsFromVxElection(JSON.parse(readFileSync(nhElection, 'utf8')));
    expect(layouts.ok).toBe(true);
    if (!layouts.ok) return;
    const known = new Set(defs.value.keys.options.values());
    const contests = new Set(defs.value.contests.map((c) => c.id));
    for (const t of layouts.value.flatMap((l) => l.targets)) {
      expect(contests.has(t.contestId)).toBe(true);
      expect(known.has(t.optionId), `${t.contestId} / ${t.optionId}`).toBe(true);
    }
    db.close();
  });

  it('refuses a damaged election.json in plain words (exit 1)', async () => {
    const path = brokenCopy('election.json', (e) => {
      delete e.contests[2]?.title;
    });
    const r = await runImport(path);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/NOT IMPORTED: .*election\.json: this is a VotingWorks election definition, but contest 3: the "title" field is missing\. Nothing in it was imported\./);
    expect(r.err).toMatch(/Export the election definition again from VotingWorks/);
    expect(r.err + r.out).not.toMatch(/ENOENT|ZodError|at .*\.ts:\d+|invalid_type/);
  });

  it('refuses an election.json cut short, and one with an unknown contest kind (exit 1)', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const cut = join(dir, 'election.json');
    writeFileSync(cut, readFileSync(nhElection, 'utf8').slice(0, 4000));
    const r = await runImport(cut);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/VotingWorks election definition, but the file is cut short or damaged/);
    const odd = brokenCopy('nh-election.json', (e) => {
      if (e.contests[1] !== undefined) e.contests[1].type = 'ranked-choice';
    });
    const r2 = await runImport(odd);
    expect(r2.code).toBe(1);
    expect(r2.err).toMatch(/contest 2 \("United States Senator"\): the "type" field is of a kind ballotsafe does not know/);
  });

  it('lists a JSON file of no known format as not election data, with why', async () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'Configuration.json');
    writeFileSync(path, JSON.stringify({ contests: [{ id: 'x' }], settings: {} }));
    const r = await runImport(path);
    expect(r.out).toMatch(/not election data\s+.*Configuration\.json\n\s+why: a JSON file with neither .*VotingWorks election definition/);
    expect(r.code).toBe(1);
  });
});
