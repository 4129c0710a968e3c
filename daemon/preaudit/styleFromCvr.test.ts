/**
 * A sheet's style from its CVR's ballot type when its printed code cannot be read (issue #19).
 * - The pure rule (ballotTypeStyles): a type is used only when it prints one style; a sheet whose
 *   CVR names another type than the sheets printed like it disagrees.
 * - The real demo export's sheet (../shared/corpus/dominion-imagecast-demo) with its code row
 *   blotted out by the test: refused among two styles, read with the style its CVR's type names.
 * - The generator's ImageCast election (three styles, multi-card ones too) on the worker pool with
 *   its real CVR export imported: a blotted single-card sheet is read again with its type's style
 *   and reads as it does unblotted; a blotted card of a multi-card type stays refused; a sheet whose
 *   CVR was edited to name another type is set aside, never compared as if it agreed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../core/log/logger.ts';
import { importLocalFile } from '../importer/importFile.ts';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { blotCodeRow } from '../../test/preaudit/blotCodeRow.ts';
import { readSampleLayouts } from '../../test/preaudit/sampleElection.ts';
import { ballotTypeStyles } from './ballotTypeStyles.ts';
import type { CatalogSheet } from './catalogSheet.ts';
import { decodeBallotImage, type GrayImage } from './image.ts';
import { interpretSheetAnyStyle, registerPages } from './interpret.ts';
import type { StyleLayout } from './layout.ts';
import { runPreaudit } from './pool.ts';
import { preauditExitCode, tallyLines, tallySheets } from './sheetTally.ts';
import { settleStylesWithCvr, STYLE_NOT_CVR_TYPE_CODE, STYLE_UNRESOLVED_CODE } from './styleFromCvr.ts';
import { readingsOf, sheetStates } from './store.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpusTiff = path.resolve(here, '../../../shared/corpus/dominion-imagecast-demo/Results/Tabulator00005/Batch002/Images/00005_00002_000001.tif');
const root = mkdtempSync(path.join(os.tmpdir(), 'style-from-cvr-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function pagesOf(files: readonly string[]): Promise<GrayImage[]> {
  const images: GrayImage[] = [];
  for (const f of files) {
    const d = await decodeBallotImage(f, { ballotSidesOnly: true });
    if (!d.ok) throw new Error(d.error.message);
    images.push(...d.value);
  }
  return images;
}

describe('ballot type → style from the sheets whose code was read', () => {
  const sheet = (sheetKey: string, ballotType: string, styleId: string) => ({ sheetKey, ballotType, styleId });

  it('uses a type that prints one style; not one that prints several cards', () => {
    const r = ballotTypeStyles([sheet('a', '1', 'A'), sheet('b', '1', 'A'), sheet('c', '2', 'B1'), sheet('d', '2', 'B2')]);
    expect([...r.styleOf]).toEqual([['1', 'A']]);
    expect(r.disagreeing).toEqual([]);
  });

  it('finds a sheet whose CVR names another type than the sheets printed like it, and keeps it out of the type', () => {
    const r = ballotTypeStyles([sheet('a', '1', 'A'), sheet('b', '1', 'A'), sheet('c', '1', 'A'), sheet('x', '2', 'A'), sheet('d', '2', 'B')]);
    expect(r.disagreeing).toEqual([{ sheetKey: 'x', ballotType: '2', styleId: 'A', styleType: '1', styleSheets: 4 }]);
    // Type 2 is known from sheet d alone; x does not make it print two styles.
    expect(Object.fromEntries(r.styleOf)).toEqual({ '1': 'A', '2': 'B' });
  });

  it('when a style is split evenly between two types, neither is trusted and every sheet of it disagrees', () => {
    const r = ballotTypeStyles([sheet('a', '1', 'A'), sheet('b', '2', 'A')]);
    expect(r.disagreeing.map((d) => [d.sheetKey, d.styleType])).toEqual([
      ['a', null],
      ['b', null],
    ]);
    expect(r.styleOf.size).toBe(0);
  });
});

describe("the real demo export's sheet with its code row blotted out", () => {
  it('is refused among two styles without its CVR, and read with the style its CVR names, saying so', async () => {
    const original = registerPages(await pagesOf([corpusTiff]));
    if (!original.ok) throw new Error(original.error.message);
    const [front, back] = original.value.pages.map((p) => p.code.bottomRow);
    // The demo's style as its codes say (no targets needed to tell styles apart) and another style.
    const demo: StyleLayout = { styleId: 'demo', targets: [], contests: [], targetShape: { width: 0.5, height: 0.35 }, sideCodes: { front: front!, back: back! } };
    const other: StyleLayout = { ...demo, styleId: 'other', sideCodes: { front: '3011100000130000000000000', back: '3011100000330000000000000' } };
    const layouts = [demo, other];
    const clean = interpretSheetAnyStyle(await pagesOf([corpusTiff]), layouts);
    expect(clean.ok && [clean.value.styleId, clean.value.styleFrom]).toEqual(['demo', 'printed-code']);

    const blotted = await pagesOf(await blotCodeRow(corpusTiff, path.join(root, 'corpus-blotted')));
    const codes = registerPages(blotted);
    expect(codes.ok && codes.value.pages.map((p) => p.code.bottomRow)).not.toEqual([front, back]);
    const refused = interpretSheetAnyStyle(blotted, layouts);
    expect(refused.ok ? refused.value.styleId : refused.error.code).toBe(STYLE_UNRESOLVED_CODE);
    const fromCvr = interpretSheetAnyStyle(blotted, layouts, undefined, { styleFromCvr: 'demo' });
    expect(fromCvr.ok && [fromCvr.value.styleId, fromCvr.value.styleFrom]).toEqual(['demo', 'cvr-ballot-type']);
    // A readable code decides, whatever the CVR says.
    const printed = interpretSheetAnyStyle(await pagesOf([corpusTiff]), layouts, undefined, { styleFromCvr: 'other' });
    expect(printed.ok && [printed.value.styleId, printed.value.styleFrom]).toEqual(['demo', 'printed-code']);
    // With one style learned and no CVR to go by, the sheet is read as that style and says it was the only one.
    const only = interpretSheetAnyStyle(blotted, [demo]);
    expect(only.ok && only.value.styleFrom).toBe('only-style');
  }, 60_000);
});

describe("the generator's ImageCast election with its CVR export", () => {
  const gen = path.join(root, 'gen');
  let layouts: StyleLayout[];
  let sheets: CatalogSheet[];
  const byName = new Map<string, { styleId: string; card: number; file: string }>();
  const keyOf = (name: string) => `d:${name.replace('.tif', '').split('_').map(Number).join('_')}`;
  // Single-card style-03: one sheet blotted, one whose CVR is edited to name style-01's type.
  let blottedSingle: string;
  let editedCvr: string;
  // A card of multi-card style-01, blotted: its type prints two styles.
  let blottedCard: string;
  const sheetKey = (name: string) => `${keyOf(name)}#test`;
  let contestIdOf: (cvrContestKey: string) => string;

  beforeAll(async () => {
    const g = await generateSampleElection({ out: gen, seed: 2026, ballots: 9, precincts: 3, format: 'dominion', dominionDesign: 'imagecast' });
    if (!g.ok) throw new Error(g.error.message);
    const index = JSON.parse(readFileSync(path.join(gen, 'truth', 'index.json'), 'utf8')) as { images: { styleId: string; card: number; paths: string[] }[] };
    for (const i of index.images) byName.set(path.basename(i.paths[0]!), { styleId: i.styleId, card: i.card, file: path.join(gen, i.paths[0]!) });
    const single = [...byName].filter(([, s]) => [...byName.values()].filter((o) => o.styleId === s.styleId && o.card === 2).length === 0);
    const multi = [...byName].filter(([, s]) => s.card === 1 && !single.some(([, o]) => o.styleId === s.styleId));
    expect(single.length).toBeGreaterThanOrEqual(4);
    expect(multi.length).toBeGreaterThanOrEqual(2);
    blottedSingle = single[1]![0];
    editedCvr = single[2]![0];
    blottedCard = multi[1]![0];
    const l = readSampleLayouts(path.join(gen, 'truth'));
    if (!l.ok) throw new Error(l.error.message);
    layouts = [...l.value.values()];
    // The CVR names contests by their Dominion ids; the truth layouts by the election's.
    const election = JSON.parse(readFileSync(path.join(gen, 'truth', 'election.json'), 'utf8')) as { contests: { id: string; dominionId: number }[] };
    const ids = new Map(election.contests.map((c) => [String(c.dominionId), c.id]));
    contestIdOf = (k) => ids.get(k) ?? k;
    sheets = [];
    for (const [name, s] of byName) {
      const files = name === blottedSingle || name === blottedCard ? await blotCodeRow(s.file, path.join(root, 'blotted', name)) : [s.file];
      sheets.push({ job: { key: sheetKey(name), files }, imageKey: keyOf(name), fileVersionIds: [] });
    }
  }, 120_000);

  it('reads a blotted sheet with its CVR type\'s style, keeps a multi-card one refused, and sets aside a sheet whose CVR names another type', async () => {
    // The CVR export as generated, with one session's BallotTypeId changed to another style's type.
    const zipPath = (await import('node:fs')).readdirSync(path.join(gen, 'dominion', 'Results')).find((f) => f.endsWith('.zip'))!;
    const zip = await JSZip.loadAsync(readFileSync(path.join(gen, 'dominion', 'Results', zipPath)));
    const cvr = JSON.parse(await zip.file('CvrExport.json')!.async('string')) as {
      Sessions: { TabulatorId: number; BatchId: number; RecordId: number; Original: { BallotTypeId: number } }[];
    };
    const session = (name: string) => cvr.Sessions.find((s) => keyOf(name) === `d:${s.TabulatorId}_${s.BatchId}_${s.RecordId}`)!;
    const otherType = session(blottedCard).Original.BallotTypeId;
    expect(session(editedCvr).Original.BallotTypeId).not.toBe(otherType);
    session(editedCvr).Original.BallotTypeId = otherType;
    zip.file('CvrExport.json', JSON.stringify(cvr));
    const edited = path.join(root, zipPath);
    writeFileSync(edited, await zip.generateAsync({ type: 'nodebuffer' }));

    const db = openStateDatabase(path.join(root, 'state.db'));
    try {
      const imported = await importLocalFile(db, edited);
      expect(imported.ok, imported.ok ? '' : imported.error.message).toBe(true);
      await runPreaudit(db, sheets.map((s) => s.job), layouts, silentLogger(), { workers: 2 });
      const before = new Map(sheetStates(db).map((r) => [r.sheet_key, r]));
      expect(before.get(sheetKey(blottedSingle))?.error_code).toBe(STYLE_UNRESOLVED_CODE);
      expect(before.get(sheetKey(blottedCard))?.error_code).toBe(STYLE_UNRESOLVED_CODE);
      expect(before.get(sheetKey(editedCvr))?.style_from).toBe('printed-code');

      const settled = settleStylesWithCvr(db, sheets, layouts, silentLogger(), contestIdOf);
      const single = byName.get(blottedSingle)!;
      expect(settled.readAgain.map((j) => [j.key, j.styleFromCvr])).toContainEqual([sheetKey(blottedSingle), `${single.styleId}/card-1`]);
      expect(settled.readAgain.map((j) => j.key)).not.toContain(sheetKey(blottedCard));
      // Every sheet read again is given its own style and card, never another card of its type.
      for (const j of settled.readAgain) {
        const truth = byName.get([...byName.keys()].find((n) => sheetKey(n) === j.key)!)!;
        expect(j.styleFromCvr, j.key).toBe(`${truth.styleId}/card-${truth.card}`);
      }
      const naturallyUnresolved = [...before.values()].filter((r) => r.error_code === STYLE_UNRESOLVED_CODE && ![sheetKey(blottedSingle), sheetKey(blottedCard)].includes(r.sheet_key));
      expect(settled.disagreeing).toBe(1);
      await runPreaudit(db, settled.readAgain, layouts, silentLogger(), { workers: 1 });

      const after = new Map(sheetStates(db).map((r) => [r.sheet_key, r]));
      expect(after.get(sheetKey(blottedSingle))).toMatchObject({ status: 'read', style_id: `${single.styleId}/card-1`, style_from: 'cvr-ballot-type' });
      // Read as it reads with its code intact.
      const clean = interpretSheetAnyStyle(await pagesOf([single.file]), layouts);
      expect(clean.ok && clean.value.styleFrom).toBe('printed-code');
      expect(readingsOf(db)(sheetKey(blottedSingle))).toEqual(clean.ok ? JSON.parse(JSON.stringify(clean.value.contests)) : null);
      // Its type prints two cards: which one the blotted sheet is cannot be told from the type.
      expect(after.get(sheetKey(blottedCard))).toMatchObject({ status: 'error', error_code: STYLE_UNRESOLVED_CODE });
      const mismatch = db.prepare<[string], { error_message: string }>('SELECT error_message FROM preaudit_sheets WHERE sheet_key = ?').get(sheetKey(editedCvr));
      expect(after.get(sheetKey(editedCvr))).toMatchObject({ status: 'error', error_code: STYLE_NOT_CVR_TYPE_CODE });
      expect(mismatch?.error_message).toMatch(/^Its CVR names ballot type \d+, but the other ballots printed like it are type \d+: the image and the record may not be the same ballot\. It was not compared with the CVR\.$/);
      expect(readingsOf(db)(sheetKey(editedCvr))).toBeUndefined();
      for (const s of sheets) {
        if ([blottedSingle, blottedCard, editedCvr].some((n) => s.job.key === sheetKey(n))) continue;
        if (naturallyUnresolved.some((r) => r.sheet_key === s.job.key)) continue;
        expect(after.get(s.job.key), s.job.key).toMatchObject({ status: 'read', style_from: 'printed-code' });
      }
      const stillUnresolved = [...after.values()].filter((r) => r.error_code === STYLE_UNRESOLVED_CODE).length;
      const fromCvr = [...after.values()].filter((r) => r.style_from === 'cvr-ballot-type').length;
      expect(fromCvr).toBe(settled.readAgain.length);

      // Counted in the summary; the disagreeing sheet makes the run's exit code say so.
      const tally = tallySheets(db, sheets.map((s) => s.job.key));
      expect(tally).toMatchObject({ total: byName.size, read: byName.size - 1 - stillUnresolved, styleFromCvr: fromCvr, styleNotCvrType: 1, unreadable: stillUnresolved });
      expect(preauditExitCode(tally, 0)).toBe(1);
      const lines = tallyLines(tally).join('\n');
      expect(lines).toMatch(new RegExp(`^\\s+${fromCvr} {2}of them with the ballot style their CVR names \\(the style printed on the sheet could not be read\\)$`, 'm'));
      expect(lines).toMatch(/^\s+1 {2}sheets whose CVR names another ballot type than the sheet prints \(not compared\)$/m);

      // Settled: the next pass has nothing more to do.
      const again = settleStylesWithCvr(db, sheets, layouts, silentLogger(), contestIdOf);
      expect([again.readAgain.length, again.disagreeing, again.confirmed]).toEqual([0, 0, 0]);
    } finally {
      db.close();
    }
  }, 180_000);
});
