import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection, type GenerateSummary } from './generate.ts';
import { decodeStyleCode, GRID, columnX, rowY } from './layout.ts';
import { project, type ScanTransform } from './raster.ts';

const here = dirname(fileURLToPath(import.meta.url));
const realDominion = resolve(here, '../../../shared/corpus/dominion-alaska-2024-partial');

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out.sort();
}

async function hashes(root: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const f of await walk(root)) m.set(relative(root, f), createHash('sha256').update(await readFile(f)).digest('hex'));
  return m;
}

/** Every key path ("Sessions[].Original.Cards[]...") -> the set of keys seen there. */
function keyShape(value: unknown, path: string, acc: Map<string, Set<string>>): void {
  if (Array.isArray(value)) {
    for (const v of value) keyShape(v, `${path}[]`, acc);
  } else if (value !== null && typeof value === 'object') {
    const set = acc.get(path) ?? new Set<string>();
    for (const [k, v] of Object.entries(value)) {
      set.add(k);
      keyShape(v, `${path}.${k}`, acc);
    }
    acc.set(path, set);
  }
}

async function shapeOf(files: readonly string[]): Promise<Map<string, string[]>> {
  const acc = new Map<string, Set<string>>();
  for (const f of files) keyShape(JSON.parse(await readFile(f, 'utf8')), '', acc);
  return new Map([...acc].map(([k, v]) => [k, [...v].sort()]));
}

const OPTIONS = { seed: 11, ballots: 30, precincts: 3, batchSize: 20, discrepancies: { flip: 2, drop: 1, dup: 1, totals: 1 } } as const;

describe('sample election (Dominion)', () => {
  let root: string;
  let a: string;
  let summary: GenerateSummary;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'sample-election-'));
    a = join(root, 'a');
    const r = await generateSampleElection({ ...OPTIONS, out: a });
    if (!r.ok) throw new Error(r.error.message);
    summary = r.value;
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('is byte-identical for the same seed (both vendors, xlsx included) and different for another seed', async () => {
    const small = { seed: 21, ballots: 10, precincts: 2, format: 'both', essDpi: 200, discrepancies: { flip: 1, drop: 1, dup: 1, totals: 1 } } as const;
    const [b, c] = [join(root, 'b'), join(root, 'c')];
    expect((await generateSampleElection({ ...small, out: b })).ok).toBe(true);
    expect((await generateSampleElection({ ...small, out: c })).ok).toBe(true);
    const [hb, hc] = await Promise.all([hashes(b), hashes(c)]);
    expect(hb.size).toBeGreaterThan(40);
    expect([...hb.keys()].some((f) => f.endsWith('.xlsx'))).toBe(true);
    expect([...hb.keys()].some((f) => f.endsWith('.jpg'))).toBe(true);
    expect([...hc.keys()]).toEqual([...hb.keys()]);
    for (const [f, h] of hb) expect(hc.get(f), f).toBe(h);

    const d = join(root, 'd');
    expect((await generateSampleElection({ ...small, seed: 22, images: false, out: d })).ok).toBe(true);
    const hd = await hashes(d);
    expect(hd.get('truth/index.json')).not.toBe(hb.get('truth/index.json'));
    expect(hd.get('dominion/CvrExport_1.json')).not.toBe(hb.get('dominion/CvrExport_1.json'));
    await Promise.all([b, c, d].map((x) => rm(x, { recursive: true, force: true })));
  });

  it('has the same keys at every level as the real Dominion export, CVR and manifests', async () => {
    const realFiles = (await readdir(realDominion)).sort();
    const ours = join(a, 'dominion');
    const ourFiles = (await readdir(ours)).filter((f) => f.endsWith('.json')).sort();
    const manifests = realFiles.filter((f) => !f.startsWith('CvrExport_'));
    // every manifest the real export has, we have, and no others
    expect(ourFiles.filter((f) => !f.startsWith('CvrExport_'))).toEqual(manifests);
    for (const m of manifests) {
      const [real, gen] = await Promise.all([shapeOf([join(realDominion, m)]), shapeOf([join(ours, m)])]);
      expect(Object.fromEntries(gen), m).toEqual(Object.fromEntries(real));
    }
    const real = await shapeOf(realFiles.filter((f) => f.startsWith('CvrExport_')).map((f) => join(realDominion, f)));
    const gen = await shapeOf(ourFiles.filter((f) => f.startsWith('CvrExport_')).map((f) => join(ours, f)));
    // Modified (optional in the vendor's format; absent in this real sample) must mirror Original
    const modified = [...gen].filter(([k]) => k.includes('.Modified'));
    expect(modified.length).toBeGreaterThan(0);
    for (const [k, v] of modified) expect(v, k).toEqual(gen.get(k.replace('.Modified', '.Original')));
    const sessionKeys = gen.get('.Sessions[]') ?? [];
    expect(sessionKeys).toContain('Modified');
    gen.set('.Sessions[]', sessionKeys.filter((k) => k !== 'Modified'));
    const withoutModified = new Map([...gen].filter(([k]) => !k.includes('.Modified')));
    expect(Object.fromEntries(withoutModified)).toEqual(Object.fromEntries(real));
  });

  it('writes Dominion image paths and multipage G4 TIFFs (front, back, annotation)', async () => {
    const tifs = (await walk(join(a, 'dominion'))).filter((f) => f.endsWith('.tif')).map((f) => relative(join(a, 'dominion'), f));
    expect(tifs.length).toBe(summary.sheets);
    for (const t of tifs) expect(t).toMatch(/^Tabulator(\d{5})\/Batch(\d{3,})\/Images\/\1_\d{5}_\d{6}\.tif$/);
    const meta = await sharp(join(a, 'dominion', tifs[0] as string)).metadata();
    expect(meta.pages).toBe(3);
    expect([meta.width, meta.height, meta.density, meta.bitsPerSample]).toEqual([1700, 2200, 200, 1]);
  });

  it('ground truth matches the pixels: timing marks, style code, marked and empty ovals', async () => {
    const index = JSON.parse(await readFile(join(a, 'truth', 'index.json'), 'utf8')) as { images: { ballotId: string; sheetId: string; paths: string[]; vendor: string }[] };
    let checkedFull = 0;
    for (const img of index.images.slice(0, 8)) {
      const ballot = JSON.parse(await readFile(join(a, 'truth', 'ballots', `${img.ballotId}.json`), 'utf8')) as {
        styleNumber: number;
        styleId: string;
        sheets: { sheetId: string; card: number; marks: { kind: string; side: string; column: number | null; row: number | null }[]; images: { vendor: string; scan: { front: ScanTransform } }[] }[];
      };
      const sheet = ballot.sheets.find((s) => s.sheetId === img.sheetId);
      const scan = sheet?.images.find((i) => i.vendor === 'dominion')?.scan.front;
      if (sheet === undefined || scan === undefined) throw new Error('truth incomplete');
      const layout = JSON.parse(await readFile(join(a, 'truth', 'layouts', `${ballot.styleId}.json`), 'utf8')) as {
        cards: { card: number; front: { targets: { column: number; row: number }[]; codeBits: number[] } }[];
      };
      const card = layout.cards.find((c) => c.card === sheet.card);
      if (card === undefined) throw new Error('no card layout');
      const { data, info } = await sharp(join(a, img.paths[0] as string), { page: 0 }).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      const to = project(scan, 200, info.width, info.height);
      const at = (xIn: number, yIn: number): number => {
        const [u, v] = to(xIn, yIn);
        return data[Math.round(v) * info.width + Math.round(u)] as number;
      };
      // timing marks at the four corners and mid-edges are black
      for (const [c, r] of [[0, 0], [33, 0], [0, 52], [33, 52], [17, 0], [0, 26], [33, 26]] as const) expect(at(columnX(c), rowY(r)), `timing ${c},${r}`).toBe(0);
      // the style code reads back from the pixels
      const bits = Array.from({ length: GRID.codeBits }, (_, i) => (at(columnX(GRID.codeFirstColumn + i), rowY(GRID.codeRow)) === 0 ? 1 : 0));
      expect(decodeStyleCode(bits)).toEqual({ styleNumber: ballot.styleNumber, card: sheet.card, side: 'front' });
      // full marks are black in the oval's centre; untouched ovals are white there
      for (const t of card.front.targets) {
        const marks = sheet.marks.filter((m) => m.side === 'front' && m.column === t.column && m.row === t.row && m.kind !== 'write-in-scribble');
        if (marks.length === 0) expect(at(columnX(t.column), rowY(t.row)), `empty ${t.column},${t.row}`).toBe(255);
        if (marks.some((m) => m.kind === 'full')) {
          expect(at(columnX(t.column), rowY(t.row))).toBe(0);
          checkedFull++;
        }
      }
    }
    expect(checkedFull).toBeGreaterThan(5);
  });

  it('the CVR says what the voters meant, except for the listed discrepancies', async () => {
    const disc = JSON.parse(await readFile(join(a, 'truth', 'discrepancies.json'), 'utf8')) as { discrepancies: { kind: string; sheetId: string; contestId?: string; cvrRecords?: string; dominion?: { tabulatorId: number; batchId: number; recordId: number }; duplicateDominion?: { recordId: number } }[] };
    expect(disc.discrepancies.map((d) => d.kind).sort()).toEqual(['drop', 'dup', 'flip', 'flip', 'totals']);
    const election = JSON.parse(await readFile(join(a, 'truth', 'election.json'), 'utf8')) as { contests: { id: string; dominionId: number; options: { id: string; dominionId: number }[]; writeInDominionIds: number[] }[] };
    const sessions = new Map<string, { Original: CvrState; Modified?: CvrState }>();
    interface CvrState {
      IsCurrent: boolean;
      Cards: { Contests: { Id: number; Marks: { CandidateId: number; IsVote: boolean }[] }[] }[];
    }
    for (const f of (await readdir(join(a, 'dominion'))).filter((x) => x.startsWith('CvrExport_'))) {
      const j = JSON.parse(await readFile(join(a, 'dominion', f), 'utf8')) as { Sessions: { TabulatorId: number; BatchId: number; RecordId: number; Original: CvrState; Modified?: CvrState }[] };
      for (const s of j.Sessions) sessions.set(`${s.TabulatorId}/${s.BatchId}/${s.RecordId}`, s);
    }
    const index = JSON.parse(await readFile(join(a, 'truth', 'index.json'), 'utf8')) as { ballots: string[] };
    let compared = 0;
    for (const b of index.ballots) {
      const ballot = JSON.parse(await readFile(join(a, 'truth', b), 'utf8')) as { sheets: { sheetId: string; inCvr: boolean; dominion: { tabulatorId: number; batchId: number; recordId: number }; contests: { contestId: string; votes: string[] }[] }[] };
      for (const sheet of ballot.sheets) {
        const key = `${sheet.dominion.tabulatorId}/${sheet.dominion.batchId}/${sheet.dominion.recordId}`;
        const session = sessions.get(key);
        expect(session !== undefined, key).toBe(sheet.inCvr);
        if (session === undefined) {
          expect(disc.discrepancies.some((d) => d.kind === 'drop' && d.sheetId === sheet.sheetId)).toBe(true);
          continue;
        }
        const current = session.Modified ?? session.Original;
        expect(current.IsCurrent).toBe(true);
        for (const c of sheet.contests) {
          const contest = election.contests.find((x) => x.id === c.contestId);
          if (contest === undefined) throw new Error('unknown contest');
          const recorded = (current.Cards[0]?.Contests.find((x) => x.Id === contest.dominionId)?.Marks ?? []).filter((m) => m.IsVote).map((m) => m.CandidateId).sort();
          const flip = disc.discrepancies.find((d) => d.kind === 'flip' && d.sheetId === sheet.sheetId.replace(/-dup$/, '') && d.contestId === c.contestId);
          const meant = (flip !== undefined ? [flip.cvrRecords as string] : c.votes)
            .map((v) => (v.startsWith('write-in-') ? contest.writeInDominionIds[Number(v.slice(9))] : contest.options.find((o) => o.id === v)?.dominionId))
            .sort();
          expect(recorded, `${sheet.sheetId} ${c.contestId}`).toEqual(meant);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(100);
    const dup = disc.discrepancies.find((d) => d.kind === 'dup');
    expect(sessions.has(`${dup?.dominion?.tabulatorId}/${dup?.dominion?.batchId}/${dup?.duplicateDominion?.recordId}`)).toBe(true);
  });

  it('labels every kind of mark somewhere in a small election', async () => {
    const big = join(root, 'kinds');
    const r = await generateSampleElection({ seed: 5, ballots: 120, precincts: 2, images: false, out: big });
    expect(r.ok).toBe(true);
    const index = JSON.parse(await readFile(join(big, 'truth', 'index.json'), 'utf8')) as { ballots: string[] };
    const kinds = new Set<string>();
    const outcomes = new Set<string>();
    let ambiguous = 0;
    for (const b of index.ballots) {
      const t = JSON.parse(await readFile(join(big, 'truth', b), 'utf8')) as { sheets: { marks: { kind: string; ambiguous: boolean }[]; contests: { outcome: string }[] }[] };
      for (const s of t.sheets) {
        for (const m of s.marks) {
          kinds.add(m.kind);
          if (m.ambiguous) ambiguous++;
        }
        for (const c of s.contests) outcomes.add(c.outcome);
      }
    }
    expect([...kinds].sort()).toEqual(['check', 'erasure', 'full', 'hesitation-dot', 'light', 'partial', 'stray', 'write-in-scribble', 'x']);
    expect([...outcomes].sort()).toEqual(['blank', 'overvote', 'undervote', 'voted']);
    expect(ambiguous).toBeGreaterThan(5);
    await rm(big, { recursive: true, force: true });
  });

  it('refuses impossible requests with an operator message', async () => {
    const r = await generateSampleElection({ seed: 1, ballots: 2, out: join(root, 'x'), discrepancies: { flip: 0, drop: 10, dup: 0, totals: 0 }, images: false });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('sample-too-many-discrepancies');
    const bad = await generateSampleElection({ seed: -1, ballots: 0, out: '' });
    expect(bad.ok).toBe(false);
  });
});
