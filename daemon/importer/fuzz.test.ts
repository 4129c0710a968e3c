import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperatorError, Result } from '../core/result.ts';
import { validateArloManifest } from './arlo.ts';
import { parseDominionCvrExport, parseDominionManifestBuffer } from './dominion.ts';
import { parseEif, parseEifRows } from './eif.ts';
import { parseEssCvr, parseEssCvrRows } from './ess.ts';
import { parseNistCvr } from './nist.ts';
import { parseResults, parseResultsRows } from './results.ts';
import { csvText, dominionCorpus, nistFixture, tempDir, writeXlsx } from './testSupport.ts';

/** Seeded PRNG (mulberry32) so a failing input can be reproduced from its seed and index. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const tokens = ['"', '{', '}', '[', ']', ',', ':', '\\', '\u0000', 'null', '-1', '1e999', 'true', '"IsVote":', '\ufeff', '\r\n', '""', '\n,,,\n', 'Total', '999999999999999999999', '\ud800'];

function mutate(input: Buffer, r: () => number): Buffer {
  let b = Buffer.from(input);
  const ops = 1 + Math.floor(r() * 4);
  for (let k = 0; k < ops; k++) {
    const at = Math.floor(r() * (b.length + 1));
    switch (Math.floor(r() * 8)) {
      case 0: // flip a byte
        if (b.length > 0) b[Math.min(at, b.length - 1)] = Math.floor(r() * 256);
        break;
      case 1: // delete a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(r() * 40))]);
        break;
      case 2: // duplicate a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + Math.floor(r() * 80)), b.subarray(at)]);
        break;
      case 3: // truncate
        b = b.subarray(0, at);
        break;
      case 4: // insert a syntax token
        b = Buffer.concat([b.subarray(0, at), Buffer.from(tokens[Math.floor(r() * tokens.length)] ?? ''), b.subarray(at)]);
        break;
      case 5: // random bytes
        b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * 256))), b.subarray(at)]);
        break;
      case 6: // swap two halves
        b = Buffer.concat([b.subarray(at), b.subarray(0, at)]);
        break;
      default: // re-encode as UTF-16
        if (r() < 0.1) b = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(b.toString('latin1'), 'utf16le')]);
    }
  }
  return b;
}

const perParser = 10_000;

function expectErrorValue(r: Result<unknown, OperatorError>, label: string): void {
  if (r.ok) return;
  if (typeof r.error.code !== 'string' || typeof r.error.message !== 'string' || r.error.message.length === 0) {
    throw new Error(`${label}: not an operator error value: ${JSON.stringify(r)}`);
  }
}

async function withinTime<T>(p: Promise<T>, label: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no answer within 5 s (hang)`)), 5000);
  });
  try {
    return await Promise.race([p, hang]);
  } finally {
    clearTimeout(timer);
  }
}

describe(`fuzz: ${perParser} mutated inputs per parser give only error values`, () => {
  let dir = '';
  let cleanup = () => {};
  beforeAll(() => {
    ({ dir, cleanup } = tempDir('ballotsafe-fuzz-'));
  });
  afterAll(() => cleanup());

  /** Runs a file-based parser over mutated inputs; counts ok and error answers. */
  async function fuzzFile(name: string, seedInput: Buffer, seed: number, parse: (bytes: Uint8Array, file: string) => Promise<Result<unknown>>): Promise<{ ok: number; errors: number }> {
    const r = rng(seed);
    let okCount = 0;
    let errors = 0;
    for (let i = 0; i < perParser; i++) {
      const bytes = mutate(seedInput, r);
      const label = `${name} seed ${seed} input ${i}`;
      let res: Result<unknown>;
      try {
        res = await withinTime(parse(bytes, name), label);
      } catch (e) {
        throw new Error(`${label}: threw ${(e as Error).stack ?? String(e)}`);
      }
      expectErrorValue(res, label);
      if (res.ok) okCount++;
      else {
        errors++;
        expect(res.error.message.startsWith(name), label).toBe(true);
      }
    }
    return { ok: okCount, errors };
  }

  const sink = { record: () => undefined };
  const dominion = () => {
    // Two sessions keep inputs small (fast) while covering Cards, Marks and Rank.
    const data = JSON.parse(readFileSync(join(dominionCorpus, 'CvrExport_1731.json'), 'utf8')) as { Sessions: unknown[] };
    return Buffer.from(JSON.stringify({ ...data, Sessions: data.Sessions.slice(0, 2) }));
  };

  it('Dominion CvrExport', async () => {
    const n = await fuzzFile('CvrExport_1.json', dominion(), 1, (p, f) => parseDominionCvrExport(p, f, sink));
    expect(n.errors).toBeGreaterThan(perParser / 2);
  });

  it('Dominion manifests', () => {
    const seedInput = Buffer.from(readFileSync(join(dominionCorpus, 'CandidateManifest.json'), 'utf8').slice(0, 600).replace(/,\{[^{}]*$/, ']}'));
    expect(parseDominionManifestBuffer(seedInput, 'CandidateManifest.json', 'CandidateManifest').ok).toBe(true);
    const r = rng(2);
    let errors = 0;
    for (let i = 0; i < perParser; i++) {
      const label = `manifest seed 2 input ${i}`;
      const res = parseDominionManifestBuffer(mutate(seedInput, r), 'CandidateManifest.json', i % 2 === 0 ? 'CandidateManifest' : 'ContestManifest');
      expectErrorValue(res, label);
      if (!res.ok) errors++;
    }
    expect(errors).toBeGreaterThan(perParser / 2);
  });

  it('NIST CVR JSON', async () => {
    const n = await fuzzFile('nist.json', Buffer.from(JSON.stringify(nistFixture(2))), 3, (p, f) => parseNistCvr(p, f, sink));
    expect(n.errors).toBeGreaterThan(perParser / 2);
  });

  const essCsv = Buffer.from(
    csvText([
      ['Election', ''],
      ['Cast Vote Record', 'Precinct', 'Ballot Style', 'Mayor', 'Council', 'Council'],
      [1, 'P1', 'S1', 'A', 'C', 'D'],
      [2, 'P2', 'S1', 'overvote', 'C', 'undervote'],
      ['Total', '', '', '', '', ''],
    ]),
  );
  it('ES&S CVR CSV', async () => {
    const n = await fuzzFile('cvr.csv', essCsv, 4, (p, f) => parseEssCvr(p, f, 'csv', sink));
    expect(n.ok + n.errors).toBe(perParser);
  });

  it('results summary CSV', async () => {
    const seedInput = Buffer.from(csvText([['Contest', 'Choice', 'Total Votes', 'Suppressed'], ['Mayor', 'A', '1,204', '3'], ['', 'B', 7, ''], ['Cards Cast', '', 9, '']]));
    const n = await fuzzFile('results.csv', seedInput, 5, (p, f) => parseResults(p, f, 'csv'));
    expect(n.ok + n.errors).toBe(perParser);
  });

  /** Row-level fuzz for the spreadsheet parsers (the layer behind both CSV and XLSX). */
  function mutateRows(rows: string[][], r: () => number): string[][] {
    const out = rows.map((row) => [...row]);
    for (let k = 0; k < 1 + Math.floor(r() * 4); k++) {
      const i = Math.floor(r() * out.length);
      const row = out[i] ?? [];
      const c = Math.floor(r() * (row.length + 1));
      const op = Math.floor(r() * 6);
      if (op === 0) row[c] = tokens[Math.floor(r() * tokens.length)] ?? '';
      else if (op === 1) row.splice(c, 1);
      else if (op === 2) out.splice(i, 1);
      else if (op === 3) out.splice(i, 0, [...row]);
      else if (op === 4) row[c] = String(Math.floor(r() * 1e6) - 1000);
      else row[c] = '';
      out[i] = row;
    }
    return out;
  }

  it('EIF, ES&S and results row parsers (rows as read from XLSX or CSV)', () => {
    const eif = [
      ['Official_Contest_Name', 'Vote_for', 'Official_Options', 'Party', 'CVR_Contest_Name', 'CVR_Options', 'Ballot_Summary_1'],
      ['Mayor', '1', 'A', 'DEM', 'Mayor', 'A', 's'],
      ['', '', 'B', '', '', 'B', ''],
    ];
    const ess = essCsv.toString().trim().split('\r\n').map((l) => l.split(','));
    const results = [['Contest', 'Choice', 'Votes', 'Ballots Suppressed'], ['Mayor', 'A', '5', '1'], ['', 'Suppressed', '2', '']];
    const r = rng(6);
    for (const [name, seedRows, make] of [
      ['eif', eif, () => parseEifRows('eif.xlsx')],
      ['ess', ess, () => parseEssCvrRows('cvr.xlsx', sink)],
      ['results', results, () => parseResultsRows('results.xlsx')],
    ] as const) {
      for (let i = 0; i < perParser; i++) {
        const parser = make();
        const rows = mutateRows(seedRows.map((x) => [...x]), r);
        let stopped: OperatorError | undefined;
        for (let n = 0; n < rows.length && stopped === undefined; n++) stopped = parser.onRow(rows[n] ?? [], n + 1);
        if (stopped !== undefined) expect(typeof stopped.message, `${name} ${i}`).toBe('string');
        else expectErrorValue(parser.finish(), `${name} rows seed 6 input ${i}`);
      }
    }
  });

  it('xlsx bytes through the zip check and exceljs (EIF and ES&S)', async () => {
    const eifPath = join(dir, 'seed-eif.xlsx');
    await writeXlsx(eifPath, [
      ['Official_Contest_Name', 'Vote_for', 'Official_Options', 'CVR_Contest_Name', 'CVR_Options'],
      ['Mayor', 1, 'A', 'Mayor', 'A'],
    ]);
    const seedInput = readFileSync(eifPath);
    // Whole-workbook loads cost milliseconds each, so this layer gets 400 inputs; the row layer above gets 10,000.
    const r = rng(7);
    for (let i = 0; i < 400; i++) {
      const bytes = mutate(seedInput, r);
      const label = `xlsx seed 7 input ${i}`;
      expectErrorValue(await withinTime(parseEif(bytes, 'fuzz.xlsx', 'xlsx'), label), label);
      expectErrorValue(await withinTime(parseEssCvr(bytes, 'fuzz.xlsx', 'xlsx', sink), label), label);
    }
  });

  it('Arlo manifest validator', () => {
    const seedInput = Buffer.from('Container,Tabulator,Batch Name,Number of Ballots,CVR\r\nA,1,1,10,Y\r\nA,2,1,7,Y\r\n');
    const r = rng(8);
    for (let i = 0; i < perParser; i++) expectErrorValue(validateArloManifest(mutate(seedInput, r).toString('utf8')), `arlo seed 8 input ${i}`);
  });
});
