/**
 * Issue #20 in chromium at 1024×768: phase 1's injected duplicate seen by a clerk. A generated
 * Dominion-design election whose "dup" is a rescan (new image bytes, a new CVR id) is captured
 * into a real vault and imported; its sheets are read by the pre-audit's pool (with the
 * generator's layouts: the learning is not what is tested here); then the Pre-audit page fails
 * "No duplicates" and the evidence view shows the pair, both pictures, in words.
 * Screenshots go to test-artifacts/mapping/.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSampleElection } from '../../scripts/sample-election/generate.ts';
import { vaultObjectPath } from '../../daemon/capture/vaultLayout.ts';
import { dataPaths } from '../../daemon/core/config.ts';
import { silentLogger } from '../../daemon/core/log/logger.ts';
import { assertOk } from '../../daemon/core/result.ts';
import { buildPhase1Report } from '../../daemon/importer/report.ts';
import { runPreaudit, type SheetJob } from '../../daemon/preaudit/pool.ts';
import { PreauditWebProvider } from '../../daemon/preaudit/webProvider.ts';
import type { PreauditStatus } from '../../daemon/preaudit/webApi.ts';
import type { Db } from '../../daemon/runtime/stateDatabase.ts';
import { importChecksFromReport } from '../../daemon/web/importChecks.ts';
import type { RunningWebServer } from '../../daemon/web/server.ts';
import { readSampleLayouts } from '../preaudit/sampleElection.ts';
import { readSheetFills } from '../../daemon/preaudit/viewStore.ts';
import { closeKiosk, preauditKiosk } from './preauditKiosk.ts';
import { capturedElection } from './capturedElection.ts';

const artifacts = fileURLToPath(new URL('../../test-artifacts/mapping/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'ballotsafe-duplicates-'));
let db: Db;
let server: RunningWebServer | undefined;
let browser: Browser | undefined;
let page: Page;
/** The Dominion record numbers of the generator's rescan and of the sheet it copies. */
let records: string[];

beforeAll(async () => {
  mkdirSync(artifacts, { recursive: true });
  const out = join(root, 'export');
  const g = await generateSampleElection({ out, seed: 11, ballots: 10, precincts: 2, format: 'dominion', batchSize: 20, skewVariants: 2, discrepancies: { flip: 0, drop: 0, dup: 1, totals: 0 } });
  if (!g.ok) throw new Error(g.error.message);
  type Sheet = { sheetId: string; duplicateOf: string | null; images: { vendor: string; paths: string[] }[] };
  const sheets = readdirSync(join(out, 'truth', 'ballots')).flatMap((f) => (JSON.parse(readFileSync(join(out, 'truth', 'ballots', f), 'utf8')) as { sheets: Sheet[] }).sheets);
  const dup = sheets.find((s) => s.duplicateOf !== null);
  const original = sheets.find((s) => s.sheetId === dup?.duplicateOf);
  if (dup === undefined || original === undefined) throw new Error('the generator injected no rescan');
  // …_00001_000007.tif: ballot 7
  const recordOf = (s: Sheet) => String(Number(/_(\d+)\.tif$/.exec(s.images.find((i) => i.vendor === 'dominion')?.paths[0] ?? '')?.[1] ?? NaN));
  records = [recordOf(dup), recordOf(original)].sort();

  const captured = await capturedElection(root);
  const { config, web } = captured;
  db = captured.db;
  // Each captured image is one sheet (Dominion: both sides in one file), keyed as catalogSheets keys it.
  const images = db.prepare(`SELECT id, rel_path, sha256 FROM file_versions WHERE kind = 'ballot-image'`).all() as { id: number; rel_path: string; sha256: string }[];
  const jobs: SheetJob[] = images.map((i) => ({ key: `${i.rel_path}#${i.id}`, files: [vaultObjectPath(dataPaths(config).vault, i.sha256)] }));
  const layouts = assertOk(readSampleLayouts(join(out, 'truth')));
  expect((await runPreaudit(db, jobs, [...layouts.values()], silentLogger(), { workers: 1 })).errors).toBe(0);

  const status: PreauditStatus = { state: 'done', imagesDone: jobs.length, imagesTotal: jobs.length, ballotsCompared: 0, disagreements: 0, updatedAt: null };
  const importChecks = importChecksFromReport(() => buildPhase1Report(db, () => readSheetFills(db)), 0);
  ({ server, browser, page } = await preauditKiosk(db, web, { preaudit: new PreauditWebProvider(db, () => status), importChecks, user: 'oscar', role: 'observer' }));
}, 240_000);

afterAll(() => closeKiosk({ browser, server, db, root }));

describe("phase 1's injected duplicate, seen by a clerk", () => {
  it('the Pre-audit page fails "No duplicates"; the evidence view shows the pair, both pictures, in words', async () => {
    await page.goto(`${server?.url}/preaudit`);
    const check = page.locator('ul.checks > li', { hasText: 'No duplicates' });
    expect(await check.locator('.pill').textContent()).toBe('Fail');
    expect(await check.textContent()).toContain('1 ballot scanned twice');
    await page.click('[data-testid=evidence-link]');
    await page.waitForSelector('[data-testid=same-ballot]');
    expect(await page.locator('[data-testid=same-ballot]').count()).toBe(1);
    // the two ballots in words, by the record numbers their scans carry; no file path, no key
    const words = (await page.locator('[data-testid=same-ballot] .what').textContent()) ?? '';
    expect(words).toMatch(/^1\. Tabulator \d+, batch \d+, ballot \d+ and tabulator \d+, batch \d+, ballot \d+ carry the same marks: very probably one paper ballot scanned twice/);
    const [, a = '', b = ''] = /ballot (\d+) and .*ballot (\d+) carry/.exec(words) ?? [];
    expect([a, b].sort()).toEqual(records);
    expect(words).not.toMatch(/[dc]:\d+|\/|\.tif/);
    expect(await page.locator('[data-testid=same-ballot] .next').textContent()).toMatch(/^What to do: /);
    // both pictures, each a different scan, loaded
    await page.locator('[data-testid=same-ballot]').scrollIntoViewIfNeeded();
    const loaded = `[...document.querySelectorAll('[data-testid=same-ballot] img')].filter((i) => i.complete && i.naturalWidth > 0).length`;
    for (let i = 0; i < 100 && (await page.evaluate(loaded)) !== 2; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await page.evaluate(loaded)).toBe(2);
    const srcs = (await page.evaluate(`[...document.querySelectorAll('[data-testid=same-ballot] img')].map((i) => i.getAttribute('src'))`)) as string[];
    expect(new Set(srcs).size).toBe(2);
    await page.screenshot({ path: join(artifacts, '08-same-ballot-twice.png') });
  });
});
