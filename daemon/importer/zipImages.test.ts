import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ExcelJS from 'exceljs';
import JSZip from 'jszip';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { readSampleLayouts } from '../../test/preaudit/sampleElection.ts';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import type { Db } from '../core/db/database.ts';
import { silentLogger } from '../core/log/logger.ts';
import { runPreaudit } from '../preaudit/pool.ts';
import { readSheetFills } from '../preaudit/viewStore.ts';
import { zipExportSheets } from '../preaudit/zipSheets.ts';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { checksFromReport } from '../web/importChecks.ts';
import { ballotImageHref } from '../web/imageHref.ts';
import { parseZipSheetKey, zipSheetKey } from './essZipMembers.ts';
import { buildPhase1Report } from './report.ts';
import { phase1ReportXlsx } from './reportFiles.ts';
import { findRescannedSheets } from './rescans.ts';
import { importPendingCatalogFiles } from './service.ts';
import { tempDir } from './testSupport.ts';

/**
 * Issue #21: phase 1 on an ES&S Electionware export as delivered, the ballot images in one zip
 * (`\` names, `<id>i.pdf` sheets beside `<id>c.pdf` CVR printouts). The images inside the zip are
 * the export's image files (counted, linked to their CVRs, named `<zip> > <member>`), and the
 * rescan check compares the sheets the pre-audit read from inside the zip.
 */
const t = tempDir('ballotsafe-zip-images-');
afterAll(() => t.cleanup());
const gen = join(t.dir, 'generated');
const vault = join(t.dir, 'vault');
const zipName = 'Ballot Images.zip';

const discrepancies = z.object({
  discrepancies: z.array(z.object({ kind: z.string(), ess: z.object({ cvrNumber: z.number() }), duplicateEss: z.object({ cvrNumber: z.number() }).optional() })),
});
let zipBytes: Buffer;
let cvrBytes: Buffer;
/** The zip's image members as yauzl names them ('/' for '\'), and the member of each CVR number. */
let sheetMembers: string[];
let memberOf: (cvrNumber: number) => string;
let dropped: number;
let rescan: { original: number; copy: number };

beforeAll(async () => {
  const g = await generateSampleElection({ out: gen, seed: 3, ballots: 10, precincts: 2, format: 'ess', essShape: 'electionware', essDpi: 200, batchSize: 20, discrepancies: { flip: 0, drop: 1, dup: 1, totals: 0 } });
  if (!g.ok) throw new Error(g.error.message);
  zipBytes = readFileSync(join(gen, 'ess-zip', zipName));
  cvrBytes = readFileSync(join(gen, 'ess', 'CVR', 'CVR_Export.xlsx'));
  const names = Object.keys((await JSZip.loadAsync(zipBytes)).files).map((n) => n.replace(/\\/g, '/'));
  // the export as delivered: '\' names, a printout beside each sheet
  expect(Object.keys((await JSZip.loadAsync(zipBytes)).files).every((n) => n.includes('\\'))).toBe(true);
  expect(names.filter((n) => /c\.pdf$/i.test(n)).length).toBeGreaterThan(0);
  sheetMembers = names.filter((n) => /i\.pdf$/i.test(n));
  memberOf = (n) => sheetMembers.find((m) => new RegExp(`/0*${n}i\\.pdf$`, 'i').test(m)) ?? `no member for ${n}`;
  const d = discrepancies.parse(JSON.parse(readFileSync(join(gen, 'truth', 'discrepancies.json'), 'utf8'))).discrepancies;
  dropped = d.find((x) => x.kind === 'drop')?.ess.cvrNumber ?? -1;
  const dup = d.find((x) => x.kind === 'dup');
  rescan = { original: dup?.ess.cvrNumber ?? -1, copy: dup?.duplicateEss?.cvrNumber ?? -1 };
}, 120_000);

/** Captures a file as the capture service does: its bytes in the vault, a current catalog row. */
function capture(db: Db, root: string, relPath: string, kind: string, bytes: Buffer): number {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const to = vaultObjectPath(vault, sha);
  mkdirSync(dirname(to), { recursive: true });
  writeFileSync(to, bytes);
  // a new version of the same path replaces the current one (a re-export)
  db.prepare(`UPDATE file_versions SET status = 'changed' WHERE root_label = ? AND rel_path = ? AND status = 'current'`).run(root, relPath);
  const now = new Date().toISOString();
  return Number(
    db
      .prepare(
        `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
         VALUES (?, ?, ?, ?, '0', '0', ?, ?, ?, ?, ?)`,
      )
      .run(root, relPath, Buffer.from(relPath), bytes.length, `${relPath}-${sha}`, sha, kind, now, now).lastInsertRowid,
  );
}

async function exportCaptured(zipKind = 'other', zip = zipBytes): Promise<{ db: Db; zipId: number }> {
  const db = openStateDatabase(':memory:');
  const zipId = capture(db, 'ems', `export/${zipName}`, zipKind, zip);
  capture(db, 'ems', 'export/CVR_Export.xlsx', 'cvr', cvrBytes);
  const imported = await importPendingCatalogFiles(db, vault);
  expect(imported.failures).toEqual([]);
  return { db, zipId };
}

describe('phase 1 counts the ballot images inside an ES&S export zip', () => {
  it('every image member is an image file linked to its CVR; the dropped CVR row is an image without a CVR naming the member', async () => {
    const { db } = await exportCaptured();
    const report = buildPhase1Report(db, () => []);
    // the sheets, never the CVR printouts
    expect(report.summary.imageFiles).toBe(sheetMembers.length);
    expect(report.summary.cvrRecords).toBe(sheetMembers.length - 1);
    expect(report.summary.cvrsWithoutImage).toBe(0);
    expect(report.imagesWithoutCvr.items).toEqual([{ file: `ems:export/${zipName} > ${memberOf(dropped)}`, key: `c:${dropped}` }]);
    expect(report.summary.clean).toBe(false);
    const checks = new Map(checksFromReport(report).map((c) => [c.id, c]));
    expect(checks.get('cvrs-have-image')).toMatchObject({ state: 'pass', summary: 'No CVR without an image.' });
    expect(checks.get('images-have-cvr')).toMatchObject({ state: 'fail', summary: '1 image without a CVR.', details: [`ems:export/${zipName} > ${memberOf(dropped)}`] });
    // nothing read yet: the rescan check says so rather than passing
    expect(checks.get('duplicates')?.state).toBe('warn');
    // listed once: a second pass changes nothing
    await importPendingCatalogFiles(db, vault);
    expect(buildPhase1Report(db, () => []).summary.imageFiles).toBe(sheetMembers.length);
    // a zip imported before its images were listed (an appliance updated since) is listed on the next pass
    db.exec('DELETE FROM zip_images; DELETE FROM zip_image_listings;');
    expect(buildPhase1Report(db, () => []).summary.imageFiles).toBe(0);
    await importPendingCatalogFiles(db, vault);
    expect(buildPhase1Report(db, () => []).summary.imageFiles).toBe(sheetMembers.length);
    db.close();
  });

  it("a re-exported zip replaces the old one's images; a zip captured from an images folder stands for its members, not one image", async () => {
    const { db } = await exportCaptured();
    const fewer = await JSZip.loadAsync(zipBytes);
    const gone = Object.keys(fewer.files).find((n) => n.replace(/\\/g, '/') === memberOf(rescan.original)) ?? '';
    fewer.remove(gone);
    capture(db, 'ems', `export/${zipName}`, 'other', await fewer.generateAsync({ type: 'nodebuffer', platform: 'DOS' }));
    await importPendingCatalogFiles(db, vault);
    const report = buildPhase1Report(db, () => []);
    expect(report.summary.imageFiles).toBe(sheetMembers.length - 1);
    expect(report.cvrsWithoutImage.items.map((c) => c.imageKey)).toEqual([`c:${rescan.original}`]);
    db.close();

    const images = await exportCaptured('ballot-image');
    const asImages = buildPhase1Report(images.db, () => []);
    expect(asImages.summary.imageFiles).toBe(sheetMembers.length);
    expect(asImages.imagesWithoutCvr.items.map((i) => i.file)).toEqual([`ems:export/${zipName} > ${memberOf(dropped)}`]);
    images.db.close();
  });

  it('the same image twice inside the zip (under another ballot id) is a duplicated image, found from the zip\'s directory alone', async () => {
    const twice = await JSZip.loadAsync(zipBytes);
    const names = Object.keys(twice.files);
    const original = names.find((n) => n.replace(/\\/g, '/') === memberOf(rescan.original)) ?? '';
    const copy = names.find((n) => n.replace(/\\/g, '/') === memberOf(dropped)) ?? '';
    twice.file(copy, await twice.file(original)?.async('nodebuffer') ?? Buffer.alloc(0));
    const { db } = await exportCaptured('other', await twice.generateAsync({ type: 'nodebuffer', platform: 'DOS' }));
    const report = buildPhase1Report(db, () => []);
    expect(report.summary.duplicateImages).toBe(1);
    expect(report.duplicateImages.items).toEqual([
      { sha256: null, zipBytes: expect.stringMatching(/^CRC-32 [0-9a-f]{8}, \d+ bytes$/) as string, files: [memberOf(rescan.original), memberOf(dropped)].map((m) => `ems:export/${zipName} > ${m}`).sort() },
    ]);
    const check = checksFromReport(report).find((c) => c.id === 'duplicates');
    expect(check?.state).toBe('fail');
    expect(check?.summary).toContain('1 duplicated image');
    // the generator's export itself: every image's bytes differ (its rescan is new bytes)
    const plain = await exportCaptured();
    expect(buildPhase1Report(plain.db, () => []).summary.duplicateImages).toBe(0);
    plain.db.close();
    db.close();
  });

  it('a zip bomb is not counted and not a crash: the CVR check says why no image is counted', async () => {
    const bomb = new JSZip();
    bomb.file('Pct\\000001i.pdf', Buffer.alloc(12 * 1024 * 1024), { compression: 'DEFLATE' });
    const { db } = await exportCaptured('other', await bomb.generateAsync({ type: 'nodebuffer', platform: 'DOS', compression: 'DEFLATE' }));
    const report = buildPhase1Report(db, () => []);
    expect(report.summary.imageFiles).toBe(0);
    expect(report.imageZipsNotListed).toEqual([{ file: `ems:export/${zipName}`, problem: expect.stringContaining('possible zip bomb') as string }]);
    const check = checksFromReport(report).find((c) => c.id === 'cvrs-have-image');
    expect(check?.state).toBe('fail');
    expect(check?.details[0]).toMatch(/^ems:export\/Ballot Images\.zip is not an ES&S ballot-image export ballotsafe can read: .* None of its images is counted\.$/);
    // the auditors' workbook says so too
    const wb = new ExcelJS.Workbook();
    const xlsx = join(t.dir, 'phase1-bomb.xlsx');
    writeFileSync(xlsx, await phase1ReportXlsx(report));
    await wb.xlsx.readFile(xlsx);
    const rows = (wb.getWorksheet('Summary')?.getSheetValues() ?? []).map((r) => (Array.isArray(r) ? r.slice(1, 3) : []));
    expect(rows).toContainEqual([`Images not counted: ems:export/${zipName} could not be listed`, expect.stringContaining('possible zip bomb')]);
    db.close();
  });
});

describe('the rescan check compares the sheets read from inside the zip', () => {
  it('zip sheet keys name their members, "+" inside a folder name included', () => {
    expect(parseZipSheetKey(zipSheetKey(7, ['Wds 1+2/Nonpartisan/000003F.pbm', 'Wds 1+2/Nonpartisan/000003R.pbm']))).toEqual({ zipVersionId: 7, members: ['Wds 1+2/Nonpartisan/000003F.pbm', 'Wds 1+2/Nonpartisan/000003R.pbm'] });
    expect(parseZipSheetKey('Pct/000003i.pdf#12')).toBeUndefined();
  });

  it("finds the generator's rescan among the pre-audit's readings of the zip's sheets, names both members and links the pictures", async () => {
    const { db, zipId } = await exportCaptured();
    const listed = await zipExportSheets(db, vault);
    const layouts = readSampleLayouts(join(gen, 'truth'), { design: 'ess-dashed' });
    if (!layouts.ok) throw new Error(layouts.error.message);
    await runPreaudit(db, listed.sheets.map((s) => s.job), [...layouts.value.values()], silentLogger(), { workers: 1 });
    const read = readSheetFills(db);
    expect(read.length).toBeGreaterThan(sheetMembers.length / 2);
    const check = findRescannedSheets(db, () => read);
    expect(check.sheetsCompared).toBe(read.length);
    const name = (n: number) => `ems:export/${zipName} > ${memberOf(n)}`;
    expect(check.pairs.map((p) => [...p.first, ...p.second].sort())).toEqual([[name(rescan.original), name(rescan.copy)].sort()]);
    const pair = check.pairs[0];
    expect([...(pair?.firstIds ?? []), ...(pair?.secondIds ?? [])]).toEqual([zipId, zipId]);

    // the report and the web's evidence: both scans, each the zip's member
    const report = buildPhase1Report(db, () => read);
    expect(report.summary.rescannedSheets).toBe(1);
    const dup = checksFromReport(report).find((c) => c.id === 'duplicates');
    expect(dup?.state).toBe('fail');
    const scans = (dup?.sameBallot ?? []).flatMap((p) => [p.first, p.second]);
    expect(scans.map((s) => [s.words, ballotImageHref(s.imageId, s.page, s.member)]).sort()).toEqual(
      [rescan.original, rescan.copy].map((n) => [`CVR record ${n}`, `/api/images/${zipId}?member=${encodeURIComponent(memberOf(n))}`]).sort(),
    );
    db.close();
  }, 120_000);
});
