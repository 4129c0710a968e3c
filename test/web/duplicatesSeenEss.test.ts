/**
 * Issue #21 in chromium at 1024×768: the injected rescan of a generated ES&S Electionware export,
 * captured as delivered (the ballot images in one zip with `\` names, the CVR xlsx), seen by a
 * clerk. Its sheets are read from inside the zip by the pre-audit's pool (with the generator's
 * layouts: the learning is not what is tested here); the evidence view shows the pair in words
 * and both pictures, each the zip's member of its own CVR record. Screenshot in test-artifacts/mapping/.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { dataPaths } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { buildPhase1Report } from '../../daemon/importer/report.ts';
import { runPreaudit } from '../../daemon/preaudit/pool.ts';
import { PreauditWebProvider } from '../../daemon/preaudit/webProvider.ts';
import type { PreauditStatus } from '../../daemon/preaudit/webApi.ts';
import { readSheetFills } from '../../daemon/preaudit/viewStore.ts';
import { zipExportSheets } from '../../daemon/preaudit/zipSheets.ts';
import type { Db } from '../../daemon/runtime/stateDatabase.ts';
import { importChecksFromReport } from '../../daemon/web/importChecks.ts';
import type { RunningWebServer } from '../../daemon/web/server.ts';
import { readSampleLayouts } from '../preaudit/sampleElection.ts';
import { capturedElection } from './capturedElection.ts';
import { closeKiosk, preauditKiosk } from './preauditKiosk.ts';

const artifacts = fileURLToPath(new URL('../../test-artifacts/mapping/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'ballotsafe-duplicates-ess-'));
let db: Db;
let server: RunningWebServer | undefined;
let browser: Browser | undefined;
let page: Page;
/** The CVR numbers of the generator's rescan and of the sheet it copies. */
let records: string[];

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  const gen = join(root, 'generated');
  const g = await generateSampleElection({ out: gen, seed: 3, ballots: 10, precincts: 2, format: 'ess', essShape: 'electionware', essDpi: 200, batchSize: 20, discrepancies: { flip: 0, drop: 0, dup: 1, totals: 0 } });
  if (!g.ok) throw new Error(g.error.message);
  const dup = z.object({ discrepancies: z.array(z.object({ ess: z.object({ cvrNumber: z.number() }), duplicateEss: z.object({ cvrNumber: z.number() }) })) }).parse(JSON.parse(readFileSync(join(gen, 'truth', 'discrepancies.json'), 'utf8'))).discrepancies[0];
  records = [String(dup?.ess.cvrNumber), String(dup?.duplicateEss.cvrNumber)].sort();
  // The export folder as a county hands it over: the images zip beside the CVR.
  mkdirSync(join(root, 'export', 'ess'), { recursive: true });
  copyFileSync(join(gen, 'ess-zip', 'Ballot Images.zip'), join(root, 'export', 'ess', 'Ballot Images.zip'));
  copyFileSync(join(gen, 'ess', 'CVR', 'CVR_Export.xlsx'), join(root, 'export', 'ess', 'CVR_Export.xlsx'));

  const captured = await capturedElection(root, { roots: [{ label: 'ess-export', path: 'export/ess' }] });
  const { config, web } = captured;
  db = captured.db;
  const sheets = await zipExportSheets(db, dataPaths(config).vault);
  const layouts = assertOk(readSampleLayouts(join(gen, 'truth'), { design: 'ess-dashed' }));
  await runPreaudit(db, sheets.sheets.map((s) => s.job), [...layouts.values()], silentLogger(), { workers: 1 });

  const status: PreauditStatus = { state: 'done', imagesDone: sheets.sheets.length, imagesTotal: sheets.sheets.length, ballotsCompared: 0, disagreements: 0, updatedAt: null };
  const importChecks = importChecksFromReport(() => buildPhase1Report(db, () => readSheetFills(db)), 0);
  ({ server, browser, page } = await preauditKiosk(db, web, { preaudit: new PreauditWebProvider(db, () => status), importChecks, user: 'oscar', role: 'observer' }));
}, 240_000);

afterAll(() => closeKiosk({ browser, server, db, root }));

describe("an ES&S export zip's injected rescan, seen by a clerk", () => {
  it('the evidence view shows the pair in words and both pictures, each read from the zip', async () => {
    await page.goto(`${server?.url}/preaudit`);
    const check = page.locator('ul.checks > li', { hasText: 'No duplicates' });
    expect(await check.locator('.pill').textContent()).toBe('Fail');
    expect(await check.textContent()).toContain('1 ballot scanned twice');
    // the zip's images are the export's images: every CVR has one, every image a CVR
    for (const name of ['Every ballot image has a CVR', 'Every CVR has a ballot image']) expect(await page.locator('ul.checks > li', { hasText: name }).locator('.pill').textContent(), name).toBe('Pass');
    await page.locator('ul.checks').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(artifacts, '09-ess-zip-phase1-checks.png') });
    await page.click('[data-testid=evidence-link]');
    await page.waitForSelector('[data-testid=same-ballot]');
    const words = (await page.locator('[data-testid=same-ballot] .what').textContent()) ?? '';
    const [, a = '', b = ''] = /^1\. CVR record (\d+) and CVR record (\d+) carry the same marks/.exec(words) ?? [];
    expect([a, b].sort()).toEqual(records);
    expect(words).not.toMatch(/\.zip|\.pdf| > /);
    // both pictures loaded, each its own member of the zip, in the order of the words
    await page.locator('[data-testid=same-ballot]').scrollIntoViewIfNeeded();
    const loaded = `[...document.querySelectorAll('[data-testid=same-ballot] img')].filter((i) => i.complete && i.naturalWidth > 0).length`;
    for (let i = 0; i < 100 && (await page.evaluate(loaded)) !== 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await page.evaluate(loaded)).toBe(2);
    const srcs = (await page.evaluate(`[...document.querySelectorAll('[data-testid=same-ballot] img')].map((i) => i.getAttribute('src'))`)) as string[];
    expect(srcs.map((s) => decodeURIComponent(/member=([^&]+)/.exec(s)?.[1] ?? '').replace(/^.*\/0*(\d+)i\.pdf$/, '$1'))).toEqual([a, b]);
    await page.screenshot({ path: join(artifacts, '09-same-ballot-twice-ess-zip.png') });
  });
});
