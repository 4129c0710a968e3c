import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import JSZip from 'jszip';
import { afterAll, describe, expect, it } from 'vitest';
import { g4Strip, scanPdf, textPdf } from '../../scripts/sample-election/pdf.ts';
import { vaultObjectPath } from '../capture/vaultLayout.ts';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { decodeBallotImage } from './image.ts';
import { essMemberRole, openEssZip } from './essZip.ts';
import { zipMemberPath } from './zipMembers.ts';
import { zipExportSheets } from './zipSheets.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'ess-zip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function zipFile(name: string, members: Record<string, Buffer>, compression: 'STORE' | 'DEFLATE' = 'STORE'): Promise<string> {
  const zip = new JSZip();
  for (const [n, b] of Object.entries(members)) zip.file(n, b, { createFolders: false, compression });
  const p = path.join(dir, name);
  writeFileSync(p, await zip.generateAsync({ type: 'nodebuffer', platform: 'DOS', compression }));
  return p;
}

async function sheetPdf(): Promise<Buffer> {
  const page = { width: 1700, height: 2200, dpi: 200, data: Buffer.alloc(1700 * 2200, 255) };
  page.data.fill(0, 0, 1700 * 20);
  const g4 = await g4Strip(page);
  return scanPdf([0, 1].map(() => ({ widthPx: 1700, heightPx: 2200, g4, widthIn: 8.5, heightIn: 11 })));
}

describe('ES&S export zips', () => {
  it('names each member by its role', () => {
    expect(['a\\b\\000001i.pdf', 'x/000001c.pdf', '000002F.pbm', '000002R.pbm', 'Export.log', 'notes.pdf'].map(essMemberRole)).toEqual([
      'sheet-pdf',
      'cvr-printout',
      'side-front',
      'side-back',
      'other',
      'other',
    ]);
  });

  it('lists sheets from names with \\ separators, pairs PBM sides front first, counts printouts, reads a member byte for byte', async () => {
    const pdf = await sheetPdf();
    const pbm = Buffer.concat([Buffer.from('P4\n8 1\n'), Buffer.from([0xf0])]);
    const p = await zipFile('export.zip', {
      'T Albion Wds 1-2\\Nonpartisan\\000001i.pdf': pdf,
      'T Albion Wds 1-2\\Nonpartisan\\000001c.pdf': textPdf(['Cast Vote Record: 1']),
      'T Albion Wds 1-2\\Democratic\\000002i.pdf': pdf,
      'Old Pct\\000003R.pbm': pbm,
      'Old Pct\\000003F.pbm': pbm,
      'Export Log.txt': Buffer.from('done'),
    });
    const opened = await openEssZip(p, 'export.zip');
    if (!opened.ok) throw new Error(opened.error.message);
    const zip = opened.value;
    try {
      expect(zip.listing.sheets).toEqual([
        { imageKey: 'c:3', members: ['Old Pct/000003F.pbm', 'Old Pct/000003R.pbm'] },
        { imageKey: 'c:2', members: ['T Albion Wds 1-2/Democratic/000002i.pdf'] },
        { imageKey: 'c:1', members: ['T Albion Wds 1-2/Nonpartisan/000001i.pdf'] },
      ]);
      expect(zip.listing.cvrPrintouts).toBe(1);
      expect(zip.listing.others).toEqual(['Export Log.txt']);
      const bytes = await zip.read('T Albion Wds 1-2/Democratic/000002i.pdf');
      expect(bytes.ok && Buffer.compare(bytes.value, pdf)).toBe(0);
      const pages = await decodeBallotImage(bytes.ok ? bytes.value : Buffer.alloc(0));
      expect(pages.ok && pages.value.length).toBe(2);
    } finally {
      zip.close();
    }
  });

  it('refuses a zip bomb (a member packed 1000:1) and a member named outside the export, naming the file', async () => {
    const bomb = await zipFile('bomb.zip', { 'Pct\\000001i.pdf': Buffer.alloc(12 * 1024 * 1024) }, 'DEFLATE');
    const b = await openEssZip(bomb, 'bomb.zip');
    expect(!b.ok && b.error.code).toBe('preaudit-ess-zip-refused');
    expect(!b.ok && b.error.message).toContain('bomb.zip');
    expect(!b.ok && b.error.message).toContain('zip bomb');
    const slip = await zipFile('slip.zip', { '..\\..\\etc\\000001i.pdf': await sheetPdf() });
    const s = await openEssZip(slip, 'slip.zip');
    expect(!s.ok && s.error.message).toContain('slip.zip is not an ES&S ballot-image export');
    writeFileSync(path.join(dir, 'junk.zip'), 'not a zip at all');
    const j = await openEssZip(path.join(dir, 'junk.zip'), 'junk.zip');
    expect(!j.ok && j.error.message).toContain('not a readable zip file');
  });
});

describe('captured ES&S export zips in the pre-audit', () => {
  it('turns a captured zip into sheet jobs keyed to their CVR rows, read from the vault copy; a refused zip is reported once', async () => {
    const vault = path.join(dir, 'vault');
    const db = openStateDatabase(path.join(dir, 'catalog.db'));
    const capture = (relPath: string, bytes: Buffer) => {
      const sha = createHash('sha256').update(bytes).digest('hex');
      const to = vaultObjectPath(vault, sha);
      mkdirSync(path.dirname(to), { recursive: true });
      writeFileSync(to, bytes);
      const now = new Date().toISOString();
      db.prepare(
        `INSERT INTO file_versions (root_label, rel_path, rel_path_raw, size, mtime_ns, ctime_ns, inode, sha256, kind, first_seen_at, captured_at)
         VALUES ('ems', ?, ?, ?, '0', '0', ?, ?, 'other', ?, ?)`,
      ).run(relPath, Buffer.from(relPath), bytes.length, relPath, sha, now, now);
    };
    try {
      const pdf = await sheetPdf();
      const good = await zipFile('good.zip', { 'Pct 1\\Nonpartisan\\000041i.pdf': pdf, 'Pct 1\\Nonpartisan\\000041c.pdf': textPdf(['CVR 41']), 'Pct 2\\Nonpartisan\\000042i.pdf': pdf });
      capture('export/Ballot Images.zip', readFileSync(good));
      capture('export/forged.zip', readFileSync(await zipFile('forged.zip', { 'Pct\\000001i.pdf': Buffer.alloc(12 * 1024 * 1024) }, 'DEFLATE')));
      const first = await zipExportSheets(db, vault);
      expect(first.sheets.map((s) => s.imageKey)).toEqual(['c:41', 'c:42']);
      expect(first.cvrPrintouts).toBe(1);
      expect(first.refused.map((r) => [r.file, r.error.code])).toEqual([['ems:export/forged.zip', 'preaudit-ess-zip-refused']]);
      const pages = await decodeBallotImage(first.sheets[0]?.job.files[0] ?? '');
      expect(pages.ok && pages.value.map((p) => [p.width, p.density, p.container])).toEqual([
        [1700, 200, 'pdf'],
        [1700, 200, 'pdf'],
      ]);
      // a member that is not a scan is refused naming the member, not the vault path
      const zipPath = (first.sheets[0]?.job.files[0] ?? '').split('\u0000')[0] ?? '';
      const printout = await decodeBallotImage(zipMemberPath(zipPath, 'Pct 1/Nonpartisan/000041c.pdf'));
      expect(!printout.ok && printout.error.message).toContain('Pct 1/Nonpartisan/000041c.pdf (in an ES&S export zip) is a PDF that is not a ballot scan');
      const again = await zipExportSheets(db, vault);
      expect(again.refused).toEqual([]);
      expect(again.sheets.map((s) => s.job.key)).toEqual(first.sheets.map((s) => s.job.key));
    } finally {
      db.close();
    }
  });
});
