/**
 * SLOW (about 1 to 2 min on the shared 2-core machine: generating 30 sheets, registration, OCR of
 * three styles). A generated ES&S (Electionware) export as delivered, the ballot-images zip with
 * `\` names, the CVR xlsx and the election information file, through `ballotsafe scan` and
 * `ballotsafe preaudit` in real processes: the ES&S styles are learned from the images with no
 * person, every hand-marked sheet is read, the ExpressVote card is set apart, every learned target
 * is the generator's (contest and option), and the injected discrepancy is found (exit 1).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ballotsafeWith, writeFolderApplianceConfig } from '../../test/preaudit/dominionDemoRun.ts';
import { openStateDatabase } from '../runtime/stateDatabase.ts';

const project = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const root = mkdtempSync(path.join(os.tmpdir(), 'ess-learn-run-'));
const gen = path.join(root, 'generated');
const out = path.join(root, 'report');
afterAll(() => rmSync(root, { recursive: true, force: true }));

let sample: ReturnType<typeof spawnSync>;
let scan: ReturnType<typeof spawnSync>;
let preaudit: ReturnType<typeof spawnSync>;

beforeAll(() => {
  sample = spawnSync(
    process.execPath,
    [path.join(project, 'bin/ballotsafe.js'), 'sample', '--out', gen, '--seed', '3', '--ballots', '16', '--precincts', '2', '--format', 'ess', '--ess-shape', 'electionware', '--ess-dpi', '200', '--discrepancies', 'flip=1'],
    { encoding: 'utf8', timeout: 240_000 },
  );
  if (sample.status !== 0) return;
  // The export folder as a county hands it over: the images zip, the CVR, the election information file.
  mkdirSync(path.join(root, 'export'), { recursive: true });
  copyFileSync(path.join(gen, 'ess-zip', 'Ballot Images.zip'), path.join(root, 'export', 'Ballot Images.zip'));
  copyFileSync(path.join(gen, 'ess', 'CVR', 'CVR_Export.xlsx'), path.join(root, 'export', 'CVR_Export.xlsx'));
  copyFileSync(path.join(gen, 'eif', 'Election_Information_File.xlsx'), path.join(root, 'export', 'Election_Information_File.xlsx'));
  writeFolderApplianceConfig(root, 'ess-learn');
  scan = ballotsafeWith(root, 'scan');
  preaudit = ballotsafeWith(root, 'preaudit', '--out', out);
}, 600_000);

const truthTarget = z.object({ side: z.enum(['front', 'back']), column: z.number(), row: z.number(), contestId: z.string(), optionId: z.string().nullable(), type: z.enum(['option', 'write-in']), writeInIndex: z.number().optional() });
const truthLayout = z.object({ styleId: z.string(), cards: z.array(z.object({ card: z.number(), front: z.object({ targets: z.array(truthTarget) }), back: z.object({ targets: z.array(truthTarget) }) })) });
const truthElection = z.object({ contests: z.array(z.object({ id: z.string(), title: z.string(), options: z.array(z.object({ id: z.string(), name: z.string() })) })) });
const learnedTarget = z.object({ side: z.enum(['front', 'back']), column: z.number(), row: z.number(), contestId: z.string(), optionId: z.string(), isWriteIn: z.boolean() });

describe('ES&S export learned and read with no person, through scan and preaudit (slow)', () => {
  it('reads every hand-marked sheet, sets the ExpressVote card apart, writes independent-cvr.csv and exits 1 for the injected flip', () => {
    expect(sample.status, String(sample.stderr)).toBe(0);
    expect(scan.status, String(scan.stderr)).toBe(0);
    const stdout = String(preaudit.stdout);
    expect(preaudit.status, `${stdout}\n${String(preaudit.stderr)}`).toBe(1);
    expect(stdout).toMatch(/^\s+30 {2}sheets in the catalog$/m);
    expect(stdout).toMatch(/^\s+29 {2}sheets read$/m);
    expect(stdout).toMatch(/^\s+0 {2}sheets waiting for a person to map their ballot style$/m);
    expect(stdout).toMatch(/^\s+0 {2}sheets that could not be read$/m);
    expect(stdout).toMatch(/^\s+1 {2}sheets set aside: ballot-marking device cards/m);
    expect(stdout).toMatch(/^\s+29 {2}ballots compared with their CVR$/m);
    expect(stdout).not.toMatch(/not learned yet/);
    // the images zip is the pre-audit's to read, not a CVR zip refused on the way in
    expect(stdout).not.toMatch(/Not imported/);
    // The injected flip: the ballot shows Yes on School District Article 7, its CVR records No.
    const discrepancies = z.object({ discrepancies: z.array(z.object({ kind: z.string(), ess: z.object({ cvrNumber: z.number() }) })) }).parse(JSON.parse(readFileSync(path.join(gen, 'truth', 'discrepancies.json'), 'utf8')));
    for (const d of discrepancies.discrepancies) expect(stdout).toContain(`c:${d.ess.cvrNumber}  `);
    const csv = readFileSync(path.join(out, 'independent-cvr.csv'), 'utf8').trim().split(/\r?\n/);
    expect(csv[0]).toBe('ballot,files,style,contest,option,mark,score,auditmark,style_from');
    const ballots = new Set(csv.slice(1).map((l) => l.split(',')[0]));
    expect(ballots.size).toBe(29);
    // Each sheet by the zip and the file inside it a person opens: <precinct>/<party>/<ballot id>i.pdf.
    for (const l of csv.slice(1)) expect(l).toMatch(/^c:(\d+),Ballot Images\.zip > [^,/]+\/[^,/]+\/0*\1i\.pdf,ess-[0-9a-f]{10},.*,printed ovals \(ES&S\)$/);
  });

  it('learned every style completely, each target the contest and option the generator printed there', () => {
    expect(existsSync(path.join(root, 'var', 'ballotsafe.db'))).toBe(true);
    const election = truthElection.parse(JSON.parse(readFileSync(path.join(gen, 'truth', 'election.json'), 'utf8')));
    const title = new Map(election.contests.map((c) => [c.id, c.title]));
    const name = new Map(election.contests.flatMap((c) => c.options.map((o) => [o.id, o.name] as const)));
    // Each printed card: place (dash grid) → "contest|option", as the importer names them.
    const cards = ['style-01', 'style-02'].flatMap((s) =>
      truthLayout.parse(JSON.parse(readFileSync(path.join(gen, 'truth', 'layouts-ess', `${s}.json`), 'utf8'))).cards.map((c) =>
        new Map(
          [...c.front.targets, ...c.back.targets].map((t) => [
            `${t.side} ${2 * t.column},${2 * t.row}`,
            `${title.get(t.contestId)}|${t.type === 'write-in' ? `write-in-${t.writeInIndex ?? 0}` : name.get(t.optionId ?? '')}`,
          ]),
        ),
      ),
    );
    const db = openStateDatabase(path.join(root, 'var', 'ballotsafe.db'));
    try {
      const rows = db.prepare('SELECT style_id, status, layout_json FROM preaudit_learned_styles').all() as { style_id: string; status: string; layout_json: string }[];
      expect(rows.map((r) => r.status)).toEqual(rows.map(() => 'mapped'));
      expect(rows.length).toBe(cards.length);
      for (const r of rows) {
        const targets = z.object({ targets: z.array(learnedTarget) }).parse(JSON.parse(r.layout_json)).targets;
        const learned = (swap: boolean) => new Map(targets.map((t) => [`${swap ? (t.side === 'front' ? 'back' : 'front') : t.side} ${t.column},${t.row}`, `${t.contestId}|${t.optionId}`]));
        const card = cards.find((c) => [false, true].some((swap) => [...learned(swap).keys()].sort().join() === [...c.keys()].sort().join()));
        expect(card, r.style_id).toBeDefined();
        const swap = [...learned(true).keys()].sort().join() === [...card!.keys()].sort().join() && [...learned(false).keys()].sort().join() !== [...card!.keys()].sort().join();
        for (const [place, meaning] of learned(swap)) expect(meaning, `${r.style_id} ${place}`).toBe(card!.get(place));
      }
    } finally {
      db.close();
    }
  });
});
