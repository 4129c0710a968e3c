import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import { parse } from 'csv-parse/sync';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from './generate.ts';
import { parseDiscrepancies, sampleOptionsFromArgs } from './command.ts';

interface Election {
  contests: { id: string; title: string; voteFor: number; options: { id: string; name: string }[]; writeIns: number }[];
}

async function xlsxRows(path: string): Promise<string[][]> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.readFile(path);
  const ws = wb.worksheets[0];
  if (ws === undefined) throw new Error('no sheet');
  const rows: string[][] = [];
  ws.eachRow((row) => {
    const cells: string[] = [];
    for (let i = 1; i <= ws.columnCount; i++) {
      const v = row.getCell(i).value;
      cells.push(v === null || v === undefined ? '' : String(v));
    }
    rows.push(cells);
  });
  return rows;
}

describe('sample election (ES&S, EIF, summary, incremental, CLI)', () => {
  let root: string;
  let out: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sample-ess-'));
    out = join(root, 'out');
    const r = await generateSampleElection({ out: '', seed: 8, ballots: 14, precincts: 2, format: 'ess', essDpi: 200, discrepancies: { flip: 1, drop: 1, dup: 1, totals: 2 } });
    expect(r.ok).toBe(false); // empty --out: refused by the schema
    const ok = await generateSampleElection({ out, seed: 8, ballots: 14, precincts: 2, format: 'ess', essDpi: 200, discrepancies: { flip: 1, drop: 1, dup: 1, totals: 2 } });
    if (!ok.ok) throw new Error(ok.error.message);
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes the ES&S CVR as CSV and XLSX with one column per seat (vote for N)', async () => {
    const election = JSON.parse(await readFile(join(out, 'truth', 'election.json'), 'utf8')) as Election;
    const csv = parse(await readFile(join(out, 'ess', 'CVR', 'CVR_Export.csv'), 'utf8')) as string[][];
    const header = csv[0] ?? [];
    expect(header.slice(0, 3)).toEqual(['Cast Vote Record', 'Precinct', 'Ballot Style']);
    for (const c of election.contests) expect(header.filter((h) => h === c.title).length, c.title).toBe(c.voteFor);
    expect(election.contests.some((c) => c.voteFor > 1)).toBe(true);
    const xlsx = await xlsxRows(join(out, 'ess', 'CVR', 'CVR_Export.xlsx'));
    expect(xlsx).toEqual(csv);
    const index = JSON.parse(await readFile(join(out, 'truth', 'index.json'), 'utf8')) as { counts: { sheets: number } };
    expect(csv.length - 1).toBe(index.counts.sheets - 1); // one sheet dropped, the rescan counted
    const allowed = new Set(['', 'overvote', 'undervote', 'Write-in', ...election.contests.flatMap((c) => c.options.map((o) => o.name))]);
    for (const row of csv.slice(1)) for (const cell of row.slice(3)) expect(allowed.has(cell), cell).toBe(true);
  });

  it('writes grayscale JPEGs per precinct folder, named by CVR number', async () => {
    const dirs = await readdir(join(out, 'ess', 'Images'));
    expect(dirs.length).toBe(2);
    const files = (await Promise.all(dirs.map(async (d) => (await readdir(join(out, 'ess', 'Images', d))).map((f) => join(d, f))))).flat();
    for (const f of files) expect(f).toMatch(/^\d\d-\d+_[A-Za-z_]+\/\d{6}_[FB]\.jpg$/);
    const meta = await sharp(join(out, 'ess', 'Images', files[0] as string)).metadata();
    expect([meta.format, meta.channels, meta.width, meta.height, meta.density]).toEqual(['jpeg', 1, 1700, 2200, 200]);
  });

  it("writes AuditEngine's Election Information File and a summary whose altered totals are listed", async () => {
    const eif = await xlsxRows(join(out, 'eif', 'Election_Information_File.xlsx'));
    expect(eif[0]).toEqual(['Official_Contest_Name', 'Vote_for', 'Official_Options', 'Party', 'CVR_Contest_Name', 'CVR_Options', 'Ballot_Contest_Name', 'Ballot_Options', 'Ballot_Descriptions']);
    expect(eif.some((r) => r[2] === 'Yes' && (r[8] ?? '').length > 80)).toBe(true);

    const election = JSON.parse(await readFile(join(out, 'truth', 'election.json'), 'utf8')) as Election;
    const csv = parse(await readFile(join(out, 'ess', 'CVR', 'CVR_Export.csv'), 'utf8')) as string[][];
    const header = csv[0] ?? [];
    const summary = parse(await readFile(join(out, 'results', 'summary.csv'), 'utf8')) as string[][];
    const disc = JSON.parse(await readFile(join(out, 'truth', 'discrepancies.json'), 'utf8')) as { discrepancies: { kind: string; contestId?: string; optionId?: string; cvrTotal?: number; reportedTotal?: number }[] };
    const altered = disc.discrepancies.filter((d) => d.kind === 'totals');
    expect(altered.length).toBe(2);
    let checked = 0;
    for (const c of election.contests) {
      for (const o of c.options) {
        const fromCvr = csv.slice(1).reduce((n, row) => n + row.filter((cell, i) => header[i] === c.title && cell === o.name).length, 0);
        const reported = Number(summary.find((r) => r[0] === c.title && r[1] === o.name)?.[3]);
        const alt = altered.find((d) => d.contestId === c.id && d.optionId === o.id);
        if (alt === undefined) expect(reported, `${c.title} ${o.name}`).toBe(fromCvr);
        else {
          expect(alt.cvrTotal).toBe(fromCvr);
          expect(reported).toBe(alt.reportedTotal);
          expect(reported).not.toBe(fromCvr);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('incremental mode lands batch after batch, images before their CVR file, never a partial name', async () => {
    const inc = join(root, 'inc');
    const seen: { at: number; cvrs: string[]; partial: string[]; tifs: number }[] = [];
    const listAll = async (dir: string): Promise<string[]> => {
      const out2: string[] = [];
      for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out2.push(e.name);
      return out2;
    };
    const t0 = performance.now();
    const pending: Promise<void>[] = [];
    const r = await generateSampleElection({ out: inc, seed: 3, ballots: 8, precincts: 2, batchSize: 3, incremental: true, batchIntervalMs: 250 }, undefined, {
      onBatch: () => {
        const at = performance.now() - t0;
        pending.push(
          listAll(join(inc, 'dominion')).then((names) => {
            seen.push({ at, cvrs: names.filter((n) => n.startsWith('CvrExport_')), partial: names.filter((n) => n.endsWith('.partial')), tifs: names.filter((n) => n.endsWith('.tif')).length });
          }),
        );
      },
    });
    await Promise.all(pending);
    expect(r.ok).toBe(true);
    expect(seen.length).toBeGreaterThan(2);
    seen.sort((x, y) => x.at - y.at);
    seen.forEach((s, i) => {
      expect(s.cvrs.length).toBe(i + 1);
      expect(s.partial).toEqual([]);
      if (i > 0) {
        expect(s.at - (seen[i - 1]?.at ?? 0)).toBeGreaterThanOrEqual(240);
        expect(s.tifs).toBeGreaterThan(seen[i - 1]?.tifs ?? 0);
      }
    });
  });

  it('generates a primary: every voter on one party\'s ballot, both parties present', async () => {
    const pr = join(root, 'primary');
    const r = await generateSampleElection({ out: pr, seed: 6, ballots: 24, precincts: 2, primary: true, images: false });
    if (!r.ok) throw new Error(r.error.message);
    const election = JSON.parse(await readFile(join(pr, 'truth', 'election.json'), 'utf8')) as { kind: string; styles: { id: string; partyId: string | null }[]; contests: { id: string; partyId: string | null }[] };
    expect(election.kind).toBe('primary');
    const index = JSON.parse(await readFile(join(pr, 'truth', 'index.json'), 'utf8')) as { ballots: string[] };
    const parties = new Set<string>();
    for (const b of index.ballots) {
      const t = JSON.parse(await readFile(join(pr, 'truth', b), 'utf8')) as { styleId: string; sheets: { contests: { contestId: string }[] }[] };
      const party = election.styles.find((s) => s.id === t.styleId)?.partyId;
      if (party === null || party === undefined) throw new Error('primary ballot without a party');
      parties.add(party);
      for (const c of t.sheets.flatMap((s) => s.contests)) {
        const cp = election.contests.find((x) => x.id === c.contestId)?.partyId;
        expect(cp === null || cp === party).toBe(true);
      }
    }
    expect([...parties].sort()).toEqual(['party-dem', 'party-rep']);
  });

  it('parses the command line and refuses bad input with an operator message', () => {
    const okArgs = sampleOptionsFromArgs(['--out', '/tmp/x', '--seed', '4', '--ballots', '30', '--format', 'both', '--incremental', '--batch-interval-ms', '500', '--discrepancies', 'flip=3,drop=1,dup=1,totals=1']);
    expect(okArgs).toEqual({ ok: true, value: { out: '/tmp/x', seed: 4, ballots: 30, format: 'both', incremental: true, batchIntervalMs: 500, discrepancies: { flip: 3, drop: 1, dup: 1, totals: 1 } } });
    expect(parseDiscrepancies('flip=x').ok).toBe(false);
    expect(parseDiscrepancies('swap=1').ok).toBe(false);
    expect(sampleOptionsFromArgs(['--seed', '1']).ok).toBe(false);
    expect(sampleOptionsFromArgs(['--out', 'x', '--ballots', 'many']).ok).toBe(false);
    expect(sampleOptionsFromArgs(['--out', 'x', '--bogus']).ok).toBe(false);
  });

  it('scans at 300 dpi too', async () => {
    const hi = join(root, 'hi');
    const r = await generateSampleElection({ out: hi, seed: 2, ballots: 1, precincts: 2, dominionDpi: 300, essDpi: 300, format: 'both' });
    expect(r.ok).toBe(true);
    const index = JSON.parse(await readFile(join(hi, 'truth', 'index.json'), 'utf8')) as { images: { vendor: string; paths: string[] }[] };
    for (const img of index.images) {
      const meta = await sharp(join(hi, img.paths[0] as string)).metadata();
      expect([meta.width, meta.height, meta.density], img.vendor).toEqual([2550, 3300, 300]);
    }
    expect(index.images.map((i) => i.vendor).sort()).toEqual(['dominion', 'ess']);
  });

  it('never deletes a folder that is not an earlier sample election', async () => {
    const precious = join(root, 'precious');
    await mkdir(precious);
    await writeFile(join(precious, 'minutes.txt'), 'keep me');
    const r = await generateSampleElection({ out: precious, seed: 1, ballots: 2, images: false });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('sample-out-not-empty');
    expect(await readFile(join(precious, 'minutes.txt'), 'utf8')).toBe('keep me');
    // an earlier sample election is replaced
    expect((await generateSampleElection({ out, seed: 8, ballots: 3, precincts: 2, images: false })).ok).toBe(true);
  });
});
