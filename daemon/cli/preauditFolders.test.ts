import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { corpusDir, tempDir } from '../importer/testSupport.ts';
import { preauditCommand } from './preauditCommand.ts';

const nh = join(corpusDir, 'nh-amherst-scans');

async function run(args: string[]): Promise<{ code: number; text: string }> {
  const out: string[] = [];
  const write = (chunk: unknown) => {
    out.push(String(chunk));
    return true;
  };
  const o = vi.spyOn(process.stdout, 'write').mockImplementation(write);
  const e = vi.spyOn(process.stderr, 'write').mockImplementation(write);
  try {
    const code = await preauditCommand.run(args);
    return { code, text: out.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('ballotsafe preaudit <folder>: a folder of scans and an election definition, no config', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    while (cleanups.length > 0) cleanups.pop()?.();
  });

  it('a folder that is not there, a mapping file with a mistake: exit 2 with what to fix, before any work', async () => {
    const { dir, cleanup } = tempDir('ballotsafe-folders-');
    cleanups.push(cleanup);
    const missing = await run([join(dir, 'nope'), '--out', join(dir, 'out')]);
    expect(missing.code).toBe(2);
    expect(missing.text).toMatch(/There is no folder .*nope\./);
    writeFileSync(join(dir, 'map.csv'), 'style,side,column,row,contest,option\ns,front,12,x,Governor,A\n');
    const bad = await run([dir, '--out', join(dir, 'out'), '--mapping', join(dir, 'map.csv')]);
    expect(bad.code).toBe(2);
    expect(bad.text).toMatch(/^Line 2: the row must be a whole number\.\nCorrect that line of the mapping file/);
    expect(existsSync(join(dir, 'out', 'preaudit-report.json'))).toBe(false);
    const both = await run([dir, '--config', join(dir, 'c.yaml')]);
    expect(both.code).toBe(2);
    // Election data but no scans: said in the words of a folder run, not the appliance's.
    mkdirSync(join(dir, 'defs'));
    copyFileSync(join(nh, 'election.json'), join(dir, 'defs', 'election.json'));
    const noImages = await run([join(dir, 'defs'), '--out', join(dir, 'out')]);
    expect(noImages.code).toBe(2);
    expect(noImages.text).toContain(`There are no ballot images in ${join(dir, 'defs')}`);
    expect(noImages.text).not.toMatch(/watched folder/);
  });

  // Slow-ish (~60 s: OCR of one real style, then two sheets read): the whole path a user takes.
  it('real NH scans with their VotingWorks election.json: a style waits (exit 3, a template written); a mapping file maps it and the marks read are those read by eye', async () => {
    const { dir, cleanup } = tempDir('ballotsafe-folders-');
    cleanups.push(cleanup);
    const folder = join(dir, 'scans');
    mkdirSync(folder);
    // expected-scan-marked.json is a JSON file that is not election data: named in the output, with why.
    for (const f of ['election.json', 'template-front.jpeg', 'template-back.jpeg', 'expected-scan-marked.json']) copyFileSync(join(nh, f), join(folder, f));
    const out = join(dir, 'report');
    const data = join(dir, 'data');
    const first = await run([folder, '--out', out, '--data', data]);
    expect(first.text).toMatch(/Imported 1 file of election data: scans:election\.json/);
    expect(first.text).toContain('Read 4 files in 1 folder.'); // not "1 folders"
    expect(first.text).toMatch(/Not election data \(kept, not imported\): 1 file:\n {2}scans:expected-scan-marked\.json: a JSON file with neither/);
    // -front / -back are one sheet; a style waiting for a person is not "no disagreements".
    expect(first.text).toMatch(/ {8}1 {2}sheets in the catalog\n {8}0 {2}sheets read\n {8}1 {2}sheets waiting for a person to map their ballot style/);
    expect(first.code).toBe(3);
    const template = join(out, 'mapping-template.csv');
    expect(first.text).toContain(`columns of ${template} and run again with --mapping`);
    const rows = readFileSync(template, 'utf8').trim().split('\n');
    expect(rows[0]).toBe('style,side,column,row,contest,option,text_read');
    const style = rows[1]?.split(',')[0] ?? '';
    expect(style).toMatch(/^accuvote-/);

    // The person's mapping: VotingWorks' own grid positions, contests and options by id, as JSON.
    const election = z
      .object({
        contests: z.array(z.object({ id: z.string(), title: z.string(), candidates: z.array(z.object({ id: z.string(), name: z.string() })).optional(), yesOption: z.object({ id: z.string(), label: z.string() }).optional(), noOption: z.object({ id: z.string(), label: z.string() }).optional() })),
        gridLayouts: z.array(z.object({ gridPositions: z.array(z.object({ type: z.string(), side: z.enum(['front', 'back']), column: z.number(), row: z.number(), contestId: z.string(), optionId: z.string().optional(), writeInIndex: z.number().optional() })) })),
      })
      .parse(JSON.parse(readFileSync(join(nh, 'election.json'), 'utf8')));
    const positions = election.gridLayouts[0]?.gridPositions ?? [];
    const targets = positions.map((p) => ({ side: p.side, column: p.column, row: p.row, contest: p.contestId, option: p.type === 'write-in' ? 'write-in' : (p.optionId ?? '') }));
    writeFileSync(join(dir, 'mapping.json'), JSON.stringify({ styles: [{ style, targets }] }));
    // The auditor brings the marked scan too.
    for (const f of ['scan-marked-front.jpeg', 'scan-marked-back.jpeg']) copyFileSync(join(nh, f), join(folder, f));
    const second = await run([folder, '--out', out, '--data', data, '--mapping', join(dir, 'mapping.json')]);
    expect(second.text).toMatch(new RegExp(`Mapped ballot style ${style} from the mapping file: ${positions.length} voting targets\\.`));
    expect(second.text).toMatch(/ {8}2 {2}sheets in the catalog\n {8}2 {2}sheets read\n/);
    // Read, but no CVR to compare with: not "all agree".
    expect(second.text).toMatch(/ {8}2 {2}ballots without a CVR/);
    expect(second.code).toBe(3);

    // What it read on the marked sheet is what a person read by eye.
    const expected = z.record(z.string(), z.record(z.string(), z.array(z.string()))).parse(JSON.parse(readFileSync(join(nh, 'expected-scan-marked.json'), 'utf8')).front ? (({ front, back }) => ({ front, back }))(JSON.parse(readFileSync(join(nh, 'expected-scan-marked.json'), 'utf8'))) : {});
    const title = new Map(election.contests.map((c) => [c.id, c.title]));
    const name = new Map(election.contests.flatMap((c) => [...(c.candidates ?? []).map((o) => [`${c.id}/${o.id}`, o.name] as const), ...(c.yesOption ? [[`${c.id}/${c.yesOption.id}`, c.yesOption.label] as const] : []), ...(c.noOption ? [[`${c.id}/${c.noOption.id}`, c.noOption.label] as const] : [])]));
    const byEye = Object.values(expected)
      .flatMap((side) => Object.entries(side).flatMap(([c, os]) => os.map((o) => `${title.get(c) ?? c} / ${o.startsWith('write-in') ? 'write-in' : (name.get(`${c}/${o}`) ?? o)}`)))
      .sort();
    // Columns by the header's names (the CSV grows columns, e.g. `auditmark`); no cell here holds a comma.
    const [header = '', ...csv] = readFileSync(join(out, 'independent-cvr.csv'), 'utf8').trim().split(/\r?\n/);
    const col = (name: string): number => header.split(',').indexOf(name);
    expect(['files', 'contest', 'option', 'mark'].map(col).every((i) => i >= 0), header).toBe(true);
    const cellsOf = (l: string) => l.split(',');
    const read = csv
      .map(cellsOf)
      .filter((c) => (c[col('files')] ?? '').includes('scan-marked-front.jpeg') && c[col('mark')] === 'marked')
      .map((c) => {
        const option = c[col('option')] ?? '';
        return `${c[col('contest')] ?? ''} / ${/write-in/i.test(option) ? 'write-in' : option}`;
      })
      .sort();
    expect(read.map((r) => r.toLowerCase())).toEqual(byEye.map((r) => r.toLowerCase()));
    expect(csv.map(cellsOf).filter((c) => (c[col('files')] ?? '').includes('template-front.jpeg') && c[col('mark')] === 'marked')).toEqual([]);
  }, 240_000);
});
