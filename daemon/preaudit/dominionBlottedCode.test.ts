/**
 * SLOW (about 40 s on the 2-core machine: a capture, registration of 36 pages, OCR of one style).
 * Issue #19: the real Dominion ImageCast demo export (../shared/corpus/dominion-imagecast-demo, 12
 * sheets) with one sheet's printed ballot-type code smudged (its code row painted white in the TIFF
 * the EMS exports), through `ballotsafe scan` and `ballotsafe preaudit` in real processes. The
 * style learner must not learn a style of its own from that one sheet: it is read with the style
 * its CVR's ballot type is printed as (style_from "CVR ballot type") and its write-in vote is read.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { blottedTiff } from '../../test/preaudit/blottedTiff.ts';
import { ballotsafeWith, dominionDemoResults, writeFolderApplianceConfig } from '../../test/preaudit/dominionDemoRun.ts';

const corpus = dominionDemoResults;
/** The sheet whose CVR has a write-in vote (an image-read mark, not a name the EMS knows). */
const blottedName = '00005_00002_000001.tif';
const blottedRel = path.join('Tabulator00005', 'Batch002', 'Images', blottedName);
const root = mkdtempSync(path.join(os.tmpdir(), 'dominion-blotted-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ballotsafe = (...args: string[]) => ballotsafeWith(root, ...args);

const row = z.object({ ballot: z.string(), files: z.string(), style: z.string(), contest: z.string(), option: z.string(), mark: z.string(), styleFrom: z.string() });

function readCsv(file: string): z.infer<typeof row>[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\r\n');
  expect(header).toBe('ballot,files,style,contest,option,mark,score,auditmark,style_from');
  // No field here holds a comma (one file a sheet, names without commas).
  return lines.map((l) => {
    const [ballot, files, style, contest, option, mark, , , styleFrom] = l.split(',');
    return row.parse({ ballot, files: files?.replace(/^"|"$/g, ''), style, contest, option, mark, styleFrom });
  });
}

let scan: ReturnType<typeof spawnSync>;
let preaudit: ReturnType<typeof spawnSync>;
const out = path.join(root, 'report');

beforeAll(async () => {
  const exportDir = path.join(root, 'export', 'Results');
  cpSync(corpus, exportDir, { recursive: true });
  mkdirSync(path.join(root, 'blot'));
  // The sheet as a smudged code row would be exported: same name, same AuditMark page.
  await blottedTiff(path.join(corpus, blottedRel), path.join(root, 'blot', blottedName), path.join(root, 'blot'));
  cpSync(path.join(root, 'blot', blottedName), path.join(exportDir, blottedRel));
  writeFolderApplianceConfig(root, 'dominion-demo-blotted');
  scan = ballotsafe('scan');
  preaudit = ballotsafe('preaudit', '--out', out);
}, 300_000);

describe('a real Dominion sheet with a smudged style code, through scan and preaudit (slow)', () => {
  it('learns no style from the smudged sheet and reads it with its CVR type\'s style, write-in included', () => {
    expect(scan.status, String(scan.stderr)).toBe(0);
    const stdout = String(preaudit.stdout);
    expect(stdout).toMatch(/^\s+12 {2}sheets in the catalog$/m);
    expect(stdout).toMatch(/^\s+0 {2}sheets that could not be read$/m);
    expect(stdout).toMatch(/^\s+12 {2}ballots compared with their CVR$/m);
    // Exit 0: no contest disagrees with the CVR (a missed write-in would).
    expect(preaudit.status, `${stdout}\n${String(preaudit.stderr)}`).toBe(0);

    const rows = readCsv(path.join(out, 'independent-cvr.csv'));
    // One style for all 12 sheets: none learned from the smudged code.
    expect(new Set(rows.map((r) => r.style)).size).toBe(1);
    expect(new Set(rows.map((r) => r.ballot)).size).toBe(12);
    const blotted = rows.filter((r) => r.files === blottedName);
    expect(blotted.length).toBe(25);
    for (const r of blotted) expect(r.styleFrom).toBe('CVR ballot type');
    for (const r of rows.filter((r) => r.files !== blottedName)) expect(r.styleFrom, r.ballot).toBe('printed code');
    // Its CVR's one vote is the write-in; the image shows it too.
    expect(blotted.filter((r) => r.mark === 'marked').map((r) => r.option)).toEqual([expect.stringMatching(/^Write-in/)]);
  });
});
