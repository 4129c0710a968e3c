/**
 * Issue #19: the disagreement page shows the scanner's own record of the ballot (the AuditMark page
 * a Dominion ImageCast TIFF carries after front and back) as a picture beside the reading, from the
 * page the reader kept aside, and how the sheet's style was known. In chromium at 1024×768 against
 * the real web app and the real pre-audit web provider over a state database holding a disagreement
 * on the real demo export's TIFF (../shared/corpus/dominion-imagecast-demo) in a real vault. A sheet
 * whose reader kept no such page shows none. Screenshot: test-artifacts/web/19-scanner-record.png.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, parseConfig, type Config } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { DriveService } from '../../daemon/drives/service.ts';
import { PreauditWebProvider } from '../../daemon/preaudit/webProvider.ts';
import { openStateDatabase, type Db } from '../../daemon/runtime/stateDatabase.ts';
import { SnapshotEngine } from '../../daemon/snapshot/engine.ts';
import { Accounts } from '../../daemon/web/accounts.ts';
import { createWebApp } from '../../daemon/web/app.tsx';
import { startWebServer, type RunningWebServer } from '../../daemon/web/server.ts';
import { createWebDeps } from '../../daemon/web/wiring.ts';
import { catalogFile } from './webTestFakes.ts';

// The functions passed to page.evaluate run in chromium; the project compiles without the DOM library.
declare const document: { querySelector(s: string): { getAttribute(a: string): string | null; naturalWidth: number; complete: boolean } | null };

const here = fileURLToPath(new URL('.', import.meta.url));
const artifacts = resolve(here, '../../test-artifacts/web');
const tiff = resolve(here, '../../../shared/corpus/dominion-imagecast-demo/Results/Tabulator00005/Batch002/Images/00005_00002_000004.tif');
let dir: string;
let db: Db;
let server: RunningWebServer | undefined;
let browser: Browser | undefined;
let page: Page;
const ids: { withRecord: number; without: number } = { withRecord: 0, without: 0 };

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'ballotsafe-scanner-record-'));
  for (const sub of ['drive-a', 'drive-b', 'export']) mkdirSync(join(dir, sub), { recursive: true });
  const parsed = assertOk(
    parseConfig(
      { election: { name: 'dominion-demo' }, dataDir: join(dir, 'var'), roots: [{ label: 'dominion-export', path: join(dir, 'export') }], drives: { mode: 'folders', a: join(dir, 'drive-a'), b: join(dir, 'drive-b') } },
      dir,
    ),
  );
  const config: Config = { ...parsed, web: { ...parsed.web, port: 0 } };
  db = openStateDatabase(dataPaths(config).database);
  const logger = silentLogger();
  const file = catalogFile(db, dataPaths(config).vault, 'dominion-export', 'Results/Tabulator00005/Batch002/Images/00005_00002_000004.tif', 'ballot-image', readFileSync(tiff));
  // Two read sheets of that file, each disagreeing in one contest: one whose reader kept page 3 aside, one read before that was kept.
  const target = (optionId: string, x: number, mark: string) => ({ contestId: '1', optionId, x, y: 1000, width: 40, height: 28, fill: mark === 'marked' ? 0.7 : 0.01, mark });
  const pages = JSON.stringify([{ file: 0, page: 0, side: 'front', width: 1705, height: 3398, pitch: 68, targets: [target('1', 470, 'marked'), target('2', 470 + 0, 'unmarked')] }]);
  const sheet = db.prepare(`INSERT INTO preaudit_sheets (sheet_key, files_json, status, style_id, reading_json, pages_json, audit_mark_json, style_from, read_at) VALUES (?, '[]', 'read', 's', '[]', ?, ?, ?, 't')`);
  const files = db.prepare(`INSERT INTO preaudit_sheet_files (sheet_key, image_key, file_version_ids_json) VALUES (?, ?, ?)`);
  const compare = db.prepare(
    `INSERT INTO preaudit_comparisons (sheet_key, ballot_key, contest_id, contest_title, verdict, image_votes_json, cvr_votes_json, marginal_json, image_overvote, cvr_overvote, undervotes, write_ins, compared_at)
     VALUES (?, ?, '1', 'Best Ice Cream Flavor', 'disagree', '["1"]', '["2"]', '[]', 0, 0, 0, 0, 't')`,
  );
  sheet.run('d:5_2_4#1', pages, JSON.stringify([{ file: 0, page: 2 }]), 'cvr-ballot-type');
  files.run('d:5_2_4#1', 'd:5_2_4', JSON.stringify([file]));
  ids.withRecord = Number(compare.run('d:5_2_4#1', 'd:5_2_4').lastInsertRowid);
  sheet.run('d:5_2_9#1', pages, null, null);
  files.run('d:5_2_9#1', 'd:5_2_9', JSON.stringify([file]));
  ids.without = Number(compare.run('d:5_2_9#1', 'd:5_2_9').lastInsertRowid);

  const driveService = new DriveService({ config, db, logger, isSnapshotRunning: () => false });
  const engine = new SnapshotEngine({ db, config, logger });
  const preaudit = new PreauditWebProvider(db, () => ({ state: 'done', imagesDone: 2, imagesTotal: 2, ballotsCompared: 2, disagreements: 2, updatedAt: null }), new Map([['1', 'Vanilla'], ['2', 'Chocolate']]));
  const deps = createWebDeps({ db, config, logger, engine, driveService, preaudit });
  assertOk(await new Accounts(db).addUser('avery', 'observer', 'correct horse battery'));
  server = assertOk(await startWebServer(createWebApp(deps), config, logger));
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  page = await (await browser.newContext({ viewport: { width: 1024, height: 768 } })).newPage();
  page.setDefaultTimeout(20_000);
  await page.goto(`${server.url}/login`);
  await page.fill('input[name=name]', 'avery');
  await page.fill('input[name=password]', 'correct horse battery');
  await page.click('button[type=submit]');
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  db?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the scanner\'s own record on the disagreement page (chromium, 1024×768)', () => {
  it('shows the AuditMark page the reader kept as a picture beside the reading, in words an auditor follows', async () => {
    await page.goto(`${server?.url}/preaudit/disagreements/${ids.withRecord}`);
    await page.waitForSelector('[data-testid=scanner-record] img');
    await page.waitForFunction(`document.querySelector('[data-testid=scanner-record] img')?.complete === true`);
    const img = (await page.evaluate(`(async () => {
      const el = document.querySelector('[data-testid=scanner-record] img');
      const res = await fetch(el.getAttribute('src'));
      return { src: el.getAttribute('src'), status: res.status, type: res.headers.get('content-type'), width: el.naturalWidth };
    })()`)) as { src: string; status: number; type: string; width: number };
    // Page 3 of the TIFF (pages counted from 0 in the link), a picture the browser shows.
    expect(img.src).toMatch(/^\/api\/images\/\d+\?page=2$/);
    expect(img.status).toBe(200);
    expect(img.type).toMatch(/^image\/(png|jpeg)$/);
    expect(img.width).toBe(1705);
    const words = (await page.textContent('[data-testid=scanner-record] figcaption')) ?? '';
    expect(words).toContain("The scanner's own record of this ballot");
    expect(words).toContain('00005_00002_000004.tif, page 3');
    expect(await page.textContent('[data-testid=style-known-by]')).toBe("Ballot style known from the CVR's ballot type: the style code printed on the sheet could not be read.");
    await page.screenshot({ path: join(artifacts, '19-scanner-record.png'), fullPage: false });
    await page.screenshot({ path: join(artifacts, '19b-scanner-record-full.png'), fullPage: true });
    // Beside the reading: in view at 1024×768 without scrolling, left of the panel with what the CVR and the image say.
    const box = await page.locator('[data-testid=scanner-record] .crop').boundingBox();
    const panel = await page.locator('aside.legend').boundingBox();
    expect(box !== null && panel !== null && box.x + box.width <= panel.x + 1, JSON.stringify({ box, panel })).toBe(true);
    expect(box !== null && box.y < 768, JSON.stringify(box)).toBe(true);
  });

  it('shows no scanner record for a sheet whose reader kept none', async () => {
    await page.goto(`${server?.url}/preaudit/disagreements/${ids.without}`);
    await page.waitForSelector('[data-testid=ballot-overlay]');
    expect(await page.locator('[data-testid=scanner-record]').count()).toBe(0);
    expect(await page.locator('[data-testid=style-known-by]').count()).toBe(0);
  });
});
