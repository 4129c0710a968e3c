import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import JSZip from 'jszip';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyFile } from '../../daemon/capture/fileKind.ts';
import { imageKeyFromFileName } from '../../daemon/importer/imageKeys.ts';
import { decodeBallotImage } from '../../daemon/preaudit/image.ts';
import { bmdCardReason } from '../../daemon/preaudit/setApart.ts';
import { generateSampleElection } from './generate.ts';

let out = '';
const files: string[] = [];

async function walk(dir: string, rel = ''): Promise<void> {
  for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
    const r = rel === '' ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) await walk(dir, r);
    else files.push(r);
  }
}

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'ess-export-'));
  // seed 1, 12 ballots: 16 sheets, one of them an ExpressVote card
  const r = await generateSampleElection({ out, seed: 1, ballots: 12, precincts: 2, format: 'ess', essShape: 'electionware', essDpi: 200, concurrency: 2 });
  if (!r.ok) throw new Error(r.error.message);
  await walk(join(out, 'ess', 'Images'));
}, 120_000);
afterAll(() => rm(out, { recursive: true, force: true }));

describe('the generator writes the ES&S Electionware export shape', () => {
  it('precinct/party folders holding <id>i.pdf and <id>c.pdf per sheet, all in a zip with \\ in the member names', async () => {
    expect(files.length).toBe(32);
    for (const f of files) expect(f).toMatch(/^[^/]+\/(Nonpartisan|Democratic|Republican)\/\d{6}[ic]\.pdf$/);
    const zip = await JSZip.loadAsync(await readFile(join(out, 'ess-zip', 'Ballot Images.zip')));
    const names = Object.keys(zip.files).sort();
    expect(names).toEqual(files.map((f) => f.replace(/\//g, '\\')).sort());
    const first = files[0] ?? '';
    expect(Buffer.compare(await zip.file(first.replace(/\//g, '\\'))!.async('nodebuffer'), await readFile(join(out, 'ess', 'Images', first)))).toBe(0);
  });

  it('each i.pdf holds the sheet as CCITT G4 pages at 200 dpi (front and back), or one narrow ExpressVote card', async () => {
    let bmd = 0;
    for (const f of files.filter((x) => x.endsWith('i.pdf'))) {
      const bytes = await readFile(join(out, 'ess', 'Images', f));
      expect(bytes.toString('latin1')).toContain('/CCITTFaxDecode /DecodeParms << /K -1');
      const pages = await decodeBallotImage(bytes);
      expect(pages.ok).toBe(true);
      if (!pages.ok) continue;
      if (bmdCardReason(pages.value) !== undefined) {
        bmd++;
        expect(pages.value.map((p) => [p.width, p.height, p.density])).toEqual([[850, 2200, 200]]);
        expect(bytes.length).toBeLessThan(34_000);
      } else {
        expect(pages.value.map((p) => [p.width, p.height, p.density])).toEqual([
          [1700, 2200, 200],
          [1700, 2200, 200],
        ]);
        // a scan, not a blank page: ink on both sides
        for (const p of pages.value) expect(p.data.filter((v) => v === 0).length).toBeGreaterThan(20_000);
      }
    }
    expect(bmd).toBe(1);
    const truth = await Promise.all((await readdir(join(out, 'truth', 'ballots'))).map(async (b) => readFile(join(out, 'truth', 'ballots', b), 'utf8')));
    expect(truth.filter((t) => t.includes('"pdf-bmd-card"')).length).toBe(1);
  });

  it('c.pdf is a CVR printout: captured as "other", refused if read as an image, keyed to the same CVR row as its i.pdf', async () => {
    const printouts = files.filter((x) => x.endsWith('c.pdf'));
    expect(printouts.length).toBe(16);
    const csv = parse(await readFile(join(out, 'ess', 'CVR', 'CVR_Export.csv'), 'utf8')) as string[][];
    const cvrNumbers = new Set(csv.slice(1).map((r) => `c:${r[0]}`));
    for (const f of printouts) {
      expect(classifyFile(f)).toBe('other');
      expect(classifyFile(f.replace(/c\.pdf$/, 'i.pdf'))).toBe('ballot-image');
      expect(imageKeyFromFileName(f)).toBe(imageKeyFromFileName(f.replace(/c\.pdf$/, 'i.pdf')));
      expect(cvrNumbers.has(imageKeyFromFileName(f) ?? '')).toBe(true);
    }
    const read = await decodeBallotImage(await readFile(join(out, 'ess', 'Images', printouts[0] ?? '')));
    expect(!read.ok && read.error.code).toBe('preaudit-pdf-not-a-scan');
  });
});
