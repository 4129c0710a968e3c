/**
 * The kiosk in a real browser (Debian chromium via playwright-core) at 1024×768, against the real
 * snapshot engine and drive service writing to two folder drives, and the importer's phase-1 report.
 * Pre-audit results use the in-test stand-in from testFakes.ts (no pre-audit results provider yet).
 * Screenshots go to test-artifacts/web/.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths, parseConfig, type Config } from '../core/config.ts';
import { openStateDatabase, type Db } from '../runtime/stateDatabase.ts';
import { DriveService } from '../drives/service.ts';
import { silentLogger } from '../core/log/logger.ts';
import { assertOk } from '../core/result.ts';
import { SnapshotEngine } from '../snapshot/engine.ts';
import { AlertLog } from '../core/state/alerts.ts';
import { Accounts } from './accounts.ts';
import { createWebApp } from './app.tsx';
import { startWebServer, type RunningWebServer } from './server.ts';
import { catalogFile, corpusImage, fakeMapped, fakePreaudit } from '../../test/web/webTestFakes.ts';
import { createWebDeps } from './wiring.ts';

const chromiumPath = '/usr/bin/chromium';
const artifacts = fileURLToPath(new URL('../../test-artifacts/web/', import.meta.url));

let dir: string;
let db: Db;
let config: Config;
let server: RunningWebServer | undefined;
let browser: Browser | undefined;
let page: Page;
let engine: SnapshotEngine;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: false });
}

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'ballotsafe-browser-'));
  for (const sub of ['drive-a', 'drive-b', 'export/central-scan', 'export/cvr-exports']) mkdirSync(join(dir, sub), { recursive: true });
  const parsed = assertOk(
    parseConfig(
      {
        election: { name: 'sample-election', title: 'Sample County General Election' },
        dataDir: join(dir, 'var'),
        roots: [
          { label: 'central-scan', path: join(dir, 'export/central-scan') },
          { label: 'cvr-exports', path: join(dir, 'export/cvr-exports') },
        ],
        drives: { mode: 'folders', a: join(dir, 'drive-a'), b: join(dir, 'drive-b') },
      },
      dir,
    ),
  );
  config = { ...parsed, web: { ...parsed.web, port: 0 } }; // any free port
  db = openStateDatabase(dataPaths(config).database);
  const logger = silentLogger();
  const vault = dataPaths(config).vault;
  const imageId = catalogFile(db, vault, 'central-scan', 'Tabulator00001/Batch001/00017-front.jpeg', 'ballot-image', readFileSync(corpusImage));
  // Enough data that the snapshot takes a moment and its progress can be watched.
  for (let i = 0; i < 160; i++) catalogFile(db, vault, 'central-scan', `Tabulator00001/Batch00${Math.floor(i / 50) + 2}/img${i}.tif`, 'ballot-image', randomBytes(512 * 1024));
  catalogFile(db, vault, 'cvr-exports', 'CvrExport_0.json', 'cvr', Buffer.from('{"Version":"5.17","Sessions":[]}'));
  const driveService = new DriveService({ config, db, logger, isSnapshotRunning: () => engine.isBusy() });
  assertOk(await driveService.enroll({ target: 'A', role: 'A', operator: 'setup' }));
  assertOk(await driveService.enroll({ target: 'B', role: 'B', operator: 'setup' }));
  engine = new SnapshotEngine({ db, config, logger });
  const deps = createWebDeps({ db, config, logger, engine, driveService, preaudit: fakePreaudit(imageId) });
  assertOk(await new Accounts(db).addUser('olivia', 'operator', 'correct horse battery'));
  server = assertOk(await startWebServer(createWebApp(deps), config, logger));
  browser = await chromium.launch({ executablePath: chromiumPath, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 }, hasTouch: true });
  page = await context.newPage();
  page.setDefaultTimeout(20_000);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  db?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('kiosk in chromium', () => {
  it('logs in and shows the overview: not green before any snapshot (files on no drive)', async () => {
    if (server === undefined) throw new Error('server did not start');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/login/);
    await page.fill('input[name=name]', 'olivia');
    await page.fill('input[name=password]', 'wrong password');
    await page.click('button[type=submit]');
    await expect(page.locator('.notice.bad')).toBeDefined();
    expect(await page.textContent('.notice.bad')).toContain('What to do');
    await shot('01-login-error');
    await page.fill('input[name=password]', 'correct horse battery');
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=verdict]');
    // issue #15: 162 captured files and no snapshot yet is not "All good"
    expect(await page.textContent('[data-testid=verdict]')).not.toContain('All good');
    expect(await page.textContent('[data-testid=verdict]')).toContain('No snapshot has been written yet');
    expect(await page.textContent('[data-testid=files-total]')).toBe('162');
    await shot('02-overview');
  });

  it('shows a new alert live, and acknowledges it', async () => {
    new AlertLog(db, silentLogger()).raise({ severity: 'critical', code: 'captured-file-changed', message: 'Tabulator00001/Batch001/00017-front.jpeg changed after it was captured.', action: 'Do not delete anything. Call the election supervisor.', subject: 'central-scan:Tabulator00001/Batch001/00017-front.jpeg' });
    // No reload: the server-sent event makes the page refresh itself.
    // (the verdict is already red before the first snapshot, so wait for the live count itself)
    await page.locator('[data-testid=open-alerts]', { hasText: /^1$/ }).waitFor({ timeout: 15_000 });
    await page.waitForSelector('.verdict.bad', { timeout: 15_000 });
    expect(await page.textContent('[data-testid=open-alerts]')).toBe('1');
    await shot('03-overview-alert');
    await page.click('a.tab[href="/alerts"]');
    await shot('04-alerts');
    await page.click('[data-alert] button[type=submit]');
    await page.waitForSelector('text=No open alerts.');
    expect(await page.textContent('main')).toContain('olivia');
  });

  it('runs the end-of-day snapshot onto two folder drives until "safe to remove"', async () => {
    await page.click('a.tab[href="/snapshot"]');
    await page.click('[data-testid=start-snapshot]');
    await page.waitForSelector('[data-testid=confirm]');
    await shot('05-snapshot-confirm');
    await page.click('[data-testid=confirm-snapshot]');
    const seen = await Promise.race([
      page.waitForSelector('[data-testid=progress]', { timeout: 30_000 }).then(() => 'progress'),
      page.waitForSelector('[data-testid=safe-to-remove]', { timeout: 30_000 }).then(() => 'done'),
    ]);
    if (seen === 'progress') {
      // (browser-side code as a string: this file is type-checked without the DOM library)
      await page.waitForFunction("Number(document.getElementById('snapshot-progress')?.value ?? 0) > 0", undefined, { timeout: 30_000 }).catch(() => undefined);
      await shot('06-snapshot-progress');
    }
    await page.waitForSelector('[data-testid=safe-to-remove]', { timeout: 60_000 });
    expect(await page.textContent('[data-testid=safe-to-remove]')).toContain('Both drives verified — safe to remove');
    await shot('07-snapshot-safe');
    const [snapshot] = engine.listSnapshots();
    expect(snapshot?.state).toBe('complete');
    expect(await page.textContent('[data-testid=safe-to-remove]')).toContain((snapshot?.rootHash ?? 'x').slice(0, 4));
    for (const d of ['drive-a', 'drive-b']) expect(readdirSync(join(dir, d)).length).toBeGreaterThan(0);
    expect(seen).toBe('progress'); // the progress bar was shown while the drives were written
  });

  it('records the hand-off and shows the printable sheet', async () => {
    await page.click('[data-testid=handoff]');
    await page.fill('input[name=destinationA]', "Clerk's office safe");
    await page.fill('input[name=destinationB]', "Sheriff's evidence room");
    await page.fill('input[name=witness]', 'Sam Witness');
    await shot('08-handoff-form');
    await page.click('[data-testid=record-handoff]');
    await page.waitForURL(/\/custody\/\d+\/sheet/);
    const rootHash = engine.listSnapshots()[0]?.rootHash ?? '';
    expect((await page.textContent('body'))?.replace(/\s/g, '')).toContain(rootHash);
    await shot('09-handoff-sheet-screen');
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('.sheet-tools')).toBe(false);
    await shot('10-handoff-sheet-print');
    await page.pdf({ path: join(artifacts, 'handoff-sheet.pdf'), format: 'Letter' });
    await page.emulateMedia({ media: 'screen' });
    expect(existsSync(join(artifacts, 'handoff-sheet.pdf'))).toBe(true);
  });

  it('shows drives, history, custody and settings', async () => {
    await page.goto(`${server?.url}/drives`);
    await shot('11-drives');
    expect(await page.textContent('main')).toContain('Drive B');
    await page.goto(`${server?.url}/snapshots`);
    await shot('12-history');
    expect(await page.textContent('main')).toContain(engine.listSnapshots()[0]?.rootHash ?? 'x');
    await page.goto(`${server?.url}/custody`);
    await shot('13-custody');
    expect(await page.textContent('main')).toContain("Sheriff's evidence room");
    await page.goto(`${server?.url}/settings`);
    await shot('14-settings');
  });

  it('opens a disagreement with the ballot image and the targets drawn over it', async () => {
    await page.goto(`${server?.url}/preaudit`);
    await shot('15-preaudit');
    await page.click('text=Show ballot');
    await page.waitForSelector('[data-testid=ballot-overlay]');
    const loaded = await page.evaluate(`(async () => {
      const href = document.querySelector('[data-testid=ballot-overlay] image')?.getAttribute('href') ?? '';
      const res = await fetch(href);
      return { status: res.status, type: res.headers.get('content-type') };
    })()`);
    expect(loaded).toEqual({ status: 200, type: 'image/jpeg' });
    // Only the contest in question is outlined; another contest's difference is not drawn.
    expect(await page.locator('[data-testid=ballot-overlay] .contest-outline').count()).toBe(1);
    expect(await page.getAttribute('[data-testid=ballot-overlay] .contest-outline', 'data-contest')).toBe('Governor');
    expect(await page.locator('[data-testid=ballot-overlay] .target.disagree').count()).toBe(2);
    expect(await page.locator('[data-testid=ballot-overlay] .target[data-option="Jeremiah Smith"]').count()).toBe(0);
    // Outlines, not fills: the voter's marks show through.
    const fills = await page.evaluate(`[...document.querySelectorAll('[data-testid=ballot-overlay] rect')].map((r) => getComputedStyle(r).fill)`);
    expect(new Set(fills as string[])).toEqual(new Set(['none']));
    // Words besides colour, in the close-up and the table.
    expect(await page.locator('[data-testid=contest-closeup] .target-label.differs').count()).toBe(2);
    expect(await page.textContent('[data-testid=contest-targets]')).toContain('≠ Hannah Dustin');
    await shot('16-disagreement');
    await page.click('a[href="#zoom-3"]');
    const widths = await page.evaluate(`[document.querySelector('.ballot-scroll').clientWidth, document.querySelector('.ballot.whole').getBoundingClientRect().width]`);
    const [view, zoomed] = widths as [number, number];
    expect(zoomed).toBeGreaterThan(2.5 * view);
    await shot('16b-disagreement-zoom');
    // The evidence view: contests with a disagreement first, counts in words and patterns.
    await page.goto(`${server?.url}/preaudit/evidence`);
    await page.waitForSelector('[data-testid=contest-summary]');
    expect(await page.textContent('[data-testid=contest-summary] tbody tr:first-child td:first-child')).toBe('Governor');
    expect(await page.locator('[data-testid=contest-chart] .seg.disagree rect').getAttribute('fill')).toBe('url(#ev-hatch)');
    expect(await page.locator('[data-testid=download-independent-cvr]').count()).toBe(1);
    await shot('16c-evidence');
  });

  it('maps a ballot style by hand: numbered targets on the sample page, one choice each, checked, then saved from the form', async () => {
    await page.goto(`${server?.url}/preaudit`);
    await page.click('[data-testid=map-style]');
    await page.waitForSelector('[data-testid=map-picture]');
    expect(await page.locator('[data-testid=map-picture] .map-number-label').count()).toBe(3);
    // the matcher's placement is preselected; the person chooses the other two
    expect(await page.inputValue('select[name="t.front.12.8"]')).toBe('governor|bartlett');
    await page.selectOption('select[name="t.front.19.8"]', 'governor|dustin');
    await page.selectOption('select[name="t.front.32.8"]', 'none');
    await shot('17-map-style');
    fakeMapped.length = 0;
    await page.click('[data-testid=map-review]');
    await page.waitForSelector('[data-testid=map-review]');
    expect(fakeMapped).toEqual([]); // nothing saved before the list is checked
    await page.click('[data-testid=save-mapping]');
    await page.waitForURL(`${server?.url}/preaudit?mapped=accuvote-0111-1011`);
    expect(fakeMapped.map((m) => [m.styleId, m.assignments.map((a) => (a.choice === null ? 'none' : a.choice.optionId))])).toEqual([['accuvote-0111-1011', ['bartlett', 'dustin', 'none']]]);
    fakeMapped.length = 0;
  });
});
