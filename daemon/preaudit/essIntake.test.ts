import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { g4Strip, scanPdf } from '../../scripts/sample-election/pdf.ts';
import { openStateDatabase } from '../runtime/stateDatabase.ts';
import { imageKeyFromFileName } from '../importer/imageKeys.ts';
import { silentLogger } from '../core/log/logger.ts';
import { layoutsFromVxElection } from './layout.ts';
import { runPreaudit, type SheetJob } from './pool.ts';
import { BMD_CARD_CODE, DESIGN_NOT_READ_CODE, ESS_STYLES_NOT_LEARNED_CODE, setApartSummary } from './setApart.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpus = path.resolve(here, '../../../shared/corpus/nh-amherst-scans');
const dir = mkdtempSync(path.join(tmpdir(), 'preaudit-ess-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real 200 dpi scan, thresholded to bitonal as ES&S scanners deliver, as one PDF page. */
async function bitonalPage(file: string) {
  const { data, info } = await sharp(file).greyscale().threshold(160).raw().toBuffer({ resolveWithObject: true });
  const img = { width: info.width, height: info.height, dpi: 200, data };
  return { widthPx: info.width, heightPx: info.height, g4: await g4Strip(img), widthIn: info.width / 200, heightIn: info.height / 200 };
}

/** A drawn page: white with dashes around the edge and a few black bars (a barcode, text lines). */
async function drawnPage(widthIn: number, heightIn: number, dashedBorder: boolean) {
  const width = Math.round(widthIn * 200);
  const height = Math.round(heightIn * 200);
  const data = Buffer.alloc(width * height, 255);
  const fill = (x0: number, y0: number, w: number, h: number) => {
    for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) data[y * width + x] = 0;
  };
  for (let i = 0; i < 30; i++) fill(60 + i * 9, 80, i % 3 === 0 ? 6 : 3, 120); // barcode
  for (let l = 0; l < 12; l++) fill(60, 260 + l * 40, 300 + ((l * 37) % 200), 14); // printed lines
  if (dashedBorder) {
    for (let x = 40; x < width - 80; x += 50) {
      fill(x, 30, 30, 10);
      fill(x, height - 40, 30, 10);
    }
    for (let y = 40; y < height - 80; y += 50) {
      fill(30, y, 10, 30);
      fill(width - 40, y, 10, 30);
    }
  }
  const img = { width, height, dpi: 200, data };
  return { widthPx: width, heightPx: height, g4: await g4Strip(img), widthIn, heightIn };
}

describe('ES&S export sheets in the pre-audit', () => {
  it('keys ES&S names to their CVR number: <id>i.pdf, <id>c.pdf, <id>F.pbm and <id>R.pbm, any separator', () => {
    expect(imageKeyFromFileName('T Albion Wds 1-2/Nonpartisan/000123i.pdf')).toBe('c:123');
    expect(imageKeyFromFileName('T Albion Wds 1-2\\Nonpartisan\\000123c.pdf')).toBe('c:123');
    expect(imageKeyFromFileName('Pct 4/000123F.pbm')).toBe('c:123');
    expect(imageKeyFromFileName('Pct 4/000123R.pbm')).toBe('c:123');
    // unchanged: other vendors' names
    expect(imageKeyFromFileName('92302_00017_000002.tif')).toBe('d:92302_17_2');
    expect(imageKeyFromFileName('000123ix.pdf')).toBeNull();
  });

  it('sets ES&S export sheets apart: a BMD card counted apart, sheets without the ES&S dashed border set aside (never read with another design), an encrypted PDF refused', async () => {
    const layouts = layoutsFromVxElection(JSON.parse(readFileSync(path.join(corpus, 'election.json'), 'utf8')));
    if (!layouts.ok) throw new Error(layouts.error.message);
    const file = (name: string, bytes: Buffer) => {
      const p = path.join(dir, name);
      writeFileSync(p, bytes);
      return p;
    };
    const marked = file('000001i.pdf', scanPdf([await bitonalPage(path.join(corpus, 'scan-marked-front.jpeg')), await bitonalPage(path.join(corpus, 'scan-marked-back.jpeg'))]));
    const bmd = file('000002i.pdf', scanPdf([await drawnPage(4.25, 11, false)]));
    const essDesign = file('000003i.pdf', scanPdf([await drawnPage(8.5, 11, true), await drawnPage(8.5, 11, true)]));
    const encrypted = file('000004i.pdf', Buffer.from(readFileSync(bmd).toString('latin1').replace('/Root', '/Encrypt 99 0 R /Root'), 'latin1'));
    // the same BMD card printed letter-size would not be set apart: the width decides, not the file
    const wideCard = file('000005i.pdf', scanPdf([await drawnPage(8.5, 11, false)]));
    const jobs: SheetJob[] = [
      { key: 'marked', files: [marked] },
      { key: 'bmd', files: [bmd] },
      { key: 'ess-design', files: [essDesign] },
      { key: 'encrypted', files: [encrypted] },
      { key: 'wide', files: [wideCard] },
    ];
    const db = openStateDatabase(path.join(dir, 'state.db'));
    try {
      // one reader: pdfjs loads once (seconds through tsx's loader)
      await runPreaudit(db, jobs, layouts.value, silentLogger(), { workers: 1 });
      const rows = new Map(
        (db.prepare('SELECT sheet_key, status, error_code, error_message, reading_json FROM preaudit_sheets').all() as { sheet_key: string; status: string; error_code: string | null; error_message: string | null; reading_json: string | null }[]).map((r) => [r.sheet_key, r]),
      );
      // An ES&S export holds ES&S-design ballots only: even a sheet the AccuVote reader could
      // register is set aside, never read with a design it does not have; so is a page whose
      // dashes are far longer than ES&S's (essGrid.test.ts reads the real design).
      expect(rows.get('marked')?.status).toBe('error');
      expect(rows.get('marked')?.error_code).toBe(DESIGN_NOT_READ_CODE);
      expect(rows.get('bmd')?.error_code).toBe(BMD_CARD_CODE);
      expect(rows.get('bmd')?.error_message).toContain('BMD card: not read from marks');
      expect(rows.get('ess-design')?.error_code).toBe(DESIGN_NOT_READ_CODE);
      expect(rows.get('encrypted')?.error_code).toBe('preaudit-pdf-encrypted');
      expect(rows.get('wide')?.error_code).toBe(DESIGN_NOT_READ_CODE);
    } finally {
      db.close();
    }
  });

  it('says how many sheets were set apart, in plain words', () => {
    expect(setApartSummary(new Map([[BMD_CARD_CODE, 1]]))).toBe('1 BMD card: not read from marks (counted apart).');
    expect(setApartSummary(new Map([[BMD_CARD_CODE, 1200], [DESIGN_NOT_READ_CODE, 3]]))).toBe('1,200 BMD cards: not read from marks (counted apart). 3 ES&S sheets set aside: border of timing marks not found.');
    expect(setApartSummary(new Map([[ESS_STYLES_NOT_LEARNED_CODE, 40]]))).toBe('40 ES&S sheets set aside: ES&S ballot styles are not learned yet.');
    expect(setApartSummary(new Map())).toBe('');
  });
});
