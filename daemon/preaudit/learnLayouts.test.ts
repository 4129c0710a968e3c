/**
 * Style learning without vendor style files, against ground truth: the generator's election
 * (Dominion G4 200 dpi and ES&S grey JPEG 300 dpi, contest names from the imported manifests, CVR
 * and EIF) and the real NH AccuVote scans (contest names from election.json; its grid layouts are
 * only the answer to compare with). One tesseract engine for the whole file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { importLocalPath } from '../importer/importFile.ts';
import { importTestDb } from '../importer/testSupport.ts';
import { contestsFromImports, type ElectionContests } from './contestDefinitions.ts';
import { optionKey } from './cvrSource.ts';
import { decodeBallotImage } from './image.ts';
import { chooseLayout, registerPages } from './interpret.ts';
import { learnLayouts, type LearnResult, type LearnSheet } from './learnLayouts.ts';
import { layoutsFromVxElection, type StyleLayout } from './layout.ts';
import { createOcrEngine, type OcrEngine } from './ocr.ts';
import { readSampleLayouts } from '../../test/preaudit/sampleElection.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const nhCorpus = path.resolve(here, '../../../shared/corpus/nh-amherst-scans');
const root = mkdtempSync(path.join(tmpdir(), 'preaudit-learn-'));
const out = path.join(root, 'sample');
let ocr: OcrEngine;

interface TruthElection {
  contests: { id: string; title: string; dominionId: number; writeInDominionIds: number[]; options: { id: string; name: string; dominionId: number }[] }[];
}
let truthElection: TruthElection;
let truthLayouts: Map<string, StyleLayout>;

beforeAll(async () => {
  ocr = await createOcrEngine();
  const g = await generateSampleElection({ out, seed: 7401, ballots: 40, format: 'both' });
  if (!g.ok) throw new Error(g.error.message);
  truthElection = JSON.parse(readFileSync(path.join(out, 'truth', 'election.json'), 'utf8')) as TruthElection;
  const t = readSampleLayouts(path.join(out, 'truth'));
  if (!t.ok) throw new Error(t.error.message);
  truthLayouts = t.value;
}, 180_000);

afterAll(async () => {
  await ocr?.close();
  rmSync(root, { recursive: true, force: true });
});

function filesUnder(dir: string, pattern: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => pattern.test(f))
    .map((f) => path.join(dir, f))
    .sort();
}

async function importedContests(folders: readonly string[]): Promise<ElectionContests> {
  const db = importTestDb();
  for (const f of folders) {
    const r = await importLocalPath(db, f);
    if (!r.ok) throw new Error(r.error.message);
  }
  const defs = contestsFromImports(db);
  db.close();
  if (!defs.ok) throw new Error(defs.error.message);
  return defs.value;
}

/** A learned layout in the truth's ids: `side column,row contest option`. */
function truthKeys(layout: StyleLayout): string[] {
  return layout.targets.map((t) => `${t.side} ${t.column},${t.row} ${t.contestId} ${t.optionId}`).sort();
}

function expectEqualToTruth(result: LearnResult, toTruth: (contestId: string, optionId: string, isWriteIn: boolean) => [string, string]) {
  expect(result.needsMapping.map((n) => `${n.styleId}: ${n.reason}`)).toEqual([]);
  // every style and card of the truth was learned
  expect(result.layouts.map((l) => `${l.printedCode?.styleNumber}/${l.printedCode?.card}`).sort()).toEqual(
    [...truthLayouts.values()].map((l) => `${l.printedCode?.styleNumber}/${l.printedCode?.card}`).sort(),
  );
  // each learned style carries its empty-oval level, measured on its own pages (near no ink)
  for (const l of result.layouts) {
    expect(l.blankReference?.sheets, l.styleId).toBeGreaterThan(0);
    expect(l.blankReference!.level.solid, l.styleId).toBeLessThan(0.02);
    // and how sure OCR was: every target placed, so at least the matcher's acceptance level
    expect(l.mappingConfidence, l.styleId).toBeGreaterThanOrEqual(0.75);
  }
  for (const learned of result.layouts) {
    const truth = [...truthLayouts.values()].find((t) => t.printedCode?.styleNumber === learned.printedCode?.styleNumber && t.printedCode?.card === learned.printedCode?.card)!;
    const translated: StyleLayout = {
      ...learned,
      targets: learned.targets.map((t) => {
        const [contestId, optionId] = toTruth(t.contestId, t.optionId, t.isWriteIn);
        return { ...t, contestId, optionId };
      }),
    };
    expect(truthKeys(translated), learned.styleId).toEqual(truthKeys(truth));
    // the contest rules come with the layout
    for (const c of learned.contests) {
      const [truthId] = toTruth(c.id, '', false);
      expect(c.seats, c.title).toBe(truth.contests.find((x) => x.id === truthId)?.seats);
    }
  }
}

describe('learned layouts equal the generator truth', () => {
  it('Dominion (G4 200 dpi): positions, contests, options and write-in slots by the CVR ids', async () => {
    const defs = await importedContests([path.join(out, 'dominion')]);
    const sheets: LearnSheet[] = filesUnder(path.join(out, 'dominion'), /\.tif$/i).map((f) => ({ key: f, files: [f] }));
    const result = await learnLayouts(sheets, defs.contests, ocr);
    const contestOf = new Map(truthElection.contests.map((c) => [String(c.dominionId), c]));
    expectEqualToTruth(result, (contestId, optionId, isWriteIn) => {
      const c = contestOf.get(contestId);
      if (c === undefined) return [contestId, optionId];
      if (isWriteIn || optionId === '') return [c.id, optionId];
      return [c.id, c.options.find((o) => String(o.dominionId) === optionId)?.id ?? optionId];
    });
    // Dominion's write-in candidate ids map to the slots the learned layout numbers top-down
    for (const c of truthElection.contests) {
      c.writeInDominionIds.forEach((w, i) => expect(defs.keys.options.get(optionKey(String(c.dominionId), String(w)))).toBe(`write-in-${i}`));
    }
    console.log(`Dominion: ${result.sheetsSampled} sheets sampled in ${result.registerMs} ms, OCR ${result.ocrMs} ms`, JSON.stringify(result.styles.map((s) => [s.styleId, s.ocrMs])));
  }, 240_000);

  it('ES&S (grey JPEG 300 dpi): by contest titles and choice names, write-ins slotless as the CVR records them', async () => {
    const defs = await importedContests([path.join(out, 'ess'), path.join(out, 'eif')]);
    const fronts = filesUnder(path.join(out, 'ess', 'Images'), /_F\.jpg$/);
    const sheets: LearnSheet[] = fronts.map((f) => ({ key: f, files: [f, f.replace(/_F\.jpg$/, '_B.jpg')] }));
    const result = await learnLayouts(sheets, defs.contests, ocr);
    const contestOf = new Map(truthElection.contests.map((c) => [c.title, c]));
    expectEqualToTruth(result, (contestId, optionId, isWriteIn) => {
      const c = contestOf.get(contestId);
      if (c === undefined) return [contestId, optionId];
      if (isWriteIn || optionId === '') return [c.id, optionId];
      return [c.id, c.options.find((o) => o.name === optionId)?.id ?? optionId];
    });
    for (const c of truthElection.contests.filter((x) => x.writeInDominionIds.length > 0)) {
      expect(defs.keys.options.get(optionKey(c.title, 'Write-in'))).toBe('write-in');
    }
    console.log(`ES&S: ${result.sheetsSampled} sheets sampled in ${result.registerMs} ms, OCR ${result.ocrMs} ms`, JSON.stringify(result.styles.map((s) => [s.styleId, s.ocrMs])));
  }, 300_000);
});

describe('a style whose printed names do not match the election', () => {
  it('is returned for a person to map with the text read, not guessed', async () => {
    const defs = await importedContests([path.join(out, 'dominion')]);
    const governor = truthElection.contests.find((c) => c.title === 'Governor')!;
    const withheld = defs.contests.filter((c) => c.id !== String(governor.dominionId));
    expect(withheld.length).toBe(defs.contests.length - 1);
    const index = JSON.parse(readFileSync(path.join(out, 'truth', 'index.json'), 'utf8')) as { images: { vendor: string; styleId: string; paths: string[] }[] };
    const sheets = index.images
      .filter((i) => i.vendor === 'dominion' && i.styleId === 'style-01')
      .map((i) => ({ key: i.paths[0]!, files: i.paths.map((p) => path.join(out, p)) }));
    const result = await learnLayouts(sheets, withheld, ocr);
    expect(result.layouts).toEqual([]);
    expect(result.needsMapping).toHaveLength(1);
    const n = result.needsMapping[0]!;
    expect(n.styleId).toBe('style-1/card-1');
    expect(n.printed).toBe('style 1 card 1');
    expect(n.reason).toMatch(/could not be matched/);
    // the Governor's candidates and write-in line are the targets left unplaced, with what OCR read
    expect(n.unresolved.length).toBe(governor.options.length + 1);
    const read = n.unresolved.map((u) => u.text).join(' ');
    for (const o of governor.options) expect(read).toContain(o.name.split(' ')[1]);
    // the placeholder recognises the style's sheets but reads nothing on them
    expect(n.placeholder.targets).toEqual([]);
    expect(n.placeholder.printedCode).toEqual({ styleNumber: 1, card: 1 });
  }, 120_000);
});

describe('the real NH AccuVote scans', () => {
  it('learn a layout equal to election.json from the contest names alone, picked by chooseLayout', async () => {
    const election = JSON.parse(readFileSync(path.join(nhCorpus, 'election.json'), 'utf8')) as unknown;
    const vx = layoutsFromVxElection(election);
    if (!vx.ok) throw new Error(vx.error.message);
    const truth = vx.value[0]!;
    // only names: the grid layouts are the answer, not an input
    const contests = truth.contests;
    const sheets: LearnSheet[] = ['template', 'scan-unmarked', 'scan-marked', 'scan-marked-overvote', 'scan-marked-stretch'].map((f) => ({
      key: f,
      files: [path.join(nhCorpus, `${f}-front.jpeg`), path.join(nhCorpus, `${f}-back.jpeg`)],
    }));
    const result = await learnLayouts(sheets, contests, ocr);
    expect(result.needsMapping.map((n) => `${n.styleId}: ${n.reason}`)).toEqual([]);
    expect(result.layouts).toHaveLength(1);
    const learned = result.layouts[0]!;
    // write-in slots numbered bottom-up as AccuVote does, the same as election.json
    expect(truthKeys(learned)).toEqual(truthKeys(truth));
    expect(learned.targets.filter((t) => t.isWriteIn).length).toBe(truth.targets.filter((t) => t.isWriteIn).length);
    expect(learned.sideCodes?.front).toMatch(/^[01]+$/);
    expect(learned.sideCodes?.back).toMatch(/^[01]+$/);
    for (const f of ['scan-marked-timing-mark-hole', 'scan-marked-uneven-crop']) {
      const images = [];
      for (const side of ['front', 'back']) {
        const d = await decodeBallotImage(path.join(nhCorpus, `${f}-${side}.jpeg`));
        if (!d.ok) throw new Error(d.error.message);
        images.push(...d.value);
      }
      const pages = registerPages(images);
      if (!pages.ok) throw new Error(pages.error.message);
      expect(chooseLayout(pages.value.pages, result.layouts)?.styleId, f).toBe(learned.styleId);
    }
    console.log(`NH: OCR ${JSON.stringify(result.styles.map((s) => s.ocrMs))} ms, sampling ${result.registerMs} ms`);
  }, 180_000);
});
