/**
 * SLOW (about 40 s on the 2-core machine: a capture, registration of 36 pages, OCR of one style).
 * The real Dominion ImageCast Central export (../shared/corpus/dominion-imagecast-demo: 12 sheets,
 * 3-page bitonal TIFFs, the CVR zip) through `ballotsafe scan` and `ballotsafe preaudit` as a
 * clerk runs them, in real processes: every sheet read, no style left for a person, every reading
 * equal to the CVR (the adjudicated record where there is one) except the marks the EMS itself
 * found ambiguous, which are gray with their image; independent-cvr.csv holds every target, and
 * how each sheet's style was known (its printed code).
 * (The NH AccuVote scans are checked exact in realScans.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ballotsafeWith, dominionDemoResults, writeFolderApplianceConfig } from '../../test/preaudit/dominionDemoRun.ts';

const corpus = dominionDemoResults;
const root = mkdtempSync(path.join(os.tmpdir(), 'dominion-scans-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ballotsafe = (...args: string[]) => ballotsafeWith(root, ...args);

interface CsvRow {
  ballot: string;
  files: string;
  style: string;
  contest: string;
  option: string;
  mark: string;
  score: number;
  auditmark: string;
  styleFrom: string;
}

function readCsv(file: string): CsvRow[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\r\n');
  expect(header).toBe('ballot,files,style,contest,option,mark,score,auditmark,style_from');
  // No field here holds a quote or comma inside quotes except `files` (one name a sheet here).
  return lines.map((l) => {
    const [ballot, files, style, contest, option, mark, score, auditmark, styleFrom] = l.split(',') as [string, string, string, string, string, string, string, string, string];
    return { ballot, files: files.replace(/^"|"$/g, ''), style, contest, option, mark, score: Number(score), auditmark, styleFrom };
  });
}

/** The CVR's votes and ambiguous marks per ballot key ("d:tab_batch_record") and contest name. */
async function cvrVotes(): Promise<{ votes: Map<string, Set<string>>; ambiguous: Set<string> }> {
  const zipName = ['CVR_Export_20240412114626.zip'].find((f) => existsSync(path.join(corpus, f)))!;
  const zip = await JSZip.loadAsync(readFileSync(path.join(corpus, zipName)));
  const json = async (name: string): Promise<unknown> => JSON.parse(await zip.file(name)!.async('string'));
  const list = z.object({ List: z.array(z.object({ Id: z.number(), Description: z.string() })) });
  const candidates = new Map(list.parse(await json('CandidateManifest.json')).List.map((c) => [c.Id, c.Description]));
  const contests = new Map(list.parse(await json('ContestManifest.json')).List.map((c) => [c.Id, c.Description]));
  const mark = z.object({ CandidateId: z.number(), IsVote: z.boolean(), IsAmbiguous: z.boolean() });
  const card = z.object({ Contests: z.array(z.object({ Id: z.number(), Marks: z.array(mark) })) });
  const session = z.object({
    TabulatorId: z.number(),
    BatchId: z.number(),
    RecordId: z.number(),
    Original: z.object({ Cards: z.array(card) }),
    Modified: z.object({ Cards: z.array(card) }).optional(),
  });
  const sessions = z.object({ Sessions: z.array(session) }).parse(await json('CvrExport.json')).Sessions;
  const votes = new Map<string, Set<string>>();
  const ambiguous = new Set<string>();
  for (const s of sessions) {
    const ballot = `d:${s.TabulatorId}_${s.BatchId}_${s.RecordId}`;
    // Adjudication's record counts where there is one (as the EMS's tally does).
    for (const c of (s.Modified ?? s.Original).Cards.flatMap((k) => k.Contests)) {
      const key = `${ballot}|${contests.get(c.Id)}`;
      votes.set(key, new Set(c.Marks.filter((m) => m.IsVote).map((m) => candidates.get(m.CandidateId)!)));
    }
    for (const c of s.Original.Cards.flatMap((k) => k.Contests)) {
      for (const m of c.Marks) if (m.IsAmbiguous) ambiguous.add(`${ballot}|${contests.get(c.Id)}|${candidates.get(m.CandidateId)}`);
    }
  }
  return { votes, ambiguous };
}

let scan: ReturnType<typeof spawnSync>;
let preaudit: ReturnType<typeof spawnSync>;
const out = path.join(root, 'report');

beforeAll(() => {
  // The export folder as the EMS writes it: batch folders of TIFFs and the CVR export zip.
  cpSync(corpus, path.join(root, 'export', 'Results'), { recursive: true });
  writeFolderApplianceConfig(root, 'dominion-demo');
  scan = ballotsafe('scan');
  preaudit = ballotsafe('preaudit', '--out', out);
}, 300_000);

describe('real Dominion ImageCast export through scan and preaudit (slow)', () => {
  it('captures the export and reads every sheet, with no style left for a person', () => {
    expect(scan.status, String(scan.stderr)).toBe(0);
    // Exit 0: no contest disagrees with the CVR.
    expect(preaudit.status, `${String(preaudit.stdout)}\n${String(preaudit.stderr)}`).toBe(0);
    const stdout = String(preaudit.stdout);
    expect(stdout).toMatch(/^\s+12 {2}sheets in the catalog$/m);
    expect(stdout).toMatch(/^\s+0 {2}sheets that could not be read$/m);
    expect(stdout).toMatch(/^\s+12 {2}ballots compared with their CVR$/m);
  });

  it('agrees with the CVR everywhere but the marks the EMS found ambiguous, which are gray with their image', async () => {
    const report = z
      .object({
        ballotsCompared: z.number(),
        disagreements: z.array(z.unknown()),
        gray: z.array(
          z.object({ ballotKey: z.string(), contestId: z.string(), marginal: z.array(z.string()), evidence: z.string().nullable(), auditMark: z.string().nullable() }),
        ),
      })
      .parse(JSON.parse(readFileSync(path.join(out, 'preaudit-report.json'), 'utf8')));
    expect(report.ballotsCompared).toBe(12);
    expect(report.disagreements).toEqual([]);
    expect(report.gray.length).toBeGreaterThan(0);
    for (const g of report.gray) {
      expect(g.evidence, g.ballotKey).not.toBeNull();
      expect(existsSync(path.join(out, g.evidence!))).toBe(true);
      // The tabulator's own record of the sheet is named beside the crop.
      expect(g.auditMark, g.ballotKey).toMatch(/^\d{5}_\d{5}_\d{6}\.tif page 3$/);
    }
    // The closing note names them and shows where the image is, and the scanner's own record of the sheet.
    expect(String(preaudit.stdout)).toMatch(/gray {2}d:5_2_4 {2}Best Ice Cream Flavor: doubtful mark on Vanilla {2}image: .*\.png {2}scanner's record: 00005_00002_000004\.tif page 3$/m);

    const { votes, ambiguous } = await cvrVotes();
    const rows = readCsv(path.join(out, 'independent-cvr.csv'));
    // Every sheet, every target of its style (25: 23 front, 2 back).
    const ballots = new Set(rows.map((r) => r.ballot));
    expect(ballots.size).toBe(12);
    for (const b of ballots) expect(rows.filter((r) => r.ballot === b).length, b).toBe(25);
    expect(new Set(rows.map((r) => r.style)).size).toBe(1);
    for (const r of rows) expect(r.files, r.ballot).toBe(`${r.ballot.slice(2).split('_').map((n, i) => n.padStart(i === 2 ? 6 : 5, '0')).join('_')}.tif`);
    // Every sheet's third page is its AuditMark page, set aside by the reader and named as evidence.
    for (const r of rows) expect(r.auditmark, r.ballot).toBe(`${r.files} page 3`);
    // Every sheet's style was known from its printed code.
    for (const r of rows) expect(r.styleFrom, r.ballot).toBe('printed code');

    let marked = 0;
    for (const [key, cvr] of votes) {
      const [ballot, contest] = key.split('|') as [string, string];
      const read = rows.filter((r) => r.ballot === ballot && r.contest === contest);
      const readVotes = read.filter((r) => r.mark === 'marked').map((r) => r.option.replace(/^Write-in \d+$/, 'Write-in'));
      marked += readVotes.length;
      const doubtful = read.filter((r) => r.mark === 'marginal');
      // A doubtful mark is one the EMS found ambiguous too; nothing else is gray.
      for (const d of doubtful) expect(ambiguous.has(`${ballot}|${contest}|${d.option}`), `${key} ${d.option}`).toBe(true);
      // Every contest here is vote-for-one: an overvote counts nothing (the EMS's IsVote is false on both marks).
      const counted = readVotes.length > 1 ? [] : readVotes;
      if (doubtful.length === 0) expect(new Set(counted), key).toEqual(cvr);
    }
    expect(marked).toBeGreaterThanOrEqual(12);
    // Marks the EMS found ambiguous are never read silently as a vote or a blank.
    for (const a of ambiguous) {
      const [ballot, contest, option] = a.split('|');
      expect(rows.find((r) => r.ballot === ballot && r.contest === contest && r.option === option)?.mark, a).toBe('marginal');
    }
  });
});
